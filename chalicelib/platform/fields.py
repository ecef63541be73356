"""Field types of the JSON API: one rule per kind of value, shared by every area's schemas.

    from chalicelib.platform.fields import Line, Money, Patch, Text, Timestamp

    class ProductUpdateIn(Patch):
        CLEARABLE = frozenset({"description"})        # null clears these; null elsewhere is a 400
        name: Line | None = Field(default=None, min_length=2, max_length=200)
        description: Text | None = Field(default=None, max_length=20000)
        base_price: Money | None = None

    class ProductOut(BaseModel):
        updated_at: Timestamp                           # "2026-12-06T10:05:07.354147Z"

Why each exists (issue 9, found by fuzzing):
- `Money`: JSON money is a JSON number or a decimal string with "." as the decimal point and at
  most two places, within DECIMAL(14,2).  Turkish notation ("1.249,90") belongs to CSV/XLSX
  import only, where the locale is explicit; in JSON "12.345" is a 400, never 12345.00.
- `Line` / `Text`: NFC-normalised before storing and searching (so "ş" typed as s + combining
  cedilla finds "ş"); NUL, other control characters and bidirectional overrides (U+202E can make
  "gpj.exe" read as "exe.jpg" in an admin list) are refused.  `Line` is single-line text (names,
  titles), `Text` keeps line breaks and tabs (descriptions, notes).
- `Timestamp`: the database keeps UTC (session time zone +00:00) in naive DATETIME columns;
  responses say so with an offset (RFC 3339 "…Z"), as the OpenAPI `date-time` format promises.
- `Patch`: partial updates where a field left out keeps its value; an explicit null clears a
  field only where the model lists it in CLEARABLE, elsewhere null is a 400 naming the field.
  The JSON schema says the same (no null branch on fields that refuse null).
- `JsonObject`: free-form objects (product attributes) with a depth and size limit.
"""
from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetJsonSchemaHandler,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
    field_validator,
)
from pydantic_core import PydanticCustomError

# -- money ------------------------------------------------------------------------------------
CENT = Decimal("0.01")
MAX_MONEY = Decimal("999999999999.99")  # DECIMAL(14,2), the money columns' type
_MONEY_TEXT = re.compile(r"^-?[0-9]{1,40}(\.[0-9]{1,40})?$")  # checked for range and places below
_MONEY_SCHEMA_TEXT = r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"


def to_money(value: Any, *, signed: bool = False) -> Decimal:
    """A JSON value as money, or PydanticCustomError.  Never rounds: 12.345 is refused."""
    if isinstance(value, bool):
        raise PydanticCustomError("money_invalid", "Must be an amount, e.g. 1249.90.")
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # the shortest text that round-trips
    elif isinstance(value, str) and _MONEY_TEXT.fullmatch(value.strip()):
        number = Decimal(value.strip())
    else:
        raise PydanticCustomError("money_invalid", "Must be an amount with '.' as the decimal point, e.g. 1249.90.")
    if not number.is_finite():
        raise PydanticCustomError("money_invalid", "Must be an amount, e.g. 1249.90.")
    if abs(number) > MAX_MONEY:  # checked before quantize, which fails on huge values
        raise PydanticCustomError("too_large", "The amount is too large.")
    if number < 0 and not signed:
        raise PydanticCustomError("negative", "Must not be negative.")
    try:
        cents = number.quantize(CENT)
    except InvalidOperation:  # pragma: no cover - bounded above
        raise PydanticCustomError("money_invalid", "Must be an amount, e.g. 1249.90.") from None
    if cents != number:
        raise PydanticCustomError("too_many_decimals", "At most two decimal places.")
    return cents


def _money_schema(signed: bool) -> dict[str, Any]:
    number: dict[str, Any] = {"type": "number", "maximum": float(MAX_MONEY)}
    number["minimum"] = -float(MAX_MONEY) if signed else 0
    pattern = _MONEY_SCHEMA_TEXT if signed else _MONEY_SCHEMA_TEXT.replace("^-?", "^")
    return {"anyOf": [number, {"type": "string", "pattern": pattern}],
            "description": "Amount: a JSON number or a decimal string with '.' and at most two places"}


Money = Annotated[Decimal, BeforeValidator(to_money), WithJsonSchema(_money_schema(False), mode="validation")]
SignedMoney = Annotated[Decimal, BeforeValidator(lambda v: to_money(v, signed=True)),
                        WithJsonSchema(_money_schema(True), mode="validation")]


# -- text -------------------------------------------------------------------------------------
# C0 and C1 controls, DEL, line/paragraph separators, the BOM, and the bidirectional embedding,
# override and isolate controls.  Text additionally allows tab, line feed and carriage return.
_BIDI = "\u202a-\u202e\u2066-\u2069"
_LINE_FORBIDDEN = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff{_BIDI}]")
_TEXT_FORBIDDEN = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff{_BIDI}]")
# The same sets as ECMA-262 patterns, so the OpenAPI document says what is accepted (surrounding
# whitespace is trimmed before the check, so it may hold anything the trim removes).
_ENDS = r"[ \t\n\r\u000b\u000c]*"
_LINE_PATTERN = rf"^{_ENDS}[^\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\u202a-\u202e\u2066-\u2069]*{_ENDS}$"
_TEXT_PATTERN = (rf"^{_ENDS}[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufeff"
                 rf"\u202a-\u202e\u2066-\u2069]*{_ENDS}$")


# What trimming removes: ASCII whitespace only, the set on which Python and the document's
# ECMA-262 patterns agree (str.strip() would also take U+001C-U+001F and U+0085).
_TRIM = " \t\n\r\x0b\x0c"


def clean_text(value: str, *, multiline: bool) -> str:
    """NFC-normalised, surrounding ASCII whitespace trimmed; raises PydanticCustomError on a
    forbidden character.  Also usable outside pydantic (CSV import, search queries)."""
    text = unicodedata.normalize("NFC", value).strip(_TRIM)
    if (_TEXT_FORBIDDEN if multiline else _LINE_FORBIDDEN).search(text):
        raise PydanticCustomError(
            "text_forbidden_character",
            "Contains a control or bidirectional-override character." if multiline
            else "Must be a single line without control or bidirectional-override characters.",
        )
    return text


def none_if_blank(value: Any) -> Any:
    """For optional free text where "" and spaces mean none: a mode="before" validator
    (`field_validator("note", mode="before")(none_if_blank)`)."""
    return None if isinstance(value, str) and not value.strip() else value


def _cleaned(multiline: bool) -> Any:
    """A wrap validator: the field's own constraints (max_length, ...) first judge the text as
    sent, as the document says they do (a 101-character value with a trailing space is too long,
    trimmed or not); then the text is cleaned, and the constraints judge the result once more
    (a name of two spaces and a letter is too short)."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        raw = handler(value)
        if not isinstance(raw, str):
            return raw
        cleaned = clean_text(raw, multiline=multiline)
        return raw if cleaned == raw else handler(cleaned)

    return validate


class _Pattern:
    """Adds the accepted characters to the schema pydantic builds (WithJsonSchema would replace
    it and drop the field's min/max length)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        schema = handler(core_schema)
        if handler.mode == "validation":
            schema = {**schema, "pattern": self.pattern}
        return schema


Line = Annotated[str, WrapValidator(_cleaned(multiline=False)), _Pattern(_LINE_PATTERN)]
Text = Annotated[str, WrapValidator(_cleaned(multiline=True)), _Pattern(_TEXT_PATTERN)]


# -- free-form JSON -----------------------------------------------------------------------------
MAX_JSON_DEPTH = 4
MAX_JSON_BYTES = 16 * 1024


def luhn_valid(digits: str) -> bool:
    """The card-number check digit (ISO/IEC 7812): a typo is a 400 before any provider sees it,
    and the iyzico adapter spots card-number-shaped strings with it to keep them out of logs."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def json_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((json_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((json_depth(v) for v in value), default=0)
    return 0


def _json_object(value: Any) -> Any:
    if not isinstance(value, dict):
        return value  # pydantic reports the type
    if json_depth(value) > MAX_JSON_DEPTH:
        raise PydanticCustomError("json_too_deep", "Nested more than {max} levels.", {"max": MAX_JSON_DEPTH})
    size = len(json.dumps(value, default=str, ensure_ascii=False).encode("utf-8"))
    if size > MAX_JSON_BYTES:
        raise PydanticCustomError("json_too_large", "Larger than {max} bytes.", {"max": MAX_JSON_BYTES})
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(_json_object)]


# -- timestamps ---------------------------------------------------------------------------------
def as_utc(value: datetime) -> datetime:
    """Naive datetimes from the database are UTC (the session time zone is +00:00)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Timestamp = Annotated[datetime, AfterValidator(as_utc)]


def to_naive_utc(value: datetime) -> datetime:
    """A client's time as the database keeps it: naive UTC (an aware value converted; a naive one
    is taken as UTC already, like everything the API answers)."""
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


def _not_a_number(value: Any) -> Any:
    """pydantic reads a number (or a numeric string, as every query value is) as Unix seconds; the
    API documents an RFC 3339 date-time, so a number is refused as one (fuzzing sent 1.5e-167)."""
    if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMERIC.fullmatch(value.strip())):
        raise PydanticCustomError("datetime_type", "Input should be an RFC 3339 date-time, not a number.")
    return value


_NUMERIC = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")

# A time a client filters by (created_from, created_before, ...), compared with stored columns.
NaiveUtc = Annotated[datetime, BeforeValidator(_not_a_number), AfterValidator(to_naive_utc)]


# -- partial updates ----------------------------------------------------------------------------
def _drop_null_branches(schema: dict[str, Any], model: type[BaseModel]) -> None:
    clearable: frozenset[str] = getattr(model, "CLEARABLE", frozenset())
    for name, prop in (schema.get("properties") or {}).items():
        field = model.model_fields.get(name)
        alias = field.alias if field is not None and field.alias else name
        if name in clearable or alias in clearable:
            continue
        branches = prop.get("anyOf")
        if isinstance(branches, list) and {"type": "null"} in branches:
            rest = [b for b in branches if b != {"type": "null"}]
            prop.pop("anyOf")
            if len(rest) == 1:
                prop.update(rest[0])
            else:
                prop["anyOf"] = rest
        if prop.get("default", 0) is None:
            prop.pop("default")


class Patch(BaseModel):
    """Base of partial-update bodies: fields left out keep their value; null clears only the
    fields named in CLEARABLE; unknown fields are refused."""

    CLEARABLE: ClassVar[frozenset[str]] = frozenset()
    model_config = ConfigDict(extra="forbid", defer_build=True, json_schema_extra=_drop_null_branches)

    @field_validator("*", mode="before")
    @classmethod
    def _null_policy(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.CLEARABLE:
            raise PydanticCustomError("null_not_allowed", "Must not be null.")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, as plain values."""
        return self.model_dump(exclude_unset=True)
