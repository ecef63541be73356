"""The content API contract: stories, sliders / banners and popups, as the apps read them and as
staff write them.

Text is `Line` / `Text` (NFC, no control or bidi-override characters; Turkish titles sort the
Turkish way in MySQL).  Times are accepted with an offset (converted to UTC) or without one (taken
as UTC) and answered as UTC ("…Z").  Creates take every field (null on an optional field means
none); updates (PUT) are partial: a field left out keeps its value, null clears only the optional
fields listed in CLEARABLE and is a 400 elsewhere.  Rules over several fields (ends_at after
starts_at, a link's target for its type) are checked on the row as it will be stored (rules.py).
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, Patch, Text, Timestamp, to_naive_utc
from chalicelib.platform.schemas import KeysetQuery, Page

from . import errors as _errors  # noqa: F401 - registers the messages of the area's errors
from . import rules
from .repository import POPUP, SLIDER, STORY

LinkType = Literal["product", "category", "campaign", "url"]
Placement = Literal["home", "category", "cart", "product"]
Platform = Literal["ios", "android", "web"]
Frequency = Literal["once", "daily", "every_visit"]
Trigger = Literal["app_open", "delay", "exit_intent", "page_view"]
Status = Literal["active", "scheduled", "expired", "disabled"]
assert set(Placement.__args__) == set(SLIDER.placements)  # type: ignore[attr-defined]


def _media(value: str) -> str:
    if not rules.media_ref(value):
        raise PydanticCustomError("media_ref_invalid", "Must be a media key (e.g. stories/7/a.jpg) or an https URL.")
    return value


def _app_link(value: str) -> str:
    if not rules.app_link(value):
        raise PydanticCustomError("link_target_invalid", "Must be an https URL or an app path such as /products/12.")
    return value


def _when(value: datetime) -> datetime:
    try:
        naive = to_naive_utc(value)
    except OverflowError:
        naive = datetime.min
    if not 1970 <= naive.year <= 9998:
        raise PydanticCustomError("datetime_out_of_range", "Must be a time between 1970 and 9998.")
    return naive


def _id_as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Title = Annotated[Line, Field(min_length=1, max_length=150)]
MediaRef = Annotated[str, Field(min_length=1, max_length=500, description="An S3 media key or an https URL."),
                     AfterValidator(_media)]
LinkTarget = Annotated[str, BeforeValidator(_id_as_text),
                       Field(min_length=1, max_length=500, description="product / category / campaign: the id; "
                                                                       "url: an https URL.")]
AppLink = Annotated[str, Field(min_length=1, max_length=500, description="An https URL or an app path (/...)."),
                    AfterValidator(_app_link)]
When = Annotated[datetime, AfterValidator(_when)]
SortOrder = Annotated[int, Field(ge=-1_000_000, le=1_000_000, description="Lowest first.")]
Priority = Annotated[int, Field(ge=-1000, le=1000, description="Highest first.")]
Duration = Annotated[int, Field(ge=1, le=60, description="Seconds the story is shown.")]
SegmentName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_ -]{1,50}$")]
LevelCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- stories -----------------------------------------------------------------------------------
class StoryIn(_In):
    """A story.  Without ends_at it expires 24 hours after starts_at (or after it is created)."""

    title: Title
    media_key: MediaRef
    media_type: Literal["image", "video"] = "image"
    thumbnail_key: MediaRef | None = None
    link_type: LinkType | None = None
    link_target: LinkTarget | None = None
    duration_seconds: Duration = 5
    sort_order: SortOrder = 0
    starts_at: When | None = None
    ends_at: When | None = None
    is_active: StrictBool = True


class StoryPatch(Patch):
    CLEARABLE = frozenset({"thumbnail_key", "link_type", "link_target", "starts_at", "ends_at"})
    title: Title | None = None
    media_key: MediaRef | None = None
    media_type: Literal["image", "video"] | None = None
    thumbnail_key: MediaRef | None = None
    link_type: LinkType | None = None
    link_target: LinkTarget | None = None
    duration_seconds: Duration | None = None
    sort_order: SortOrder | None = None
    starts_at: When | None = None
    ends_at: When | None = None
    is_active: StrictBool | None = None


class _Story(BaseModel):
    id: int
    title: str
    media_key: str
    media_type: str
    thumbnail_key: str | None
    link_type: LinkType | None
    link_target: str | None
    duration_seconds: int
    sort_order: int
    starts_at: Timestamp | None
    expires_at: Timestamp = Field(description="ends_at, else 24 hours after starts_at (or creation).")


class StoryOut(_Story):
    seen: bool = Field(description="Whether this viewer (token, else X-Device-Id) has viewed the story.")


class StoriesOut(BaseModel):
    items: list[StoryOut]


class _Admin(BaseModel):
    is_active: bool
    status: Status = Field(description="active (shown now), scheduled (starts later), expired, disabled.")
    created_at: Timestamp
    updated_at: Timestamp


class StoryAdminOut(_Admin, _Story):
    ends_at: Timestamp | None
    view_count: int = Field(description="Unique viewers.")


class StoryViewOut(BaseModel):
    story_id: int
    first_view: bool = Field(description="False when this viewer had already viewed it (nothing counted).")


# -- sliders -----------------------------------------------------------------------------------
class SliderIn(_In):
    """A slider / banner in one placement: home, category, cart or product (the app screens)."""

    title: Title
    subtitle: Annotated[Line, Field(min_length=1, max_length=255)] | None = None
    image_key: MediaRef
    mobile_image_key: MediaRef | None = None
    placement: Placement = "home"
    link_type: LinkType | None = None
    link_target: LinkTarget | None = None
    sort_order: SortOrder = 0
    starts_at: When | None = None
    ends_at: When | None = None
    is_active: StrictBool = True


class SliderPatch(Patch):
    CLEARABLE = frozenset({"subtitle", "mobile_image_key", "link_type", "link_target", "starts_at", "ends_at"})
    title: Title | None = None
    subtitle: Annotated[Line, Field(min_length=1, max_length=255)] | None = None
    image_key: MediaRef | None = None
    mobile_image_key: MediaRef | None = None
    placement: Placement | None = None
    link_type: LinkType | None = None
    link_target: LinkTarget | None = None
    sort_order: SortOrder | None = None
    starts_at: When | None = None
    ends_at: When | None = None
    is_active: StrictBool | None = None


class SliderOut(BaseModel):
    id: int
    title: str
    subtitle: str | None
    image_key: str
    mobile_image_key: str | None
    placement: Placement
    link_type: LinkType | None
    link_target: str | None
    sort_order: int
    starts_at: Timestamp | None
    ends_at: Timestamp | None


class SlidersOut(BaseModel):
    items: list[SliderOut]


class SliderAdminOut(_Admin, SliderOut):
    click_count: int


# -- popups ------------------------------------------------------------------------------------
class Audience(_In):
    """Who sees a popup.  Every condition given must hold; an empty list or null means anyone.
    segments: the customer's segment (ML, user_data.segment); levels: the loyalty level code;
    new_customers: true → guests and customers without an order yet, false → customers with one;
    platforms: the app's platform (GET /api/popups?platform=)."""

    segments: list[SegmentName] = Field(default_factory=list, max_length=20)
    levels: list[LevelCode] = Field(default_factory=list, max_length=20)
    new_customers: StrictBool | None = None
    platforms: list[Platform] = Field(default_factory=list, max_length=3)


class PopupIn(_In):
    """A popup.  frequency caps how often one viewer sees it: once, daily (a calendar day in
    Turkey, UTC+3) or every_visit (no cap)."""

    title: Title
    body: Annotated[Text, Field(min_length=1, max_length=2000)] | None = None
    image_key: MediaRef | None = None
    cta_text: Annotated[Line, Field(min_length=1, max_length=100)] | None = None
    cta_link: AppLink | None = None
    trigger_type: Trigger = "app_open"
    audience: Audience | None = None
    frequency: Frequency = "once"
    priority: Priority = 0
    starts_at: When | None = None
    ends_at: When | None = None
    is_active: StrictBool = True


class PopupPatch(Patch):
    CLEARABLE = frozenset({"body", "image_key", "cta_text", "cta_link", "audience", "starts_at", "ends_at"})
    title: Title | None = None
    body: Annotated[Text, Field(min_length=1, max_length=2000)] | None = None
    image_key: MediaRef | None = None
    cta_text: Annotated[Line, Field(min_length=1, max_length=100)] | None = None
    cta_link: AppLink | None = None
    trigger_type: Trigger | None = None
    audience: Audience | None = None
    frequency: Frequency | None = None
    priority: Priority | None = None
    starts_at: When | None = None
    ends_at: When | None = None
    is_active: StrictBool | None = None


class PopupOut(BaseModel):
    id: int
    title: str
    body: str | None
    image_key: str | None
    cta_text: str | None
    cta_link: str | None
    trigger_type: Trigger
    frequency: Frequency
    priority: int
    starts_at: Timestamp | None
    ends_at: Timestamp | None


class PopupsOut(BaseModel):
    items: list[PopupOut]


class PopupAdminOut(_Admin, PopupOut):
    audience: Audience | None


class ImpressionOut(BaseModel):
    popup_id: int
    shown: int = Field(description="Times shown to this viewer in the current period (once: ever; daily: today).")
    capped: bool = Field(description="True when the popup will not be offered to this viewer again this period.")


# -- the apps' queries ---------------------------------------------------------------------------
class SlidersQuery(_In):
    placement: Placement = "home"


class PopupsQuery(_In):
    platform: Platform | None = Field(default=None, description="The app's platform; popups aimed at "
                                                                "platforms are shown only when it matches.")
    limit: int = Field(default=10, ge=1, le=20)


# -- staff lists ---------------------------------------------------------------------------------
class AdminListQuery(KeysetQuery):
    status: Status | None = Field(default=None, description="active, scheduled, expired or disabled; none: all.")


class StoryListQuery(AdminListQuery):
    KEYSET = STORY.keyset


class SliderListQuery(AdminListQuery):
    KEYSET = SLIDER.keyset
    placement: Placement | None = None


class PopupListQuery(AdminListQuery):
    KEYSET = POPUP.keyset


class StoryPage(Page[StoryAdminOut]):
    pass


class SliderPage(Page[SliderAdminOut]):
    pass


class PopupPage(Page[PopupAdminOut]):
    pass
