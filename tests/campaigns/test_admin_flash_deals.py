"""Staff flash deals (issue 15, AK): price below the current one, no overlapping active deals on the
same variation or product (also when two staff race), stock limit not below sold, delete or
deactivate, tenancy and permissions."""
from __future__ import annotations

import uuid

from tests.campaigns.admin_kit import campaign_body, create, key, staff
from tests.helpers import simultaneously
from tests.orders_kit import product

BASE = "/api/admin/flash-deals"
WINDOW = {"starts_at": "2026-12-10T09:00:00Z", "ends_at": "2026-12-10T21:00:00Z"}


def _deal(product_id, price="79.90", **extra):
    return {"product_id": product_id, "deal_price": price, **WINDOW, **extra}


def _second_variation(db, tenant_id, product_id, price):
    return db.session().insert("""INSERT INTO product_variations (tenant_id, product_id, sku, name, price, stock)
                                  VALUES (%s, %s, %s, 'XL', %s, 5)""",
                               (tenant_id, product_id, f"SKU-{uuid.uuid4().hex[:8]}", price))


def test_create_get_list_and_audit(admin_api, tenant, db):
    p, v = product(db, tenant.id, price="100.00")
    group = create(admin_api, "/api/admin/campaigns", {"name": "Flaş Cuma", "type": "flash"})["id"]
    made = create(admin_api, BASE, _deal(p, variation_id=v, campaign_id=group, stock_limit=20, per_user_limit=2,
                                         title="Gece  fırsatı"))
    assert (made["deal_price"], made["units_left"], made["sold_count"], made["is_active"]) == ("79.90", 20, 0, True)
    assert made["starts_at"] == "2026-12-10T09:00:00Z" and made["campaign_id"] == group
    assert admin_api.get(f"{BASE}/{made['id']}").json == made
    assert [d["id"] for d in admin_api.get(f"{BASE}?campaign_id={group}").json["items"]] == [made["id"]]
    assert [d["id"] for d in admin_api.get(f"{BASE}?active_at=2026-12-10T10:00:00Z").json["items"]] == [made["id"]]
    assert admin_api.get(f"{BASE}?active_at=2026-12-11T10:00:00Z").json["items"] == []
    assert db.session().scalar("SELECT action FROM admin_logs WHERE tenant_id = %s AND entity_type = 'flash_deal'",
                               (tenant.id,)) == "campaigns.flash_deal.create"


def test_deal_price_must_be_lower(admin_api, tenant, db):
    p, v = product(db, tenant.id, price="100.00")
    _second_variation(db, tenant.id, p, "90.00")
    same = admin_api.post(BASE, _deal(p, "100.00", variation_id=v), headers=key())
    assert same.status_code == 400 and same.json["error"]["code"] == "deal_price_not_lower"
    # A whole-product deal must be below its cheapest variation.
    whole = admin_api.post(BASE, _deal(p, "95.00"), headers=key())
    assert whole.status_code == 400 and whole.json["error"]["details"] == {"price": "90.00"}
    assert create(admin_api, BASE, _deal(p, "0"))["deal_price"] == "0.00"


def test_bad_bodies_are_400(admin_api, tenant, db):
    p, _ = product(db, tenant.id, price="100.00")
    for body in (_deal(p, "-1"), _deal(p, "10.001"), {**_deal(p), "ends_at": WINDOW["starts_at"]},
                 {**_deal(p), "stock_limit": 0}, {**_deal(p), "extra": 1}, {**_deal(p), "product_id": None},
                 {**_deal(p), "title": "a\u0000b"}, {**_deal(p), "starts_at": "yarın"}):
        assert admin_api.post(BASE, body, headers=key()).status_code == 400, body
    assert db.session().scalar("SELECT COUNT(*) FROM flash_deals WHERE tenant_id = %s", (tenant.id,)) == 0


def test_overlapping_active_deals_are_409(admin_api, tenant, db):
    p, v = product(db, tenant.id, price="100.00")
    v2 = _second_variation(db, tenant.id, p, "100.00")
    first = create(admin_api, BASE, _deal(p, variation_id=v))
    clash = admin_api.post(BASE, _deal(p, "70.00", variation_id=v, starts_at="2026-12-10T20:00:00Z",
                                       ends_at="2026-12-11T02:00:00Z"), headers=key())
    assert clash.status_code == 409 and clash.json["error"] == {
        "code": "flash_deal_overlaps", "message": clash.json["error"]["message"], "details": {"flash_deal_id": first["id"]}}
    whole = admin_api.post(BASE, _deal(p, "70.00"), headers=key())  # the whole product covers v
    assert whole.status_code == 409
    create(admin_api, BASE, _deal(p, variation_id=v2))  # another variation: fine
    create(admin_api, BASE, _deal(p, variation_id=v, starts_at="2026-12-10T21:00:00Z",
                                  ends_at="2026-12-10T23:00:00Z"))  # back to back: fine
    create(admin_api, BASE, _deal(p, variation_id=v, is_active=False))  # an inactive one does not count
    reactivate = admin_api.put(f"{BASE}/{first['id']}", {"is_active": True, "deal_price": "60.00"})
    assert reactivate.status_code == 200  # itself is not an overlap


def test_two_staff_racing_for_one_window_get_one_deal(admin_api, tenant, db):
    p, v = product(db, tenant.id, price="100.00")
    results = simultaneously(*[lambda: admin_api.post(BASE, _deal(p, variation_id=v), headers=key())
                               for _ in range(4)])
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409]


def test_put_guards_stock_and_rechecks_price(admin_api, tenant, db):
    p, v = product(db, tenant.id, price="100.00")
    deal = create(admin_api, BASE, _deal(p, variation_id=v, stock_limit=10))
    db.session().execute("UPDATE flash_deals SET sold_count = 6 WHERE tenant_id = %s AND id = %s",
                         (tenant.id, deal["id"]))
    low = admin_api.put(f"{BASE}/{deal['id']}", {"stock_limit": 5})
    assert low.status_code == 409 and low.json["error"]["code"] == "flash_deal_stock_below_sold"
    dear = admin_api.put(f"{BASE}/{deal['id']}", {"deal_price": "150.00"})
    assert dear.status_code == 400 and dear.json["error"]["code"] == "deal_price_not_lower"
    backwards = admin_api.put(f"{BASE}/{deal['id']}", {"ends_at": "2026-12-10T08:00:00Z"})
    assert backwards.status_code == 400
    assert admin_api.put(f"{BASE}/{deal['id']}", {"product_id": p}).status_code == 400  # never moves
    ok = admin_api.put(f"{BASE}/{deal['id']}", {"stock_limit": 6, "title": None, "per_user_limit": 1})
    assert ok.status_code == 200 and (ok.json["units_left"], ok.json["per_user_limit"]) == (0, 1)


def test_delete_removes_unsold_and_deactivates_sold(admin_api, tenant, db):
    p, v = product(db, tenant.id, price="100.00")
    unsold = create(admin_api, BASE, _deal(p, variation_id=v))
    assert admin_api.delete(f"{BASE}/{unsold['id']}").status_code == 204
    assert admin_api.get(f"{BASE}/{unsold['id']}").status_code == 404
    sold = create(admin_api, BASE, _deal(p, variation_id=v))
    db.session().execute("UPDATE flash_deals SET sold_count = 1 WHERE tenant_id = %s AND id = %s",
                         (tenant.id, sold["id"]))
    assert admin_api.delete(f"{BASE}/{sold['id']}").status_code == 204
    assert admin_api.get(f"{BASE}/{sold['id']}").json["is_active"] is False


def test_other_tenants_product_and_deal_are_404(admin_api, tenant, other_tenant, db):
    theirs, their_variation = product(db, other_tenant.id, price="100.00")
    refused = admin_api.post(BASE, _deal(theirs), headers=key())
    assert refused.status_code == 404 and refused.json["error"]["code"] == "flash_deal_product_not_found"
    mine, _ = product(db, tenant.id, price="100.00")
    wrong = admin_api.post(BASE, _deal(mine, variation_id=their_variation), headers=key())
    assert wrong.status_code == 404
    their_campaign = admin_api.post(BASE, _deal(mine, campaign_id=10**12), headers=key())
    assert their_campaign.status_code == 404 and their_campaign.json["error"]["code"] == "campaign_not_found"
    deal_id = db.session().insert(
        """INSERT INTO flash_deals (tenant_id, product_id, deal_price, starts_at, ends_at)
           VALUES (%s, %s, 50, '2026-12-10 09:00:00', '2026-12-10 21:00:00')""", (other_tenant.id, theirs))
    assert admin_api.get(f"{BASE}/{deal_id}").status_code == 404
    assert admin_api.put(f"{BASE}/{deal_id}", {"title": "x"}).status_code == 404
    assert admin_api.delete(f"{BASE}/{deal_id}").status_code == 404


def test_permissions(client, tenant, admin_api, db):
    p, _ = product(db, tenant.id, price="100.00")
    support = staff(client, tenant, "support")
    assert support.get(BASE).status_code == 403
    assert support.post(BASE, _deal(p), headers=key()).status_code == 403
    assert admin_api.post(BASE, _deal(p)).status_code == 400  # Idempotency-Key required
    assert campaign_body()  # the kit's body builder stays importable for the fuzz seeds
