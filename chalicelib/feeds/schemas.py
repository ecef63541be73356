"""The staff contract of feed sources and runs."""
from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, Patch, Timestamp

from .xmlstream import FIELDS

Kind = Literal["http", "s3"]
Format = Literal["google_merchant_rss", "atom", "plain_xml"]
RunStatus = Literal["queued", "running", "reporting", "not_modified", "succeeded", "failed"]
_EMAIL = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\]+$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_TAG = re.compile(r"^(g:)?[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")
MAX_MAPPING = 2000


def _mapping(value: dict[str, Any] | None, *, ids: bool) -> dict[str, Any] | None:
    if value is None:
        return None
    if len(value) > MAX_MAPPING:
        raise PydanticCustomError("too_many", "At most {limit} entries.", {"limit": MAX_MAPPING})
    for key, item in value.items():
        if not key.strip() or len(key) > 500 or not key.isprintable():
            raise PydanticCustomError("mapping_key_invalid", "Keys are 1-500 printable characters.")
        if ids and (isinstance(item, bool) or not isinstance(item, int) or not 0 < item < 2**63):
            raise PydanticCustomError("mapping_value_invalid", "Each value is a positive id.")
    return value


def _field_mapping(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    for key, item in value.items():
        if key != "item" and key not in FIELDS:
            raise PydanticCustomError("mapping_key_invalid", "Unknown field {key}; known: item, {known}.",
                                      {"key": key[:40], "known": ", ".join(FIELDS)})
        tags = [item] if isinstance(item, str) else item
        if not isinstance(tags, list) or not tags or len(tags) > 5 or not all(
                isinstance(t, str) and _TAG.match(t) for t in tags):
            raise PydanticCustomError("mapping_value_invalid", "An element name (or up to 5), such as g:price.")
    return value


class _SourceFields(BaseModel):
    @field_validator("url", check_fields=False)
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and (not re.match(r"^https?://[^\s/]+", value) or not value.isprintable()):
            raise PydanticCustomError("url_invalid", "An http:// or https:// URL.")
        return value

    @field_validator("bucket", check_fields=False)
    @classmethod
    def _bucket(cls, value: str | None) -> str | None:
        if value is not None and not _BUCKET.match(value):
            raise PydanticCustomError("bucket_invalid", "An S3 bucket name.")
        return value

    @field_validator("report_email", check_fields=False)
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 254 or not _EMAIL.match(value)):
            raise PydanticCustomError("email_invalid", "One e-mail address.")
        return value

    @field_validator("field_mapping", check_fields=False)
    @classmethod
    def _fields(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return _field_mapping(value)

    @field_validator("category_mapping", "brand_mapping", check_fields=False)
    @classmethod
    def _ids(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return _mapping(value, ids=True)


class SourceIn(_SourceFields):
    model_config = ConfigDict(extra="forbid")
    name: Line = Field(min_length=2, max_length=150)
    kind: Kind
    url: str | None = Field(default=None, max_length=2000)
    bucket: str | None = Field(default=None, max_length=63)
    object_key: Line | None = Field(default=None, min_length=1, max_length=1024)
    format: Format
    field_mapping: dict[str, Any] | None = None
    category_mapping: dict[str, Any] | None = None
    brand_mapping: dict[str, Any] | None = None
    interval_minutes: int | None = Field(default=None, ge=5, le=7 * 24 * 60, description="None: on demand only")
    enabled: bool = True
    report_email: str | None = None

    @model_validator(mode="after")
    def _where(self) -> SourceIn:
        check_location(self.kind, self.url, self.bucket, self.object_key)
        return self


def check_location(kind: str, url: str | None, bucket: str | None, key: str | None) -> None:
    if kind == "http" and not url:
        raise PydanticCustomError("url_required", "An http source needs its url.")
    if kind == "s3" and not (bucket and key):
        raise PydanticCustomError("s3_location_required", "An s3 source needs bucket and object_key.")


class SourceUpdateIn(Patch, _SourceFields):
    CLEARABLE = frozenset({"field_mapping", "category_mapping", "brand_mapping", "interval_minutes", "report_email",
                           "url", "bucket", "object_key"})
    name: Line | None = Field(default=None, min_length=2, max_length=150)
    kind: Kind | None = None
    url: str | None = Field(default=None, max_length=2000)
    bucket: str | None = Field(default=None, max_length=63)
    object_key: Line | None = Field(default=None, min_length=1, max_length=1024)
    format: Format | None = None
    field_mapping: dict[str, Any] | None = None
    category_mapping: dict[str, Any] | None = None
    brand_mapping: dict[str, Any] | None = None
    interval_minutes: int | None = Field(default=None, ge=5, le=7 * 24 * 60)
    enabled: bool | None = None
    report_email: str | None = None


class SourceOut(BaseModel):
    id: int
    name: str
    kind: Kind
    url: str | None
    bucket: str | None
    object_key: str | None
    format: Format
    field_mapping: dict[str, Any] | None
    category_mapping: dict[str, Any] | None
    brand_mapping: dict[str, Any] | None
    interval_minutes: int | None
    enabled: bool
    report_email: str | None
    etag: str | None
    last_modified: str | None
    next_run_at: Timestamp | None
    last_run_id: int | None
    created_at: Timestamp
    updated_at: Timestamp


class SourceList(BaseModel):
    items: list[SourceOut]


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dry_run: bool = Field(default=False, description="check and report only: nothing is written to the catalogue")


class RunOut(BaseModel):
    id: int
    source_id: int
    status: RunStatus
    dry_run: bool
    triggered_by: str
    seen_count: int
    valid_count: int
    invalid_count: int
    created_count: int
    updated_count: int
    unchanged_count: int
    batches_sent: int | None
    batches_done: int
    progress: float | None = Field(description="batches applied / batches sent, once parsing has ended")
    failure: str | None
    report_key: str | None
    started_at: Timestamp | None
    finished_at: Timestamp | None
    created_at: Timestamp


class RunList(BaseModel):
    items: list[RunOut]


class RunQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=20, ge=1, le=100)


class ReportRow(BaseModel):
    line: int
    sku: str | None
    field: str | None
    reason: str


class ReportOut(BaseModel):
    run: RunOut
    rows: list[ReportRow] = Field(description="the first bad rows, in line order")
    bucket: str | None
    key: str | None
    download_url: str | None = Field(description="a presigned link to the whole CSV (15 minutes)")
