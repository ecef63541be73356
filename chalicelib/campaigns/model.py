"""The promotion engine's value types and the campaigns.rules JSON reader (issue 15).

Standard library only (plus the cart's standard-library money rule): the cart Lambda imports this module.  Every datetime is naive UTC; every
amount is a Decimal quantized to kuruş (0.01, ROUND_HALF_UP).

`parse_rules` is the last guard in front of the engine: the admin schemas validate rules first,
but a malformed row (hand edited, older shape) raises ValueError here instead of pricing a cart
wrongly.  `rules_json` writes the canonical JSON back (parse_rules(rules_json(...)) round trips).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from chalicelib.cart.api import ZERO, money  # the one money rule; the cart's totals are standard library only

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
MAX_AMOUNT = Decimal("999999999999.99")  # DECIMAL(14,2)

KINDS = frozenset({"promotion", "coupon", "flash", "wheel", "offer"})
CODE_KINDS = frozenset({"coupon", "wheel", "offer"})
LEVELS = ("catalogue", "basket")
ACTION_TYPES = ("percent_off", "fixed_off", "free_shipping", "gift_item", "buy_x_get_y", "bonus_percent",
                "bonus_fixed")
CATALOGUE_ACTIONS = frozenset({"percent_off", "fixed_off"})
PERCENT_ACTIONS = frozenset({"percent_off", "bonus_percent"})
AMOUNT_ACTIONS = frozenset({"fixed_off", "bonus_fixed"})
# The rules vocabulary (spec) and the orders' own words (orders.schemas) name the same things.
PAYMENT_METHODS = frozenset({"card", "wallet", "bank_transfer", "cash_on_delivery", "eft"})
CHANNELS = frozenset({"app", "web", "mobile"})
_ALIASES = {"eft": "bank_transfer", "mobile": "app"}
REASONS = frozenset({
    "not_started", "ended", "exhausted", "budget_exhausted", "per_customer_limit", "segment", "level",
    "first_order", "payment_method", "channel", "min_subtotal", "min_quantity", "no_eligible_lines",
    "not_combinable", "floor",
})

_CONDITION_KEYS = frozenset({
    "segments", "levels", "first_order", "min_subtotal", "min_quantity", "products", "categories", "brands",
    "exclude_products", "exclude_sale_items", "payment_methods", "channels",
})
_ACTION_KEYS = frozenset({
    "type", "value", "per_unit", "max_discount", "gift_variation_id", "gift_quantity", "buy_quantity",
    "get_quantity", "get_percent", "get_products", "get_categories", "max_applications",
})
_MAX_COUNT = 1_000_000


def ceil_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_CEILING)


def canonical(word: str | None) -> str | None:
    """The one spelling of a payment method / channel ("eft" is "bank_transfer", "mobile" is "app")."""
    return _ALIASES.get(word, word) if word is not None else None


# -- value types ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Conditions:
    segments: frozenset[str] = frozenset()
    levels: frozenset[str] = frozenset()
    first_order: bool | None = None
    min_subtotal: Decimal | None = None
    min_quantity: int | None = None
    products: frozenset[int] = frozenset()
    categories: frozenset[int] = frozenset()
    brands: frozenset[int] = frozenset()
    exclude_products: frozenset[int] = frozenset()
    exclude_sale_items: bool = False
    payment_methods: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Action:
    type: str
    value: Decimal = ZERO
    per_unit: bool = False
    max_discount: Decimal | None = None
    gift_variation_id: int | None = None
    gift_quantity: int = 1
    buy_quantity: int = 0
    get_quantity: int = 0
    get_percent: Decimal = HUNDRED
    get_products: frozenset[int] = frozenset()
    get_categories: frozenset[int] = frozenset()
    max_applications: int | None = None


@dataclass(frozen=True)
class Promotion:
    id: int
    name: str
    kind: str  # promotion | coupon | flash | wheel | offer
    level: str  # catalogue | basket
    priority: int
    stackable: bool
    starts_at: datetime | None
    ends_at: datetime | None
    conditions: Conditions
    action: Action
    usage_left: int | None = None
    budget_left: Decimal | None = None
    per_user_limit: int | None = None

    @property
    def requires_coupon(self) -> bool:
        """Coupon, wheel and offer campaigns apply only when the customer applied one of their codes."""
        return self.kind in CODE_KINDS


@dataclass(frozen=True)
class FlashDeal:
    id: int
    product_id: int
    variation_id: int | None
    deal_price: Decimal
    starts_at: datetime
    ends_at: datetime
    units_left: int | None = None
    per_user_limit: int | None = None
    title: str | None = None


@dataclass(frozen=True)
class CouponRef:
    """A valid code the customer applied (the caller checked it exists, is active and is theirs)."""

    coupon_id: int
    code: str
    campaign_id: int


@dataclass(frozen=True)
class Customer:
    user_id: int | None = None
    segment: str | None = None
    level: str | None = None
    first_order: bool | None = None
    early_access_minutes: int = 0
    free_shipping: bool = False
    uses: Mapping[tuple[str, int], int] = field(default_factory=dict)  # ("campaign"|"flash", id) → uses


@dataclass(frozen=True)
class Context:
    now: datetime
    customer: Customer = field(default_factory=Customer)
    payment_method: str | None = None
    channel: str | None = None
    coupons: tuple[CouponRef, ...] = ()
    shipping_fee: Decimal = ZERO
    max_discount_percent: Decimal = Decimal("90")
    min_payable: Decimal = Decimal("1.00")


@dataclass(frozen=True)
class BasketLine:
    variation_id: int
    product_id: int
    quantity: int
    unit_price: Decimal
    category_id: int | None = None
    brand_id: int | None = None

    @property
    def gross(self) -> Decimal:
        return money(self.unit_price * self.quantity)


@dataclass(frozen=True)
class LineDiscount:
    claim_key: str
    label: str
    variation_id: int
    amount: Decimal


@dataclass(frozen=True)
class Gift:
    claim_key: str
    variation_id: int
    quantity: int


@dataclass(frozen=True)
class Applied:
    claim_key: str  # "flash:<id>" | "campaign:<id>"
    label: str
    campaign_id: int | None
    coupon_id: int | None
    flash_deal_id: int | None
    discount: Decimal
    free_shipping: bool
    bonus: Decimal
    units: int  # flash deal units, else 1


@dataclass(frozen=True)
class Rejection:
    claim_key: str
    code: str | None
    reason: str


@dataclass
class Outcome:
    discounts: list[LineDiscount] = field(default_factory=list)
    free_shipping: bool = False
    gifts: list[Gift] = field(default_factory=list)
    bonus: Decimal = ZERO
    applied: list[Applied] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    floor: Decimal = ZERO
    capped: bool = False

    @property
    def discount_total(self) -> Decimal:
        return sum((d.amount for d in self.discounts), ZERO)


# -- campaigns.rules ---------------------------------------------------------------------------

def _amount(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"{name}: a decimal number is required")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{name}: a decimal number is required") from None
    if not number.is_finite() or number < 0 or number > MAX_AMOUNT:
        raise ValueError(f"{name}: out of range")
    return money(number)


def _count(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= _MAX_COUNT:
        raise ValueError(f"{name}: an integer from {minimum} is required")
    return value


def _ids(value: Any, name: str) -> frozenset[int]:
    if value is None:
        return frozenset()
    if not isinstance(value, list | tuple):
        raise ValueError(f"{name}: a list of ids is required")
    return frozenset(_count(v, name) for v in value)


def _words(value: Any, name: str, allowed: frozenset[str] | None = None) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list | tuple):
        raise ValueError(f"{name}: a list of names is required")
    words = set()
    for word in value:
        if not isinstance(word, str) or not word.strip() or len(word) > 64:
            raise ValueError(f"{name}: names must be non-empty strings")
        if allowed is not None and word not in allowed:
            raise ValueError(f"{name}: unknown value {word!r}")
        words.add(word.strip())
    return frozenset(words)


def _flag(value: Any, name: str, default: bool | None) -> bool | None:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ValueError(f"{name}: true or false is required")
    return value


def _mapping(value: Any, name: str, keys: frozenset[str]) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{name}: an object is required")
    unknown = set(value) - keys
    if unknown:
        raise ValueError(f"{name}: unknown keys {sorted(map(str, unknown))}")
    return value


def _conditions(raw: Mapping[str, Any]) -> Conditions:
    get = raw.get
    min_subtotal = get("min_subtotal")
    min_quantity = get("min_quantity")
    return Conditions(
        segments=_words(get("segments"), "segments"),
        levels=_words(get("levels"), "levels"),
        first_order=_flag(get("first_order"), "first_order", None),
        min_subtotal=None if min_subtotal is None else _amount(min_subtotal, "min_subtotal"),
        min_quantity=None if min_quantity is None else _count(min_quantity, "min_quantity"),
        products=_ids(get("products"), "products"),
        categories=_ids(get("categories"), "categories"),
        brands=_ids(get("brands"), "brands"),
        exclude_products=_ids(get("exclude_products"), "exclude_products"),
        exclude_sale_items=bool(_flag(get("exclude_sale_items"), "exclude_sale_items", False)),
        payment_methods=_words(get("payment_methods"), "payment_methods", PAYMENT_METHODS),
        channels=_words(get("channels"), "channels", CHANNELS),
    )


def _value(kind: str, raw: Any) -> Decimal:
    if kind in PERCENT_ACTIONS:
        value = _amount(raw, "value")
        if not ZERO < value <= HUNDRED:
            raise ValueError("value: a percentage above 0 and at most 100 is required")
        return value
    if kind in AMOUNT_ACTIONS:
        value = _amount(raw, "value")
        if value <= 0:
            raise ValueError("value: an amount above 0 is required")
        return value
    return ZERO if raw is None else _amount(raw, "value")


def _action(raw: Mapping[str, Any], level: str) -> Action:
    get = raw.get
    kind = get("type")
    if kind not in ACTION_TYPES:
        raise ValueError(f"action.type: one of {', '.join(ACTION_TYPES)} is required")
    if level == "catalogue" and kind not in CATALOGUE_ACTIONS:
        raise ValueError("action.type: catalogue promotions are percent_off or fixed_off only")
    max_discount = get("max_discount")
    get_percent = HUNDRED if get("get_percent") is None else _amount(get("get_percent"), "get_percent")
    if not ZERO < get_percent <= HUNDRED:
        raise ValueError("get_percent: a percentage above 0 and at most 100 is required")
    action = Action(
        type=kind,
        value=_value(kind, get("value")),
        per_unit=bool(_flag(get("per_unit"), "per_unit", False)) or (level == "catalogue" and kind == "fixed_off"),
        max_discount=None if max_discount is None else _amount(max_discount, "max_discount"),
        gift_variation_id=None if get("gift_variation_id") is None else _count(get("gift_variation_id"),
                                                                                  "gift_variation_id"),
        gift_quantity=1 if get("gift_quantity") is None else _count(get("gift_quantity"), "gift_quantity"),
        buy_quantity=0 if get("buy_quantity") is None else _count(get("buy_quantity"), "buy_quantity"),
        get_quantity=0 if get("get_quantity") is None else _count(get("get_quantity"), "get_quantity"),
        get_percent=get_percent,
        get_products=_ids(get("get_products"), "get_products"),
        get_categories=_ids(get("get_categories"), "get_categories"),
        max_applications=None if get("max_applications") is None else _count(get("max_applications"),
                                                                               "max_applications"),
    )
    if action.max_discount is not None and action.max_discount <= 0:
        raise ValueError("max_discount: an amount above 0 is required")
    if kind == "gift_item" and action.gift_variation_id is None:
        raise ValueError("gift_variation_id: required for gift_item")
    if kind == "buy_x_get_y" and (action.buy_quantity < 1 or action.get_quantity < 1):
        raise ValueError("buy_quantity and get_quantity: required for buy_x_get_y")
    return action


def parse_rules(rules: Mapping[str, Any] | None) -> tuple[str, Conditions, Action]:
    """(level, conditions, action) of a campaigns.rules document; ValueError when malformed."""
    raw = _mapping(rules, "rules", frozenset({"level", "conditions", "action"}))
    level = raw.get("level") or "basket"
    if level not in LEVELS:
        raise ValueError("level: catalogue or basket is required")
    if raw.get("action") is None:
        raise ValueError("action: required")
    conditions = _conditions(_mapping(raw.get("conditions"), "conditions", _CONDITION_KEYS))
    return level, conditions, _action(_mapping(raw.get("action"), "action", _ACTION_KEYS), level)


def rules_json(level: str, conditions: Conditions, action: Action) -> dict[str, Any]:
    """The canonical rules document (absent/empty conditions left out, money as strings)."""
    cond: dict[str, Any] = {}
    for key in ("segments", "levels", "products", "categories", "brands", "exclude_products",
                "payment_methods", "channels"):
        values = getattr(conditions, key)
        if values:
            cond[key] = sorted(values)
    if conditions.first_order is not None:
        cond["first_order"] = conditions.first_order
    if conditions.min_subtotal is not None:
        cond["min_subtotal"] = str(money(conditions.min_subtotal))
    if conditions.min_quantity is not None:
        cond["min_quantity"] = conditions.min_quantity
    if conditions.exclude_sale_items:
        cond["exclude_sale_items"] = True
    return {"level": level, "conditions": cond, "action": _action_json(action)}


def _action_json(action: Action) -> dict[str, Any]:
    out: dict[str, Any] = {"type": action.type, "value": str(money(action.value))}
    if action.per_unit:
        out["per_unit"] = True
    if action.max_discount is not None:
        out["max_discount"] = str(money(action.max_discount))
    if action.type == "gift_item":
        out["gift_variation_id"] = action.gift_variation_id
        out["gift_quantity"] = action.gift_quantity
    if action.type == "buy_x_get_y":
        out.update(buy_quantity=action.buy_quantity, get_quantity=action.get_quantity,
                   get_percent=str(money(action.get_percent)))
        if action.get_products:
            out["get_products"] = sorted(action.get_products)
        if action.get_categories:
            out["get_categories"] = sorted(action.get_categories)
    if action.max_applications is not None:
        out["max_applications"] = action.max_applications
    return out
