"""The discount wheel (K4, issue 15): the customer's wheel and spin, and the staff's prizes.

A wheel is a campaign of type "wheel" with weighted prizes (wheel_prizes): label, kind
(percent_coupon, fixed_coupon, free_shipping, bonus, nothing), value, weight, stock (null:
unlimited), valid_days, sort_order.  A coupon prize has a hidden campaign of its own (type wheel,
so it applies only with a code; rules {"level": "basket", "action": {percent_off | fixed_off |
free_shipping, value}}; active, priority 0, not stackable): a won coupon points at it.  Changing a
coupon prize's kind or value makes a new hidden campaign, so coupons already won keep the
discount they were won with; deleting a prize takes it off the wheel and leaves won coupons valid.

Spin period: one spin per customer per period, the tenant's `settings.campaigns.wheel_period` -
"day" (the default), "week" (ISO week) or "campaign" (once per wheel) - in Turkish time (UTC+3).
Campaign rules are the engine's (model.parse_rules refuses unknown keys), so the period is not
kept there.

A spin, in one transaction (lock order: the Idempotency-Key row → the spin row → a prize row →
the coupon or the wallet's entries):
  1. the Idempotency-Key is claimed: a retry answers the first spin;
  2. the spin row is inserted: discount_wheel_spins.ux_period refuses a second spin of the period
     (409 wheel_already_spun with next_spin_at); a concurrent one waits on the row, so exactly one
     spin per period wins;
  3. the prize is drawn on the server (wheel_draw.draw with secrets.SystemRandom) among prizes with
     stock left, and one unit of its stock claimed by a conditional UPDATE; a prize that ran out
     meanwhile leaves the draw and the rest are drawn again with their configured weights;
  4. the prize is given: a personal single-use coupon (code W + 9 characters, valid now..now +
     valid_days), HPay bonus through wallet.api.grant_bonus (transfer id "wheel-<spin id>",
     lasting valid_days), or nothing;
  5. the spin row records the prize; the answer names the slot the app animates to.
"""
from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

from chalicelib.platform import audit, idempotency
from chalicelib.platform.context import Tenant
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.wallet import api as wallet

from . import active
from . import wheel_repository as repo
from .errors import (
    CampaignNotFound,
    CampaignNotWheel,
    PrizeNotFound,
    PrizeStockBelowAwarded,
    WheelAlreadySpun,
    WheelNotFound,
    WheelSoldOut,
)
from .model import parse_rules
from .wheel_draw import Candidate, NothingLeft, draw

SPIN = idempotency.Operation("campaigns_wheel_spin")
PERIODS = ("day", "week", "campaign")
TURKEY = dt.timezone(dt.timedelta(hours=3))  # no DST since 2016
COUPON_ACTIONS = {"percent_coupon": "percent_off", "fixed_coupon": "fixed_off", "free_shipping": "free_shipping"}
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0, O, 1, I, L
CODE_ATTEMPTS = 5


# -- periods --------------------------------------------------------------------------------------
def wheel_period(tenant_settings: dict[str, Any] | None) -> str:
    value = ((tenant_settings or {}).get("campaigns") or {}).get("wheel_period")
    return value if value in PERIODS else "day"


def period_of(period: str, now: dt.datetime) -> tuple[str, dt.date, dt.datetime | None]:
    """(period key, the Turkish date, when the next period starts (naive UTC; None: never))."""
    local = now.replace(tzinfo=dt.UTC).astimezone(TURKEY)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        key, start = local.date().isoformat(), midnight + dt.timedelta(days=1)
    elif period == "week":
        year, week, weekday = local.isocalendar()
        key, start = f"{year}-W{week:02d}", midnight + dt.timedelta(days=8 - weekday)
    else:
        return "campaign", local.date(), None
    return key, local.date(), start.astimezone(dt.UTC).replace(tzinfo=None)


def _next_spin(wheel: dict[str, Any], period: str, now: dt.datetime) -> dt.datetime | None:
    upcoming = period_of(period, now)[2]
    if upcoming is None or (wheel["ends_at"] is not None and upcoming >= wheel["ends_at"]):
        return None
    return upcoming


# -- the customer's wheel -----------------------------------------------------------------------------
def wheel(db: Database, tenant: Tenant, user_id: int | None, now: dt.datetime | None = None) -> dict[str, Any]:
    """The running wheel: its slots (no weights), whether the customer may spin, and when next."""
    now = now or utcnow()
    session = db.session()
    found = repo.active_wheel(session, tenant.id, now)
    if found is None:
        raise WheelNotFound()
    period = wheel_period(tenant.settings)
    spun = user_id is not None and repo.spin_in_period(session, tenant.id, int(found["id"]), user_id,
                                                       period_of(period, now)[0]) is not None
    return {"campaign_id": found["id"], "name": found["name"], "description": found["description"],
            "ends_at": found["ends_at"], "period": period, "slots": _slots(repo.slots(session, tenant.id, found["id"])),
            "can_spin": user_id is not None and not spun,
            "next_spin_at": _next_spin(found, period, now) if spun else None}


def _slots(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"index": i, "prize_id": r["id"], "label": r["label"], "kind": r["kind"], "value": r["value"]}
            for i, r in enumerate(rows)]


def spin(db: Database, tenant: Tenant, user_id: int, header: str | None,
         now: dt.datetime | None = None) -> tuple[dict[str, Any], bool]:
    """Spin once (see the module docstring): (the spin's answer, whether it is a replay)."""
    now = now or utcnow()
    key = idempotency.key(tenant.id, SPIN, user_id, header, {})
    rng = secrets.SystemRandom()

    def work(uow: UnitOfWork) -> tuple[int, bool]:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return int(earlier.body["spin_id"]), True
        found = repo.active_wheel(uow, tenant.id, now)
        if found is None:
            raise WheelNotFound()
        period = wheel_period(tenant.settings)
        period_key, spin_date, _ = period_of(period, now)
        spin_id = repo.insert_spin(uow, tenant.id, int(found["id"]), user_id, spin_date, period_key)
        if spin_id is None:
            upcoming = _next_spin(found, period, now)
            raise WheelAlreadySpun(None if upcoming is None else upcoming.isoformat() + "Z")
        prize = _draw_and_claim(uow, tenant.id, repo.slots(uow, tenant.id, int(found["id"])), rng)
        coupon_id = _give(uow, tenant, user_id, spin_id, prize, now)
        snapshot = {k: prize[k] for k in ("id", "label", "kind", "value", "valid_days")}
        repo.finish_spin(uow, tenant.id, spin_id, snapshot, int(prize["id"]), coupon_id)
        idempotency.record(uow, key, 201, {"spin_id": spin_id})
        uow.commit()
        return spin_id, False

    spin_id, replayed = db.transaction(work)
    return spin_view(db, tenant, user_id, spin_id, now), replayed


def _draw_and_claim(uow: UnitOfWork, tenant_id: int, prizes: list[dict[str, Any]], rng: Any) -> dict[str, Any]:
    """Draw among prizes with stock left; claim one unit; a prize that ran out meanwhile leaves
    the draw and the rest are drawn again (their configured weights unchanged)."""
    by_id = {int(p["id"]): p for p in prizes}
    candidates: list[Candidate] = [(int(p["id"]), int(p["weight"]),
                                    None if p["stock"] is None else int(p["stock"]) - int(p["awarded"]))
                                   for p in prizes]
    while True:
        try:
            chosen = draw(candidates, rng)
        except NothingLeft:
            raise WheelSoldOut() from None
        if repo.claim_prize(uow, tenant_id, chosen):
            return by_id[chosen]
        candidates = [c for c in candidates if c[0] != chosen]


def _give(uow: UnitOfWork, tenant: Tenant, user_id: int, spin_id: int, prize: dict[str, Any],
          now: dt.datetime) -> int | None:
    """The prize becomes a coupon (its id), bonus in the wallet, or nothing."""
    days = int(prize["valid_days"])
    if prize["kind"] == "bonus":
        wallet.grant_bonus(uow, tenant.id, user_id, Decimal(prize["value"]), transfer_id=f"wheel-{spin_id}",
                           days=days, currency=tenant.currency, description=str(prize["label"]))
        return None
    if prize["kind"] not in COUPON_ACTIONS or prize["prize_campaign_id"] is None:
        return None
    for _ in range(CODE_ATTEMPTS):
        code = "W" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(9))
        coupon_id = repo.insert_coupon(uow, tenant.id, int(prize["prize_campaign_id"]), user_id, code, now,
                                       now + dt.timedelta(days=days), str(prize["label"]))
        if coupon_id is not None:
            return coupon_id
    raise RuntimeError("no free wheel coupon code after several draws")  # 31^9 codes: never in practice


def spin_view(db: Database, tenant: Tenant, user_id: int, spin_id: int, now: dt.datetime) -> dict[str, Any]:
    import json

    session = db.session()
    row = repo.spin(session, tenant.id, user_id, spin_id)
    assert row is not None  # committed by this customer's spin
    prize = row["prize"] if isinstance(row["prize"], dict) else json.loads(row["prize"])
    slots = repo.slots(session, tenant.id, int(row["campaign_id"]))
    index = next((i for i, s in enumerate(slots) if int(s["id"]) == row["prize_id"]), None)
    found = repo.active_wheel(session, tenant.id, now)
    upcoming = _next_spin(found, wheel_period(tenant.settings), now) if found else None
    return {"spin_id": row["id"], "slot_index": index,
            "prize": {"id": prize["id"], "label": prize["label"], "kind": prize["kind"],
                      "value": Decimal(str(prize["value"]))},
            "coupon": None if row["coupon_code"] is None else {"code": row["coupon_code"],
                                                                "ends_at": row["coupon_ends_at"]},
            "bonus": Decimal(str(prize["value"])) if prize["kind"] == "bonus" else None,
            "valid_days": prize["valid_days"], "next_spin_at": upcoming, "spun_at": row["created_at"]}


# -- staff: prizes ----------------------------------------------------------------------------------
def _wheel_campaign(session: Any, tenant_id: int, campaign_id: int) -> dict[str, Any]:
    found = repo.campaign(session, tenant_id, campaign_id)
    if found is None or found["deleted_at"] is not None:
        raise CampaignNotFound()
    if found["type"] != "wheel" or found["is_prize_campaign"]:
        raise CampaignNotWheel()
    return found


def list_prizes(db: Database, tenant_id: int, campaign_id: int) -> list[dict[str, Any]]:
    session = db.session()
    _wheel_campaign(session, tenant_id, campaign_id)
    return _with_odds(repo.prizes(session, tenant_id, campaign_id))


def _with_odds(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each prize's chance now (percent): its weight over the weights of prizes with stock left."""
    def live(r: dict[str, Any]) -> bool:
        return r["stock"] is None or int(r["awarded"]) < int(r["stock"])

    total = sum(int(r["weight"]) for r in rows if live(r))
    return [{**r, "odds_percent": (Decimal(100 * int(r["weight"])) / total).quantize(Decimal("0.01"))
             if total and live(r) else Decimal("0.00")} for r in rows]


def _shown(db: Database, tenant_id: int, prize_id: int) -> dict[str, Any]:
    """A prize as staff see it, with its odds among its wheel's prizes."""
    session = db.session()
    row = repo.prize(session, tenant_id, prize_id)
    assert row is not None  # committed just now
    return next(r for r in _with_odds(repo.prizes(session, tenant_id, int(row["campaign_id"]))) if r["id"] == prize_id)


def _rules(kind: str, value: Decimal) -> dict[str, Any]:
    action: dict[str, Any] = {"type": COUPON_ACTIONS[kind]}
    if kind != "free_shipping":
        action["value"] = format(value, "f")
    rules = {"level": "basket", "conditions": {}, "action": action}
    parse_rules(rules)  # the engine must read what the wheel writes (ValueError: a bug here)
    return rules


def _prize_campaign(uow: UnitOfWork, tenant_id: int, wheel_name: str, values: dict[str, Any],
                    before: dict[str, Any] | None, staff_id: int | None) -> int | None:
    """The hidden campaign of a coupon prize: kept while kind and value stay, else a new one."""
    if values["kind"] not in COUPON_ACTIONS:
        return None
    if before is not None and before["prize_campaign_id"] is not None and before["kind"] == values["kind"] \
            and Decimal(before["value"]) == values["value"]:
        return int(before["prize_campaign_id"])
    return repo.insert_prize_campaign(uow, tenant_id, f"{wheel_name} · {values['label']}",
                                      _rules(values["kind"], values["value"]), staff_id)


def add_prize(db: Database, tenant_id: int, campaign_id: int, values: dict[str, Any],
              staff_id: int | None) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> int:
        found = _wheel_campaign(uow, tenant_id, campaign_id)
        values["prize_campaign_id"] = _prize_campaign(uow, tenant_id, found["name"], values, None, staff_id)
        prize_id = repo.insert_prize(uow, tenant_id, campaign_id, values)
        audit.record(uow, tenant_id, "campaigns.prize_created", entity_type="wheel_prize", entity_id=prize_id,
                     after={**values, "campaign_id": campaign_id})
        uow.on_commit(lambda: active.invalidate(tenant_id))
        uow.commit()
        return prize_id

    return _shown(db, tenant_id, db.transaction(work))


def update_prize(db: Database, tenant_id: int, prize_id: int, values: dict[str, Any],
                 staff_id: int | None) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> int:
        before = repo.prize(uow, tenant_id, prize_id, lock=True)
        if before is None:
            raise PrizeNotFound()
        if values["stock"] is not None and values["stock"] < int(before["awarded"]):
            raise PrizeStockBelowAwarded(int(before["awarded"]))
        found = repo.campaign(uow, tenant_id, int(before["campaign_id"]))
        assert found is not None  # wheel_prizes.campaign_id is a foreign key
        values["prize_campaign_id"] = _prize_campaign(uow, tenant_id, found["name"], values, before, staff_id)
        repo.update_prize(uow, tenant_id, prize_id, values)
        audit.record(uow, tenant_id, "campaigns.prize_updated", entity_type="wheel_prize", entity_id=prize_id,
                     before=before, after=values)
        uow.on_commit(lambda: active.invalidate(tenant_id))
        uow.commit()
        return prize_id

    return _shown(db, tenant_id, db.transaction(work))


def delete_prize(db: Database, tenant_id: int, prize_id: int) -> None:
    """Take a prize off its wheel; coupons already won with it stay valid."""
    def work(uow: UnitOfWork) -> None:
        before = repo.prize(uow, tenant_id, prize_id, lock=True)
        if before is None:
            raise PrizeNotFound()
        repo.deactivate_prize(uow, tenant_id, prize_id)
        audit.record(uow, tenant_id, "campaigns.prize_deleted", entity_type="wheel_prize", entity_id=prize_id,
                     before=before)
        uow.on_commit(lambda: active.invalidate(tenant_id))
        uow.commit()

    db.transaction(work)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
