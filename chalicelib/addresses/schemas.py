"""The addresses API contract.

Field validators normalise as they check (phone → E.164, il → its official spelling, VKN /
TCKN checksums, postcode format), so the service only ever sees clean values.  Rules spanning
several fields (postcode vs. il, corporate billing needs company data, ...) live in
`rules.check`, applied by the service to the merged record so updates obey them too.

Every error type raised here has a Turkish text in `errors.FIELD_MESSAGES_TR`; none echoes the
submitted value (it may be a national id).
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, Patch, Timestamp, none_if_blank

from . import errors as _errors  # noqa: F401 - registers the messages of the error types below
from . import rules
from .provinces import find_province

AddressType = Literal["delivery", "billing"]
BillingKind = Literal["individual", "corporate"]
GeocodeStatus = Literal["ok", "manual", "not_found", "pending", "failed"]


def _phone(value: str) -> str:
    try:
        return rules.normalise_phone(value)
    except ValueError:
        raise PydanticCustomError("phone_invalid", "Enter a Turkish mobile number, e.g. 0532 123 45 67.") from None


def _province(value: str) -> str:
    province = find_province(value)
    if province is None:
        raise PydanticCustomError("province_unknown", "Not one of the 81 provinces of Türkiye.")
    return province.name


def _postcode(value: str) -> str:
    if not rules.is_valid_postcode(value):
        raise PydanticCustomError("postcode_invalid", "A postcode has 5 digits.")
    return value


def _tax_number(value: str) -> str:
    if not rules.is_valid_vkn(value):
        raise PydanticCustomError("tax_number_invalid", "Not a valid 10-digit tax number (VKN).")
    return value


def _national_id(value: str) -> str:
    if not rules.is_valid_tckn(value):
        raise PydanticCustomError("national_id_invalid", "Not a valid 11-digit T.C. kimlik number.")
    return value


# ASCII digits only: Decimal("٤١") is 41, and a coordinate typed in another script must be
# refused, not read (issue 9).  JSON numbers arrive as Decimal / int and are range-checked.
_DECIMAL_TEXT = re.compile(r"-?[0-9]{1,3}(\.[0-9]{1,30})?")


def _ascii_number(value: Any) -> Any:
    if isinstance(value, str) and not _DECIMAL_TEXT.fullmatch(value.strip()):
        raise PydanticCustomError("decimal_parsing", "Must be a number with '.' as the decimal point, e.g. 41.0151.")
    return value


def _coordinate(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.000001"))  # the columns are DECIMAL(9,6)




def _text(max_length: int, min_length: int = 1) -> Any:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


def _sized(max_length: int, min_length: int = 1) -> Any:
    return Field(min_length=min_length, max_length=max_length)


# Human-typed text is `Line` (NFC, stripped, no control or bidi-override characters); numbers
# and codes keep their own patterns (ASCII digits only).
Name = Annotated[Line, _sized(100)]
Phone = Annotated[str, _text(40), AfterValidator(_phone)]
Il = Annotated[Line, _sized(50, 2), AfterValidator(_province)]
Ilce = Annotated[Line, _sized(50, 2)]
AddressLine = Annotated[Line, _sized(500, 5)]
Lat = Annotated[Decimal, BeforeValidator(_ascii_number), Field(ge=-90, le=90, allow_inf_nan=False),
                AfterValidator(_coordinate)]
Lng = Annotated[Decimal, BeforeValidator(_ascii_number), Field(ge=-180, le=180, allow_inf_nan=False),
                AfterValidator(_coordinate)]
# Optional text: "" counts as absent.
# Forms send "" for an empty optional field: stored as "no value" (none_if_blank).
Title = Annotated[Annotated[Line, _sized(50)] | None, BeforeValidator(none_if_blank)]
Mahalle = Annotated[Annotated[Line, _sized(100)] | None, BeforeValidator(none_if_blank)]
Postcode = Annotated[Annotated[str, _text(10), AfterValidator(_postcode)] | None, BeforeValidator(none_if_blank)]
CompanyName = Annotated[Annotated[Line, _sized(200)] | None, BeforeValidator(none_if_blank)]
TaxOffice = Annotated[Annotated[Line, _sized(100)] | None, BeforeValidator(none_if_blank)]
TaxNumber = Annotated[Annotated[str, _text(20), AfterValidator(_tax_number)] | None, BeforeValidator(none_if_blank)]
NationalId = Annotated[Annotated[str, _text(20), AfterValidator(_national_id)] | None,
                       BeforeValidator(none_if_blank)]


class AddressIn(BaseModel):
    """A new address.  Coordinates are optional: without them the address is geocoded.  An
    optional field may be left out, sent as null or (text) as "": all mean "none"."""

    model_config = ConfigDict(extra="forbid")
    type: AddressType
    billing_kind: BillingKind = Field(default="individual", description="billing addresses only")
    title: Title = Field(default=None, description="e.g. Ev, İş")
    first_name: Name
    last_name: Name
    phone: Phone = Field(description="Turkish mobile, any usual spelling; stored as +905XXXXXXXXX, encrypted")
    company_name: CompanyName = Field(default=None, description="corporate billing: required")
    tax_office: TaxOffice = Field(default=None, description="corporate billing: required (vergi dairesi)")
    tax_number: TaxNumber = Field(default=None, description="corporate billing: required, 10-digit VKN; encrypted")
    national_id: NationalId = Field(default=None, description="individual billing: optional TCKN; encrypted")
    il: Il = Field(description="province, one of the 81 (any case)")
    ilce: Ilce
    mahalle: Mahalle = None
    address_line: AddressLine
    posta_kodu: Postcode = Field(default=None, description="5 digits starting with the province's plate code")
    lat: Lat | None = Field(default=None, description="picked on the map; send with lng")
    lng: Lng | None = None


class AddressPatch(Patch):
    """Partial update: only the fields sent change.  Null clears an optional field (title,
    company and tax data, TCKN, mahalle, postcode; lat and lng together, which has the address
    geocoded again); the required ones cannot be null (a 400 naming the field): leave them out
    to keep them."""

    CLEARABLE = frozenset({"title", "company_name", "tax_office", "tax_number", "national_id", "mahalle",
                           "posta_kodu", "lat", "lng"})
    type: AddressType | None = None
    billing_kind: BillingKind | None = None
    title: Title = Field(default=None, description="null or \"\" clears it")
    first_name: Name | None = None
    last_name: Name | None = None
    phone: Phone | None = None
    company_name: CompanyName = Field(default=None, description="null clears it (not on a corporate billing address)")
    tax_office: TaxOffice = Field(default=None, description="null clears it (not on a corporate billing address)")
    tax_number: TaxNumber = Field(default=None, description="null clears it (not on a corporate billing address)")
    national_id: NationalId = Field(default=None, description="null clears it")
    il: Il | None = None
    ilce: Ilce | None = None
    mahalle: Mahalle = Field(default=None, description="null clears it")
    address_line: AddressLine | None = None
    posta_kodu: Postcode = Field(default=None, description="null clears it")
    lat: Lat | None = Field(default=None, description="null (with lng) drops the pin: the address is geocoded again")
    lng: Lng | None = Field(default=None, description="null (with lat) drops the pin")


class AddressListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: AddressType | None = Field(default=None, description="only delivery or only billing addresses")


class AddressOut(BaseModel):
    """An address as its owner sees it.  Phone, tax number and TCKN are shown masked: the owner
    knows them, and a response cached on a device or shared in a screenshot should not carry
    them (the order flow reads the full values server-side)."""

    id: int
    type: AddressType
    billing_kind: BillingKind
    is_default: bool
    title: str | None
    first_name: str
    last_name: str
    phone_masked: str = Field(description="e.g. +90 532 *** ** 67")
    company_name: str | None
    tax_office: str | None
    tax_number_masked: str | None
    national_id_masked: str | None
    country_code: str
    il: str
    ilce: str
    mahalle: str | None
    address_line: str
    posta_kodu: str | None
    lat: Decimal | None
    lng: Decimal | None
    geocode_status: GeocodeStatus = Field(
        description="ok / manual (user's pin) / not_found / pending (geocoder unavailable, retried later) / "
        "failed (geocoder refused, retried after a fix)")
    created_at: Timestamp
    updated_at: Timestamp


class AddressList(BaseModel):
    items: list[AddressOut]
