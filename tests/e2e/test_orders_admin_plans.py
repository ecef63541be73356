"""The admin order list at 10k seeded orders (plus another tenant's 2k): every filtered,
searched and sorted walk through the pages equals a brute-force filter and sort of the seeded
rows, and EXPLAIN shows the page's ids read from the index each main filter is meant to use
(chalicelib/orders/admin_repository.py lists them)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.orders import admin_repository as repo
from chalicelib.orders import admin_service as service
from chalicelib.orders.admin_schemas import OrderListQuery
from chalicelib.platform.db import get_db
from tests.conftest import make_tenant
from tests.e2e.orders_admin_kit import seed_orders


@pytest.fixture(scope="module")
def seeded(database: str) -> dict[str, Any]:
    db = get_db()
    mine, theirs = make_tenant(), make_tenant()
    orders = seed_orders(db, mine.id, 10_000, seed=11)
    seed_orders(db, theirs.id, 2_000, seed=12)
    return {"tenant_id": mine.id, "orders": orders}


def _walk(db: Any, tenant_id: int, params: dict[str, Any]) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        query = OrderListQuery.model_validate({**params, "limit": 100, **({"cursor": cursor} if cursor else {})})
        page = service.list_orders(db, tenant_id, query)
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


def test_filtered_pages_at_10k_orders_match_a_brute_force_filter(seeded):
    db, tenant_id, orders = get_db(), seeded["tenant_id"], seeded["orders"]
    march = (dt.datetime(2024, 2, 29, 21), dt.datetime(2024, 3, 31, 21))  # March in Turkey, in UTC
    sample = orders[17]
    cases = [
        ({"status": ["shipped"]}, lambda o: o["status"] == "shipped", "newest"),
        ({"payment_method": "eft", "placed_from": "2024-03-01", "placed_to": "2024-03-31", "sort": "oldest"},
         lambda o: o["payment_method"] == "eft" and march[0] <= o["created_at"] < march[1], "oldest"),
        ({"min_total": "1000", "max_total": "1500", "sort": "amount_desc"},
         lambda o: Decimal(1000) <= o["grand_total"] <= Decimal(1500), "amount_desc"),
        ({"q": "Şule", "payment_status": ["refund_pending"]},
         lambda o: o["payment_status"] == "refund_pending" and (o["first_name"].startswith("Şule")
                                                                or o["last_name"].startswith("Şule")), "newest"),
        ({"customer_email": sample["contact_email"]}, lambda o: o["contact_email"] == sample["contact_email"], "newest"),
        ({"q": "S2403", "sort": "oldest"}, lambda o: o["order_number"].startswith("S2403"), "oldest"),
        ({"q": "s24", "status": ["returned"]}, lambda o: o["order_number"].startswith("S24")
         and o["status"] == "returned", "newest"),  # too short to force the number index
    ]
    keys = {"newest": (lambda o: (o["created_at"], o["id"]), True), "oldest": (lambda o: (o["created_at"], o["id"]), False),
            "amount_desc": (lambda o: (o["grand_total"], o["id"]), True)}
    for params, keep, sort in cases:
        key, descending = keys[sort]
        want = [o["id"] for o in sorted(filter(keep, orders), key=key, reverse=descending)]
        assert want, params
        assert _walk(db, tenant_id, params) == want, params


PLANS = [  # (filters, sort, the index the page's ids must come from)
    (repo.Filters(), "newest", {"ix_created"}),
    (repo.Filters(), "amount_desc", {"ix_grand_total"}),
    (repo.Filters(statuses=["shipped"]), "newest", {"ix_status_created"}),
    (repo.Filters(statuses=["delivered"], placed_from=dt.datetime(2024, 3, 1), placed_to=dt.datetime(2024, 4, 1)),
     "newest", {"ix_status_created"}),
    (repo.Filters(placed_from=dt.datetime(2024, 3, 1), placed_to=dt.datetime(2024, 4, 1)), "newest", {"ix_created"}),
    (repo.Filters(payment_method="eft"), "newest", {"ix_payment_method"}),
    (repo.Filters(min_total=Decimal(5000), max_total=Decimal(5100)), "amount_asc", {"ix_grand_total"}),
    (repo.Filters(**service.search_terms("S240315")), "newest", {"ux_order_number"}),
    (repo.Filters(**service.search_terms("S2403")), "newest", {"ux_order_number"}),  # a month: forced
]


def test_the_page_ids_come_from_an_index_for_the_main_filters(seeded):
    session, tenant_id = get_db().session(), seeded["tenant_id"]
    sample = seeded["orders"][5]
    plans = [*PLANS, (repo.Filters(customer_id=sample["user_id"]), "newest", {"ix_user"}),
             (repo.Filters(customer_email=sample["contact_email"]), "newest", {"ix_email"}),
             (repo.Filters(**service.search_terms(sample["order_number"])), "newest", {"ux_order_number"})]
    for filters, sort, indexes in plans:
        sql, params = repo.list_statement(tenant_id, filters, sort=sort, after=None, limit=21)
        inner = [r for r in session.all("EXPLAIN " + sql, params) if r["table"] == "o" and r["select_type"] == "DERIVED"]
        assert inner and inner[0]["key"] in indexes and inner[0]["type"] != "ALL", (filters, inner)
    # a name search reads the customers' name index, then their orders by ix_user
    sql, params = repo.list_statement(tenant_id, repo.Filters(**service.search_terms("Şule Koç")), sort="newest",
                                      after=None, limit=21)
    keys = {(r["table"], r["key"]) for r in session.all("EXPLAIN " + sql, params)}
    assert {("u", "ix_name"), ("o", "ix_user")} <= keys, keys
    plan = session.all("EXPLAIN " + repo.STATUS_COUNTS, (tenant_id,))
    assert plan[0]["key"] == "ix_status_created" and "Using index" in plan[0]["Extra"]
