"""Segments and audiences (campaigns/audience.py): RFM from paid orders when the shop has no ML
segments, the ML service's segment when it has, loyalty levels, keyset walks."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from chalicelib.campaigns import audience
from tests.campaigns.kit import utcnow
from tests.conftest import TenantInfo, make_user


def paid_order(db: Any, tenant_id: int, user_id: int, total: str, *, days_ago: float = 1,
               status: str = "paid") -> int:
    """An order paid `days_ago` days ago (written straight into orders: the RFM reads only these)."""
    at = utcnow() - dt.timedelta(days=days_ago)
    number = f"T{uuid.uuid4().hex[:12].upper()}"
    with db.uow() as uow:
        order_id = uow.insert(
            """INSERT INTO orders (tenant_id, order_number, user_id, status, payment_status, subtotal, grand_total,
                                   paid_total, paid_at, placed_at, created_at)
               VALUES (%s, %s, %s, %s, 'paid', %s, %s, %s, %s, %s, %s)""",
            (tenant_id, number, user_id, status, Decimal(total), Decimal(total), Decimal(total), at, at, at))
        uow.commit()
    return int(order_id)


def ml_segment(db: Any, tenant_id: int, user_id: int, segment: str) -> None:
    db.session().execute(
        """INSERT INTO user_data (tenant_id, user_id, segment, segment_updated_at) VALUES (%s, %s, %s, %s)
           ON DUPLICATE KEY UPDATE segment = VALUES(segment)""", (tenant_id, user_id, segment, utcnow()))


def level(db: Any, tenant_id: int, code: str, user_ids: list[int]) -> None:
    session = db.session()
    level_id = session.insert("INSERT INTO user_levels (tenant_id, code, name) VALUES (%s, %s, %s)",
                              (tenant_id, code, code.title()))
    for user_id in user_ids:
        session.execute("INSERT INTO loyalty_members (tenant_id, user_id, level_id) VALUES (%s, %s, %s)",
                        (tenant_id, user_id, level_id))


def customers(tenant: TenantInfo, n: int) -> list[int]:
    return [make_user(tenant)[0] for _ in range(n)]


def rfm_shop(db: Any, tenant: TenantInfo) -> dict[str, int]:
    """Customers whose RFM segment is known: champion, new, lost, at-risk-ish, none (refunded only)."""
    champion, new, lost, loyal, refunded = customers(tenant, 5)
    for i in range(12):
        paid_order(db, tenant.id, champion, "2500.00", days_ago=3 + i * 20)
    paid_order(db, tenant.id, new, "300.00", days_ago=5)
    paid_order(db, tenant.id, lost, "200.00", days_ago=400)
    for i in range(7):
        paid_order(db, tenant.id, loyal, "1500.00", days_ago=100 + i * 30)
    paid_order(db, tenant.id, refunded, "9000.00", days_ago=2, status="refunded")
    return {"champion": champion, "new": new, "lost": lost, "loyal": loyal, "refunded": refunded}


def test_scores_follow_the_documented_thresholds():
    assert audience.scores(0, 10, Decimal(20000)) == (5, 5, 5)
    assert audience.scores(30, 6, Decimal(7500)) == (5, 4, 4)
    assert audience.scores(31, 5, Decimal("7499.99")) == (4, 3, 3)
    assert audience.scores(240, 2, Decimal(750)) == (2, 2, 2)
    assert audience.scores(241, 1, Decimal("749.99")) == (1, 1, 1)
    assert audience.name_of(5, 5, 5) == "champions"
    assert audience.name_of(5, 1, 1) == "new"
    assert audience.name_of(1, 1, 1) == "lost"
    assert audience.name_of(1, 5, 5) == "cant_lose"
    # Every score combination has a name of the ML service's set.
    names = {audience.name_of(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)}
    assert names <= set(audience.SEGMENTS) and len(names) >= 6


def test_rfm_segments_from_paid_orders(db, tenant):
    shop = rfm_shop(db, tenant)
    got = {name: audience.compute_segment(db.session(), tenant.id, uid) for name, uid in shop.items()}
    assert got["champion"] == "champions"
    assert got["new"] == "new"
    assert got["lost"] == "lost"
    assert got["loyal"] in ("loyal", "at_risk")  # 7 orders, 10500 TRY, last 100 days ago: R2 F4 M4
    assert got["loyal"] == audience.name_of(3, 4, 4)
    assert got["refunded"] is None  # a refunded order is no sale
    # The cached reader agrees, and its cache is per shop and customer.
    assert audience.segment_for(db.session(), tenant.id, shop["champion"]) == "champions"


def test_rfm_members_walk_by_user_id(db, tenant, other_tenant):
    shop = rfm_shop(db, tenant)
    rfm_shop(db, other_tenant)  # another shop's champions never show up
    both = audience.members(db.session(), tenant.id, ["champions", "new"], [], 0, 10)
    assert both == sorted([shop["champion"], shop["new"]])
    first = audience.members(db.session(), tenant.id, ["champions", "new"], [], 0, 1)
    rest = audience.members(db.session(), tenant.id, ["champions", "new"], [], first[-1], 10)
    assert first + rest == both
    assert audience.members(db.session(), tenant.id, ["lost"], [], 0, 10) == [shop["lost"]]
    assert audience.members(db.session(), tenant.id, [], [], 0, 10) == []


def test_ml_segments_are_preferred_once_the_shop_has_them(db, tenant):
    shop = rfm_shop(db, tenant)
    ml_segment(db, tenant.id, shop["new"], "at_risk")  # the service disagrees with our RFM
    session = db.session()
    assert audience.uses_ml(session, tenant.id)
    assert audience.compute_segment(session, tenant.id, shop["new"]) == "at_risk"
    # The shop has ML segments: a customer the service has not segmented has none (no mixing).
    assert audience.compute_segment(session, tenant.id, shop["champion"]) is None
    assert audience.members(session, tenant.id, ["at_risk"], [], 0, 10) == [shop["new"]]
    assert audience.members(session, tenant.id, ["champions"], [], 0, 10) == []


def test_levels_alone_and_with_segments(db, tenant):
    shop = rfm_shop(db, tenant)
    level(db, tenant.id, "gold", [shop["champion"], shop["lost"]])
    session = db.session()
    assert audience.members(session, tenant.id, [], ["gold"], 0, 10) == sorted([shop["champion"], shop["lost"]])
    assert audience.members(session, tenant.id, ["champions", "new"], ["gold"], 0, 10) == [shop["champion"]]
    assert audience.members(session, tenant.id, [], ["silver"], 0, 10) == []


def test_everyone_leaves_out_staff_and_disabled_customers(db, tenant):
    active, disabled = customers(tenant, 2)
    staff_id, _, _ = make_user(tenant, roles=["support"])
    db.session().execute("UPDATE users SET status = 'disabled' WHERE tenant_id = %s AND id = %s", (tenant.id, disabled))
    db.session().execute("UPDATE users SET is_staff = 1 WHERE tenant_id = %s AND id = %s", (tenant.id, staff_id))
    everyone = audience.everyone(db.session(), tenant.id, 0, 100)
    assert active in everyone and disabled not in everyone and staff_id not in everyone


def test_the_names_are_the_ml_services_own():
    """The prototypes are copied from the ML container (the API cannot import it: pandas); this
    keeps the copy and the schemas' Literal in step with it."""
    import ast
    import pathlib
    from typing import get_args

    from chalicelib.campaigns.offers_schemas import Segment

    source = pathlib.Path(__file__).parents[2] / "ml_container" / "huglu_ml" / "segments.py"
    tree = ast.parse(source.read_text())
    found = next(node.value for node in ast.walk(tree) if isinstance(node, ast.AnnAssign)
                 and isinstance(node.target, ast.Name) and node.target.id == "PROTOTYPES")
    assert found is not None and ast.literal_eval(found) == audience.PROTOTYPES
    assert get_args(Segment) == audience.SEGMENTS
