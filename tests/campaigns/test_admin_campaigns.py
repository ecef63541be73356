"""Staff campaigns CRUD (issue 15, AK): validation of the rules, limits, soft delete, keyset
listing, audit rows, invalidation of the live set, permissions and tenancy."""
from __future__ import annotations

import uuid

import pytest

from tests.campaigns.admin_kit import campaign_body, create, key, staff
from tests.orders_kit import fill_cart, product, shopper

BASE = "/api/admin/campaigns"


def _errors(response):
    return {(e.get("field"), e.get("type")) for e in response.json["error"]["details"]["fields"]}


def test_create_get_and_audit(admin_api, tenant, db):
    body = campaign_body(
        rules={"level": "basket",
               "conditions": {"min_subtotal": "500", "categories": [3, 3, 7], "payment_methods": ["card"],
                              "segments": ["champions"], "first_order": None},
               "action": {"type": "percent_off", "value": 15, "max_discount": "200.00"}},
        priority=5, stackable=True, status="active", starts_at="2026-01-01T00:00:00Z",
        ends_at="2026-02-01T00:00:00+03:00", budget="1000.50", usage_limit=100, usage_limit_per_user=1)
    made = create(admin_api, BASE, body)
    assert made["rules"] == {"level": "basket",
                             "conditions": {"min_subtotal": "500.00", "categories": [3, 7], "payment_methods": ["card"],
                                            "segments": ["champions"]},
                             "action": {"type": "percent_off", "value": "15.00", "max_discount": "200.00"}}
    assert made["ends_at"] == "2026-01-31T21:00:00Z"
    assert (made["budget"], made["budget_left"], made["usage_left"], made["used_count"]) == ("1000.50", "1000.50",
                                                                                           100, 0)
    got = admin_api.get(f"{BASE}/{made['id']}")
    assert got.status_code == 200 and got.json == made
    logged = db.session().one("SELECT action, entity_id FROM admin_logs WHERE tenant_id = %s AND entity_type = "
                              "'campaign'", (tenant.id,))
    assert logged == {"action": "campaigns.create", "entity_id": str(made["id"])}


def test_create_needs_an_idempotency_key_and_replays(admin_api):
    assert admin_api.post(BASE, campaign_body()).status_code == 400
    headers = key()
    first = admin_api.post(BASE, campaign_body(), headers=headers)
    again = admin_api.post(BASE, campaign_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"] and again.headers.get("Idempotent-Replayed") == "true"
    other = admin_api.post(BASE, campaign_body(name="Başka"), headers=headers)
    assert other.status_code == 409 and other.json["error"]["code"] == "idempotency_key_reused"


@pytest.mark.parametrize(("rules", "field"), [
    ({"action": {"type": "percent_off", "value": "0"}}, "rules.action"),
    ({"action": {"type": "percent_off", "value": "100.01"}}, "rules.action"),
    ({"action": {"type": "fixed_off", "value": "-5"}}, "rules.action.value"),
    ({"action": {"type": "fixed_off", "value": "10.005"}}, "rules.action.value"),
    ({"action": {"type": "fixed_off"}}, "rules.action"),
    ({"action": {"type": "percent_off", "value": "10", "surprise": 1}}, "rules.action.surprise"),
    ({"action": {"type": "percent_off", "value": "10"}, "extra": {}}, "rules.extra"),
    ({"action": {"type": "free_shipping"}, "level": "catalogue"}, "rules"),
    ({"action": {"type": "gift_item"}}, "rules.action"),
    ({"action": {"type": "buy_x_get_y", "buy_quantity": 2}}, "rules.action"),
    ({"action": {"type": "percent_off", "value": "10"}, "conditions": {"products": [0]}},
     "rules.conditions.products.0"),
    ({"action": {"type": "percent_off", "value": "10"}, "conditions": {"products": list(range(1, 502))}},
     "rules.conditions.products"),
    ({"action": {"type": "percent_off", "value": "10"}, "conditions": {"payment_methods": ["bitcoin"]}},
     "rules.conditions.payment_methods.0"),
    ({"action": {"type": "nothing"}}, "rules.action.type"),
    ({"action": None}, "rules.action"),
])
def test_bad_rules_are_400_and_change_nothing(admin_api, tenant, db, rules, field):
    response = admin_api.post(BASE, campaign_body(rules=rules), headers=key())
    assert response.status_code == 400, response.body
    assert field in {f for f, _ in _errors(response)}
    assert db.session().scalar("SELECT COUNT(*) FROM campaigns WHERE tenant_id = %s", (tenant.id,)) == 0


@pytest.mark.parametrize(("body", "field"), [
    (campaign_body(priority=1001), "priority"),
    (campaign_body(starts_at="2026-02-01T00:00:00Z", ends_at="2026-02-01T00:00:00Z"), None),
    (campaign_body(type="promotion", rules=None), None),
    (campaign_body(type="flash"), None),
    (campaign_body(name=None), "name"),
    (campaign_body(name="a\u202eb"), "name"),
    (campaign_body(status="deleted"), "status"),
    (campaign_body(budget="0"), "budget"),
    (campaign_body(usage_limit=0), "usage_limit"),
])
def test_bad_campaign_fields_are_400(admin_api, body, field):
    response = admin_api.post(BASE, body, headers=key())
    assert response.status_code == 400, response.body
    if field:
        assert field in {f for f, _ in _errors(response)}


def test_odd_unicode_and_nulls_are_kept_or_refused_never_500(admin_api):
    made = create(admin_api, BASE, campaign_body(name="Ş\u0327ubat İndirimi 🎉", description=None, budget=None))
    assert made["name"].startswith("Ş") and made["description"] is None
    flash = create(admin_api, BASE, {"name": "Flaş Günleri", "type": "flash", "rules": None})
    assert flash["rules"] is None
    for raw in ('{"name": "x\\ud800y", "type": "promotion"}', '{"name": 5, "type": []}', "[]", "null"):
        assert admin_api.request("POST", BASE, raw=raw, headers=key()).status_code == 400


def test_gift_variation_must_be_this_shops(admin_api, tenant, other_tenant, db):
    _, mine = product(db, tenant.id)
    _, theirs = product(db, other_tenant.id)
    gift = {"type": "gift_item", "gift_variation_id": theirs}
    refused = admin_api.post(BASE, campaign_body(rules={"action": gift}), headers=key())
    assert refused.status_code == 400 and refused.json["error"]["code"] == "gift_variation_not_found"
    made = create(admin_api, BASE, campaign_body(rules={"action": {**gift, "gift_variation_id": mine}}))
    assert made["rules"]["action"] == {"type": "gift_item", "value": "0.00", "gift_variation_id": mine,
                                       "gift_quantity": 1}


def test_put_changes_sent_fields_and_guards_limits(admin_api, tenant, db):
    made = create(admin_api, BASE, campaign_body(usage_limit=10, budget="100.00", description="Açıklama"))
    cid = made["id"]
    db.session().execute("UPDATE campaigns SET used_count = 4, spent_amount = 60 WHERE tenant_id = %s AND id = %s",
                         (tenant.id, cid))
    low = admin_api.put(f"{BASE}/{cid}", {"usage_limit": 3})
    assert low.status_code == 409 and low.json["error"]["code"] == "campaign_limit_below_use"
    poor = admin_api.put(f"{BASE}/{cid}", {"budget": "59.99"})
    assert poor.status_code == 409 and poor.json["error"]["details"]["field"] == "budget"
    changed = admin_api.put(f"{BASE}/{cid}", {"usage_limit": 4, "status": "active", "description": None,
                                             "rules": {"action": {"type": "fixed_off", "value": "25"}}})
    assert changed.status_code == 200, changed.body
    out = changed.json
    assert (out["usage_limit"], out["usage_left"], out["status"], out["description"], out["name"]) == \
        (4, 0, "active", None, "Kış İndirimi")
    assert out["rules"]["action"] == {"type": "fixed_off", "value": "25.00"}
    assert admin_api.put(f"{BASE}/{cid}", {"name": None}).status_code == 400
    assert admin_api.put(f"{BASE}/{cid}", {"rules": None}).status_code == 400  # a promotion needs rules
    assert admin_api.put(f"{BASE}/{cid}", {"type": "coupon"}).status_code == 400
    late = admin_api.put(f"{BASE}/{cid}", {"starts_at": "2026-03-01T00:00:00Z", "ends_at": "2026-02-01T00:00:00Z"})
    assert late.status_code == 400
    actions = [r["action"] for r in db.session().all(
        "SELECT action FROM admin_logs WHERE tenant_id = %s AND entity_type = 'campaign' ORDER BY id", (tenant.id,))]
    assert actions == ["campaigns.create", "campaigns.update"]


def test_delete_is_soft_stops_applying_and_bumps_the_version(admin_api, client, tenant, db):
    from chalicelib.campaigns import active

    who = shopper(client, tenant)
    p1, v1 = product(db, tenant.id, price="200.00")
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1)])
    made = create(admin_api, BASE, campaign_body(status="active"))
    assert who.api.get("/api/cart").json["totals"]["discount_total"] == "20.00"  # loaded into this process
    before = active.version(tenant.id)
    assert admin_api.delete(f"{BASE}/{made['id']}").status_code == 204
    assert active.version(tenant.id) != before
    assert who.api.get("/api/cart").json["totals"]["discount_total"] == "0.00"
    shown = admin_api.get(f"{BASE}/{made['id']}").json
    assert shown["status"] == "ended" and shown["deleted_at"] is not None
    assert admin_api.delete(f"{BASE}/{made['id']}").status_code == 204
    gone = admin_api.put(f"{BASE}/{made['id']}", {"name": "Yeniden"})
    assert gone.status_code == 409 and gone.json["error"]["code"] == "campaign_deleted"
    assert [c["id"] for c in admin_api.get(BASE).json["items"]] == []
    assert [c["id"] for c in admin_api.get(f"{BASE}?include_deleted=true").json["items"]] == [made["id"]]


def test_every_write_invalidates_the_live_set(admin_api, tenant):
    from chalicelib.campaigns import active

    versions = [active.version(tenant.id)]
    made = create(admin_api, BASE, campaign_body())
    versions.append(active.version(tenant.id))
    admin_api.put(f"{BASE}/{made['id']}", {"priority": 3})
    versions.append(active.version(tenant.id))
    assert len(set(versions)) == 3


def test_list_filters_and_keyset_pages(admin_api):
    ids = [create(admin_api, BASE, campaign_body(name=f"Yaz {i}", status="active" if i % 2 else "draft",
                                                 starts_at="2026-06-01T00:00:00Z", ends_at="2026-09-01T00:00:00Z"))["id"]
           for i in range(5)]
    coupon = create(admin_api, BASE, campaign_body(name="Kupon %_ özel", type="coupon"))["id"]
    seen, cursor = [], None
    while True:
        page = admin_api.get(f"{BASE}?limit=2" + (f"&cursor={cursor}" if cursor else "")).json
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted([*ids, coupon], reverse=True)
    assert [c["id"] for c in admin_api.get(f"{BASE}?status=active").json["items"]] == [ids[3], ids[1]]
    assert [c["id"] for c in admin_api.get(f"{BASE}?type=coupon").json["items"]] == [coupon]
    assert [c["id"] for c in admin_api.get(f"{BASE}?q=%25_").json["items"]] == [coupon]
    live = admin_api.get(f"{BASE}?active_at=2026-07-01T00:00:00Z").json["items"]
    assert [c["id"] for c in live] == [ids[3], ids[1]]
    assert admin_api.get(f"{BASE}?active_at=2026-10-01T00:00:00Z").json["items"] == []
    assert admin_api.get(f"{BASE}?cursor=nonsense").status_code == 400
    assert admin_api.get(f"{BASE}?status=unknown").status_code == 400


def test_other_tenants_campaign_is_404(admin_api, client, other_tenant):
    from tests.conftest import Api, login, make_user

    _, email, password = make_user(other_tenant, roles=["super_admin"])
    theirs = Api(client, other_tenant.api_key)
    theirs.token = login(theirs, email, password)["access_token"]
    cid = create(theirs, BASE, campaign_body())["id"]
    assert admin_api.get(f"{BASE}/{cid}").status_code == 404
    assert admin_api.put(f"{BASE}/{cid}", {"name": "Ele geçir"}).status_code == 404
    assert admin_api.delete(f"{BASE}/{cid}").status_code == 404
    assert admin_api.get(f"{BASE}/{cid}/performance").status_code == 404
    assert theirs.get(f"{BASE}/{cid}").json["deleted_at"] is None


def test_permissions(client, tenant, admin_api):
    cid = create(admin_api, BASE, campaign_body())["id"]
    support = staff(client, tenant, "support")  # neither campaigns.read nor campaigns.write
    assert support.get(BASE).status_code == 403
    assert support.get(f"{BASE}/{cid}").status_code == 403
    assert support.post(BASE, campaign_body(), headers=key()).status_code == 403
    assert support.delete(f"{BASE}/{cid}").status_code == 403
    editor = staff(client, tenant, "editor")
    assert editor.get(BASE).status_code == 200
    assert editor.put(f"{BASE}/{cid}", {"priority": 1}).status_code == 200
    from tests.conftest import Api

    anonymous = Api(client, tenant.api_key)
    assert anonymous.get(BASE).status_code == 401
    assert admin_api.get(f"{BASE}/{uuid.uuid4().int % 10**6 + 10**9}").status_code == 404


def test_the_schema_speaks_the_engines_words():
    from typing import get_args

    from chalicelib.campaigns import admin_rules, model

    assert set(get_args(admin_rules.PaymentMethod)) == model.PAYMENT_METHODS
    assert set(get_args(admin_rules.Channel)) == model.CHANNELS
    assert set(get_args(admin_rules.ActionType)) == set(model.ACTION_TYPES)
    full = admin_rules.RulesIn.model_validate({
        "level": "basket",
        "conditions": {"segments": ["champions"], "levels": ["gold"], "first_order": True, "min_subtotal": "1",
                       "min_quantity": 2, "products": [1], "categories": [2], "brands": [3], "exclude_products": [4],
                       "exclude_sale_items": True, "payment_methods": ["eft"], "channels": ["mobile"]},
        "action": {"type": "buy_x_get_y", "buy_quantity": 2, "get_quantity": 1, "get_percent": "50",
                   "get_products": [5], "get_categories": [6], "max_applications": 3, "max_discount": "9.99"}})
    level, conditions, action = model.parse_rules(full.document())  # what the API takes, the engine reads
    assert (level, action.get_percent, conditions.payment_methods) == ("basket", 50, frozenset({"eft"}))
