"""Personalised offers (K3): a personal code of an 'offer' campaign for every customer of a segment.

    issue(db, tenant_id, staff_id, campaign_id, request, header)
        1. a replayed Idempotency-Key answers the first request's counts;
        2. the campaign must be this shop's, of type offer and not deleted (404 / 409);
        3. the audience (audience.members: segments and / or levels) is walked by user id in batches
           of BATCH; each batch is one transaction: lock the campaign row (so runs of one campaign
           take turns), leave out customers who already hold a code of it, one multi-row INSERT
           IGNORE of fresh random codes (a code colliding with another coupon is skipped by the
           unique key and drawn again), and, when asked, a campaign message to each new holder
           (notifications.api.send, category "campaign": consent and quiet hours apply; its
           message id "offer-<campaign>-<user>" makes a repeat send nothing);
        4. the answer (counts) is recorded under the key with an audit row.
    One code per customer per campaign: running it again issues codes only to new members.  A run
    that stopped half-way (a crash) leaves whole batches done; running it again finishes the rest.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from functools import partial
from typing import Any

from chalicelib.platform import audit, idempotency
from chalicelib.platform.db import Database, UnitOfWork

from . import audience
from . import offers_repository as repo
from .errors import CampaignNotFound, CampaignNotOffer

ISSUE = idempotency.Operation("campaigns_offer_issue")
BATCH = 500
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0, O, 1, I, L: nothing to misread
CODE_LENGTH = 10  # 31^10 ≈ 8e14 codes: guessing one is hopeless, and the coupon routes rate-limit it
CODE_PREFIX = "OF"
DRAWS = 5  # rounds of fresh codes for rows a collision skipped
OFFERS_SHOWN = 100


@dataclass(frozen=True)
class Notify:
    channels: tuple[str, ...]
    title: str
    body: str
    deep_link: str


@dataclass(frozen=True)
class OfferRequest:
    segments: tuple[str, ...]
    levels: tuple[str, ...]
    valid_days: int
    usage_limit_per_code: int
    notify: Notify | None


@dataclass(frozen=True)
class Issued:
    counts: dict[str, int]
    replayed: bool


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def new_code() -> str:
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def message_of(notify: Notify, code: str) -> str:
    """The body with `{code}` replaced by the customer's code, or the code appended."""
    if "{code}" in notify.body:
        return notify.body.replace("{code}", code)
    return f"{notify.body} {code}"


def _check(campaign: dict[str, Any] | None) -> None:
    if campaign is None:
        raise CampaignNotFound()
    if campaign["type"] != "offer" or campaign["deleted_at"] is not None:
        raise CampaignNotOffer()


def issue(db: Database, tenant_id: int, staff_id: int, campaign_id: int, request: OfferRequest,
          header: str | None) -> Issued:
    payload = {"campaign_id": campaign_id, **_plain(request)}
    key = idempotency.key(tenant_id, ISSUE, staff_id, header, payload)
    earlier = idempotency.lookup(db.session(), key)
    if earlier is not None:
        return Issued(dict(earlier.body), replayed=True)
    _check(repo.campaign(db.session(), tenant_id, campaign_id))
    now = _now()
    window = (now, now + dt.timedelta(days=request.valid_days))
    counts = {"campaign_id": campaign_id, "audience": 0, "issued": 0, "already_had": 0, "notified": 0}
    after = 0
    while True:
        members = audience.members(db.session(), tenant_id, request.segments, request.levels, after, BATCH)
        if not members:
            break
        after = members[-1]
        done = db.transaction(partial(_issue_batch, tenant_id=tenant_id, staff_id=staff_id, campaign_id=campaign_id,
                                      user_ids=members, request=request, window=window))
        counts["audience"] += len(members)
        for name, value in done.items():
            counts[name] += value
    return db.transaction(lambda uow: _record(uow, tenant_id, campaign_id, key, counts, payload))


def _issue_batch(uow: UnitOfWork, tenant_id: int, staff_id: int, campaign_id: int, user_ids: list[int],
                 request: OfferRequest, window: tuple[dt.datetime, dt.datetime]) -> dict[str, int]:
    _check(repo.lock_campaign(uow, tenant_id, campaign_id))
    had = repo.holders(uow, tenant_id, campaign_id, user_ids)
    new = [u for u in user_ids if u not in had]
    codes: dict[int, str] = {}
    missing = list(new)
    for _ in range(DRAWS):
        if not missing:
            break
        repo.insert_codes(uow, tenant_id, campaign_id, {u: new_code() for u in missing},
                          usage_limit=request.usage_limit_per_code, starts_at=window[0], ends_at=window[1],
                          created_by=staff_id)
        codes = repo.codes_of(uow, tenant_id, campaign_id, new)
        missing = [u for u in new if u not in codes]
    if missing:
        raise RuntimeError(f"no free code for {len(missing)} customers after {DRAWS} draws")
    notified = _notify(uow, tenant_id, campaign_id, codes, request.notify)
    uow.commit()
    return {"issued": len(new), "already_had": len(had), "notified": notified}


def _notify(uow: UnitOfWork, tenant_id: int, campaign_id: int, codes: dict[int, str], notify: Notify | None) -> int:
    if notify is None:
        return 0
    from chalicelib.notifications import api as notifications  # lazy: only runs that notify need it

    for user_id, code in codes.items():
        data = {"headline": notify.title, "message": message_of(notify, code), "link": notify.deep_link}
        notifications.send(uow, tenant_id, user_id, "campaign", "campaign", data, channels=notify.channels,
                           message_id=f"offer-{campaign_id}-{user_id}")
    return len(codes)


def _record(uow: UnitOfWork, tenant_id: int, campaign_id: int, key: idempotency.Key | None, counts: dict[str, int],
            payload: dict[str, Any]) -> Issued:
    earlier = idempotency.claim(uow, key)
    if earlier is not None:
        return Issued(dict(earlier.body), replayed=True)
    idempotency.record(uow, key, 201, counts)
    audit.record(uow, tenant_id, "campaigns.offers.issue", entity_type="campaign", entity_id=campaign_id,
                 after={**payload, **counts})
    uow.commit()
    return Issued(counts, replayed=False)


def _plain(request: OfferRequest) -> dict[str, Any]:
    notify = request.notify
    return {"segments": list(request.segments), "levels": list(request.levels), "valid_days": request.valid_days,
            "usage_limit_per_code": request.usage_limit_per_code,
            "notify": None if notify is None else {"channels": list(notify.channels), "title": notify.title,
                                                   "body": notify.body, "deep_link": notify.deep_link}}


# -- reads ---------------------------------------------------------------------------------------------
def stats(db: Database, tenant_id: int, campaign_id: int) -> dict[str, int]:
    session = db.reader()
    if repo.campaign(session, tenant_id, campaign_id) is None:
        raise CampaignNotFound()
    return {"campaign_id": campaign_id, **repo.stats(session, tenant_id, campaign_id, _now())}


def my_offers(db: Database, tenant_id: int, user_id: int) -> list[dict[str, Any]]:
    rows = repo.customer_offers(db.reader(), tenant_id, user_id, _now(), OFFERS_SHOWN)
    for row in rows:
        limit, used = row["usage_limit"], int(row["used_count"])
        row["used"] = used > 0
        row["usable"] = limit is None or used < int(limit)
    return rows
