"""Favourites (P10) and back-in-stock alerts (N4); reviews are in reviews.py.

`stock_returned(tenant_id, variation_ids)` answers the inventory's StockReturned event (the
stock-events consumer, events.py) when variations' available stock went from 0 to more: it
e-mails every customer waiting for them, once.

Service functions take the database and plain values (tenant first, then the signed-in user)
and return plain dicts shaped like the schemas' models.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from chalicelib.catalog.api import stock_status
from chalicelib.platform import tenancy
from chalicelib.platform.db import Database, UnitOfWork, get_db
from chalicelib.platform.errors import NotFound
from chalicelib.platform.keyset import Position
from chalicelib.platform.logging import get_logger

from . import alerts_repository as repo
from .errors import EmailRequired, InStock

# stock_returned: alerts handled per transaction, and variation ids per lookup.
ALERT_BATCH = 200
VARIATION_CHUNK = 500
_MAX_BATCHES = 10_000

log = get_logger("engagement")


# -- favourites --------------------------------------------------------------------------------
def list_favorites(db: Database, tenant_id: int, user_id: int, *, after: Position | None,
                   limit: int) -> dict[str, Any]:
    rows = repo.list_favorites(db.session(), tenant_id, user_id, after=after, limit=limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    cursor = repo.FAVORITES.encode_row(rows[-1]) if more else None
    return {"items": [favorite_view(r) for r in rows], "next_cursor": cursor}


def add_favorite(db: Database, tenant_id: int, user_id: int, product_id: int) -> dict[str, Any]:
    """Idempotent: adding it again answers the same favourite.  Active products only."""
    session = db.session()
    if repo.product_status(session, tenant_id, product_id) != "active":
        raise NotFound()
    repo.add_favorite(session, tenant_id, user_id, product_id)
    row = repo.favorite(session, tenant_id, user_id, product_id)
    if row is None:  # the product was deleted in between
        raise NotFound()
    return favorite_view(row)


def remove_favorite(db: Database, tenant_id: int, user_id: int, product_id: int) -> None:
    """Idempotent.  Works for a product that is no longer active (it still sits in the list's
    rows, only hidden), but not for an id the tenant never had."""
    session = db.session()
    if repo.product_status(session, tenant_id, product_id) is None:
        raise NotFound()
    repo.remove_favorite(session, tenant_id, user_id, product_id)


def favorite_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "product_id": row["product_id"], "name": row["name"], "slug": row["slug"], "price": row["base_price"],
        "compare_at_price": row["compare_at_price"], "currency": row["currency"], "image": row["image"],
        "stock_status": stock_status(int(row["available"])), "rating_avg": row["rating_avg"],
        "rating_count": row["rating_count"], "added_at": row["created_at"],
    }


# -- the customer's alerts ---------------------------------------------------------------------
def subscribe(db: Database, tenant_id: int, user_id: int, product_id: int, variation_id: int | None) -> dict[str, Any]:
    """Ask to be e-mailed when the variation (or, without one, any variation of the product) is
    back.  Only while it is out of stock (else InStock).  Idempotent: the same alert again is
    answered with the existing one; one already notified is armed again."""
    session = db.session()
    if repo.product_status(session, tenant_id, product_id) != "active":
        raise NotFound()
    if variation_id is not None:
        found = repo.variation(session, tenant_id, product_id, variation_id)
        if found is None:
            raise NotFound()
        available = int(found["available"])
    else:
        available = repo.product_available(session, tenant_id, product_id)
    if available > 0:
        raise InStock()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        user = repo.lock_user(uow, tenant_id, user_id)  # one writer per user: no duplicate product alerts
        if user is None:
            raise NotFound()
        if not user["email"]:
            raise EmailRequired()
        existing = repo.find_alert(uow, tenant_id, user_id, product_id, variation_id)
        if existing is None:
            alert_id = repo.insert_alert(uow, tenant_id, user_id, product_id, variation_id)
        else:
            alert_id = int(existing["id"])
            if existing["status"] != repo.ACTIVE:
                repo.reactivate_alert(uow, tenant_id, user_id, alert_id)
        row = repo.get_alert(uow, tenant_id, user_id, alert_id)
        if row is None:  # the product or variation was deleted meanwhile (the alert cascaded)
            raise NotFound()
        uow.commit()
        return row

    return alert_view(db.transaction(work))


def list_alerts(db: Database, tenant_id: int, user_id: int, *, before_id: int | None, limit: int) -> dict[str, Any]:
    rows = repo.list_alerts(db.session(), tenant_id, user_id, before_id=before_id, limit=limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    return {"items": [alert_view(r) for r in rows], "next_cursor": rows[-1]["id"] if more else None}


def delete_alert(db: Database, tenant_id: int, user_id: int, alert_id: int) -> None:
    if repo.delete_alert(db.session(), tenant_id, user_id, alert_id) == 0:
        raise NotFound()


def alert_view(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in ("id", "product_id", "product_name", "product_slug", "variation_id",
                                      "variation_name", "status", "created_at", "notified_at")}


# -- stock came back ---------------------------------------------------------------------------
def stock_returned(tenant_id: int, variation_ids: list[int]) -> int:
    """E-mail the customers waiting for `variation_ids`, whose available stock just went from 0
    to more than 0; returns how many e-mails were queued.

    Call it after the stock change has committed, outside any transaction (it runs its own).
    It answers the active alerts of those variations and the product-level alerts of their
    products, but only for variations that are active and available now and products that are
    active (a return that was sold out again meanwhile notifies no one, and the alerts stay).
    Each customer gets one `back_in_stock` e-mail per product, in their language, queued after
    its transaction commits; the alerts answered are marked `notified` in that same
    transaction with a locked, conditional update, so calling this twice, or concurrently,
    sends nothing more.  Alerts of customers who cannot get an e-mail any more (no address,
    account closed) are cancelled.  Unknown ids are ignored; an empty list does nothing.
    """
    ids = sorted({int(v) for v in variation_ids if int(v) > 0})
    if not ids:
        return 0
    db = get_db()
    site = repo.tenant_link_host(db.session(), tenant_id)
    if site is None:
        return 0
    queued = 0
    for start in range(0, len(ids), VARIATION_CHUNK):
        chunk = ids[start:start + VARIATION_CHUNK]

        def work(uow: UnitOfWork, chunk: list[int] = chunk) -> tuple[int, bool]:
            return _answer_batch(uow, tenant_id, chunk, site)

        for _ in range(_MAX_BATCHES):
            sent, more = db.transaction(work)
            queued += sent
            if not more:
                break
    return queued


def _answer_batch(uow: UnitOfWork, tenant_id: int, variation_ids: list[int], site: dict[str, Any]) -> tuple[int, bool]:
    """One transaction: lock up to ALERT_BATCH due alerts, queue the e-mails, close the alerts.
    Returns (e-mails queued, whether there may be more)."""
    candidates = repo.due_alerts(uow, tenant_id, variation_ids, ALERT_BATCH)
    if not candidates:
        return 0, False
    still_active = repo.lock_active_alerts(uow, tenant_id, [int(c["id"]) for c in candidates])
    per_customer: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for row in candidates:
        if int(row["id"]) in still_active:  # not answered by a concurrent call meanwhile
            per_customer[(int(row["user_id"]), int(row["product_id"]))].append(row)
    notified: list[int] = []
    cancelled: list[int] = []
    sent = 0
    for (user_id, _product_id), rows in per_customer.items():
        alert_ids = [int(r["id"]) for r in rows]
        if _email_back_in_stock(uow, tenant_id, user_id, rows[0], site):
            notified += alert_ids
            sent += 1
        else:
            cancelled += alert_ids
    repo.close_alerts(uow, tenant_id, notified, repo.NOTIFIED)
    repo.close_alerts(uow, tenant_id, cancelled, repo.CANCELLED)
    uow.commit()
    return sent, len(candidates) == ALERT_BATCH


def _email_back_in_stock(uow: UnitOfWork, tenant_id: int, user_id: int, row: dict[str, Any],
                         site: dict[str, Any]) -> bool:
    """Queue the e-mail (sent after commit); False when the customer cannot receive one."""
    # Imported here: only the caller of stock_returned (the stock-events function) pays for it;
    # the engagement HTTP function never sends notifications.
    from chalicelib.notifications.api import LANGUAGES, NotificationError, notify

    if row["user_status"] != "active" or not row["email"]:
        return False
    lang = next((x for x in (row["language"], site["default_language"]) if x in LANGUAGES), "tr")
    link = tenancy.shop_link(site["domain"], f"/urun/{row['product_slug']}")
    try:
        notify(uow, tenant_id, channel="email", to=row["email"], template="back_in_stock", lang=lang,
               params={"product": _one_line(row["product_name"]), "link": link}, user_id=user_id)
    except NotificationError as exc:
        log.warning("back-in-stock alert cancelled: e-mail not sendable", extra={"reason": str(exc)})
        return False
    return True


def _one_line(text: str) -> str:
    """A product name as a template parameter: printable, one line, within its length limit."""
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return cleaned[:200] or "-"
