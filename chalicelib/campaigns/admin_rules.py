"""The rules JSON of a campaign as staff send it (issue 15, engine spec): pydantic models, strict.

Unknown keys are a 400 naming the field; percentages are above 0 and at most 100, amounts above 0
with at most two decimals (platform fields.Money), ids positive, every list at most MAX_IDS
entries (duplicates dropped).  A catalogue-level promotion takes only percent_off / fixed_off.
What passes is stored in the engine's canonical form (model.rules_json of model.parse_rules), so
the loader reads exactly what the API accepted; that a gift variation is this shop's is a database
question, checked by the service.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, Money

from . import errors as _errors  # noqa: F401 - registers the field messages used below
from .model import AMOUNT_ACTIONS, CATALOGUE_ACTIONS, PERCENT_ACTIONS

MAX_IDS = 500
MAX_COUNT = 1_000_000
BIGINT = 2**63


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise PydanticCustomError("amount_not_positive", "Must be more than 0.")
    return value


def _percent(value: Decimal) -> Decimal:
    if not 0 < value <= 100:
        raise PydanticCustomError("percent_range", "Must be more than 0 and at most 100.")
    return value


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


PositiveMoney = Annotated[Money, AfterValidator(_positive)]
Percent = Annotated[Money, AfterValidator(_percent)]
Id = Annotated[int, Field(gt=0, lt=BIGINT)]
Ids = Annotated[list[Id], Field(max_length=MAX_IDS), AfterValidator(_unique)]
Count = Annotated[int, Field(ge=1, le=MAX_COUNT)]
Word = Annotated[Line, Field(min_length=1, max_length=64)]
Words = Annotated[list[Word], Field(max_length=MAX_IDS), AfterValidator(_unique)]
# The engine's words (model.PAYMENT_METHODS / CHANNELS, aliases included); a test keeps them equal.
PaymentMethod = Literal["bank_transfer", "card", "cash_on_delivery", "eft", "wallet"]
Channel = Literal["app", "mobile", "web"]
ActionType = Literal["percent_off", "fixed_off", "free_shipping", "gift_item", "buy_x_get_y", "bonus_percent",
                     "bonus_fixed"]


class ConditionsIn(BaseModel):
    """Who and what a promotion applies to; every key optional (absent, null or empty: no condition)."""

    model_config = ConfigDict(extra="forbid")
    segments: Words | None = Field(default=None, description="the customer's segment is one of these")
    levels: Words | None = Field(default=None, description="the customer's loyalty level code is one of these")
    first_order: bool | None = Field(default=None, description="true: first order only; false: returning only")
    min_subtotal: PositiveMoney | None = Field(default=None, description="of the eligible lines, after the "
                                                                         "discounts applied before this one")
    min_quantity: Count | None = Field(default=None, description="eligible units")
    products: Ids | None = None
    categories: Ids | None = Field(default=None, description="a category matches its descendants too")
    brands: Ids | None = None
    exclude_products: Ids | None = None
    exclude_sale_items: bool | None = Field(default=None, description="lines on a flash deal are not eligible")
    payment_methods: list[PaymentMethod] | None = Field(default=None, max_length=10)
    channels: list[Channel] | None = Field(default=None, max_length=10)


class ActionIn(BaseModel):
    """What a promotion gives: a discount, free shipping, a gift, buy X get Y, or a bonus."""

    model_config = ConfigDict(extra="forbid")
    type: ActionType
    value: Money | None = Field(default=None, description="percent (0 < v ≤ 100) for percent_off / bonus_percent; "
                                                          "TRY amount (> 0) for fixed_off / bonus_fixed")
    per_unit: bool | None = Field(default=None, description="fixed_off: the value off every eligible unit")
    max_discount: PositiveMoney | None = Field(default=None, description="cap of this promotion's discount")
    gift_variation_id: Id | None = Field(default=None, description="gift_item: a variation of this shop")
    gift_quantity: Annotated[int, Field(ge=1, le=100)] | None = None
    buy_quantity: Annotated[int, Field(ge=1, le=1000)] | None = None
    get_quantity: Annotated[int, Field(ge=1, le=1000)] | None = None
    get_percent: Percent | None = Field(default=None, description="buy_x_get_y: off the 'get' units (default 100)")
    get_products: Ids | None = None
    get_categories: Ids | None = None
    max_applications: Count | None = None

    @model_validator(mode="after")
    def _complete(self) -> ActionIn:
        if self.type in PERCENT_ACTIONS or self.type in AMOUNT_ACTIONS:
            if self.value is None:
                raise _incomplete("value")
            if self.type in PERCENT_ACTIONS:
                _percent(self.value)
            else:
                _positive(self.value)
        if self.type == "gift_item" and self.gift_variation_id is None:
            raise _incomplete("gift_variation_id")
        if self.type == "buy_x_get_y" and (self.buy_quantity is None or self.get_quantity is None):
            raise _incomplete("buy_quantity, get_quantity")
        return self


def _incomplete(fields: str) -> PydanticCustomError:
    return PydanticCustomError("action_incomplete", "This action type needs: {fields}.", {"fields": fields})


class RulesIn(BaseModel):
    """A campaign's rules: its level, conditions and action (the engine's stacking policy decides
    how it combines with others)."""

    model_config = ConfigDict(extra="forbid")
    level: Literal["catalogue", "basket"] = "basket"
    conditions: ConditionsIn | None = None
    action: ActionIn

    @model_validator(mode="after")
    def _catalogue(self) -> RulesIn:
        if self.level == "catalogue" and self.action.type not in CATALOGUE_ACTIONS:
            raise PydanticCustomError("catalogue_action",
                                      "Catalogue-level promotions are percent_off or fixed_off only.")
        return self

    def document(self) -> dict[str, Any]:
        """The JSON sent, nulls left out (parse_rules reads absent and null alike)."""
        return self.model_dump(mode="json", exclude_none=True)
