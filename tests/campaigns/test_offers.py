"""Personalised offers (K3): one personal code per customer of a segment, idempotent issuance, the
customer's own list, counts for staff."""
from __future__ import annotations

import uuid
from typing import Any

from tests.campaigns.kit import campaign
from tests.campaigns.test_audience import paid_order, rfm_shop
from tests.conftest import Api, login, make_user
from tests.live.kit import staff_api

BODY = {"segments": ["champions", "new"], "valid_days": 30, "usage_limit_per_code": 2}


def offer_campaign(db: Any, tenant_id: int, **kw: Any) -> int:
    return campaign(db, tenant_id, {"type": "percent", "value": "10"}, type="offer", name="Sana özel %10", **kw)


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def codes(db: Any, tenant_id: int, campaign_id: int) -> list[dict[str, Any]]:
    return db.session().all("""SELECT user_id, code, usage_limit, source, starts_at, ends_at FROM coupons
                                WHERE tenant_id = %s AND campaign_id = %s ORDER BY user_id""", (tenant_id, campaign_id))


def signed_in(client: Any, tenant: Any, user_id: int | None = None) -> Api:
    api = Api(client, tenant.api_key)
    if user_id is None:
        user_id, email, password = make_user(tenant)
    else:
        from chalicelib.platform.db import get_db

        email = get_db().session().scalar("SELECT email FROM users WHERE id = %s", (user_id,))
        password = "Parola-1234"
    api.token = login(api, email, password)["access_token"]
    return api


def test_issue_gives_each_member_one_personal_code_and_reruns_only_add_new_members(db, tenant, admin_api):
    shop = rfm_shop(db, tenant)
    campaign_id = offer_campaign(db, tenant.id)
    path = f"/api/admin/campaigns/{campaign_id}/offers"
    first = admin_api.post(path, BODY, headers=key())
    assert first.status_code == 201, first.body
    assert first.json == {"campaign_id": campaign_id, "audience": 2, "issued": 2, "already_had": 0, "notified": 0}
    rows = codes(db, tenant.id, campaign_id)
    assert [r["user_id"] for r in rows] == sorted([shop["champion"], shop["new"]])
    assert len({r["code"] for r in rows}) == 2 and all(r["code"].startswith("OF") for r in rows)
    assert all(r["usage_limit"] == 2 and r["source"] == "offer" for r in rows)
    assert all(29.9 < (r["ends_at"] - r["starts_at"]).total_seconds() / 86400 <= 30 for r in rows)

    # A new champion: a second run (another key) issues only theirs.
    newcomer, _, _ = make_user(tenant)
    for i in range(10):
        paid_order(db, tenant.id, newcomer, "2500.00", days_ago=2 + i)
    again = admin_api.post(path, BODY, headers=key())
    assert again.status_code == 201
    assert (again.json["issued"], again.json["already_had"]) == (1, 2)
    assert len(codes(db, tenant.id, campaign_id)) == 3
    stats = admin_api.get(path)
    assert stats.status_code == 200
    assert stats.json == {"campaign_id": campaign_id, "issued": 3, "used": 0, "uses": 0, "active": 3}


def test_the_same_key_replays_the_first_answer(db, tenant, admin_api):
    rfm_shop(db, tenant)
    campaign_id = offer_campaign(db, tenant.id)
    path = f"/api/admin/campaigns/{campaign_id}/offers"
    headers = key()
    first = admin_api.post(path, BODY, headers=headers)
    replay = admin_api.post(path, BODY, headers=headers)
    assert replay.status_code == 201 and replay.json == first.json
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert len(codes(db, tenant.id, campaign_id)) == 2
    other = admin_api.post(path, {**BODY, "valid_days": 5}, headers=headers)
    assert other.status_code == 409  # another request under the same key


def test_concurrent_runs_never_give_a_customer_two_codes(db, tenant, admin_api):
    from tests.helpers import simultaneously

    rfm_shop(db, tenant)
    campaign_id = offer_campaign(db, tenant.id)
    path = f"/api/admin/campaigns/{campaign_id}/offers"
    results = simultaneously(*[lambda: admin_api.post(path, BODY, headers=key()) for _ in range(3)])
    assert all(r.status_code == 201 for r in results)
    assert sum(r.json["issued"] for r in results) == 2
    rows = codes(db, tenant.id, campaign_id)
    assert len(rows) == 2 and len({r["user_id"] for r in rows}) == 2


def test_refusals(db, tenant, other_tenant, admin_api, client):
    rfm_shop(db, tenant)
    campaign_id = offer_campaign(db, tenant.id)
    path = f"/api/admin/campaigns/{campaign_id}/offers"
    assert admin_api.post(path, BODY).status_code == 400  # Idempotency-Key required
    for bad in ({**BODY, "segments": [], "levels": []}, {**BODY, "valid_days": 0}, {**BODY, "valid_days": 366},
                {**BODY, "segments": ["vip"]}, {**BODY, "usage_limit_per_code": None}, {**BODY, "segments": None},
                {**BODY, "notify": {"channels": ["sms"], "title": "A", "body": "x" * 470}},
                {**BODY, "notify": {"channels": ["push"], "title": "A\u00a0B", "body": "Merhaba"}},
                {**BODY, "notify": {"channels": [], "title": "A", "body": "B"}},
                {**BODY, "notify": {"channels": ["push"], "title": "A", "body": "B", "deep_link": "http://x.com"}},
                {**BODY, "levels": ["\u202egold"]}):
        response = admin_api.post(path, bad, headers=key())
        assert response.status_code == 400, (bad, response.body)
    assert codes(db, tenant.id, campaign_id) == []
    promotion = campaign(db, tenant.id, {"type": "percent", "value": "10"})
    assert admin_api.post(f"/api/admin/campaigns/{promotion}/offers", BODY, headers=key()).status_code == 409
    foreign = offer_campaign(db, other_tenant.id)
    assert admin_api.post(f"/api/admin/campaigns/{foreign}/offers", BODY, headers=key()).status_code == 404
    assert admin_api.get(f"/api/admin/campaigns/{foreign}/offers").status_code == 404
    support = staff_api(client, tenant, ["support"])
    assert support.post(path, BODY, headers=key()).status_code == 403
    assert support.get(path).status_code == 403


def test_customers_see_only_their_own_valid_offers(db, tenant, admin_api, client):
    shop = rfm_shop(db, tenant)
    campaign_id = offer_campaign(db, tenant.id)
    assert admin_api.post(f"/api/admin/campaigns/{campaign_id}/offers", BODY, headers=key()).status_code == 201
    mine = codes(db, tenant.id, campaign_id)
    champion_code = next(r["code"] for r in mine if r["user_id"] == shop["champion"])
    champion = signed_in(client, tenant, shop["champion"])
    listed = champion.get("/api/campaigns/offers")
    assert listed.status_code == 200
    assert [(o["code"], o["campaign_id"], o["name"], o["used"], o["usable"]) for o in listed.json["items"]] == [
        (champion_code, campaign_id, "Sana özel %10", False, True)]
    assert listed.json["items"][0]["valid_until"].endswith("Z")
    lost = signed_in(client, tenant, shop["lost"])
    assert lost.get("/api/campaigns/offers").json == {"items": []}
    # Used up and paused campaigns leave the list.
    db.session().execute("UPDATE coupons SET used_count = 2 WHERE tenant_id = %s AND code = %s",
                         (tenant.id, champion_code))
    item = champion.get("/api/campaigns/offers").json["items"][0]
    assert (item["used"], item["usable"], item["used_count"]) == (True, False, 2)
    db.session().execute("UPDATE campaigns SET status = 'paused' WHERE tenant_id = %s AND id = %s",
                         (tenant.id, campaign_id))
    assert champion.get("/api/campaigns/offers").json == {"items": []}
    assert Api(client, tenant.api_key).get("/api/campaigns/offers").status_code == 401


def test_notify_tells_new_holders_their_code_with_consent(db, tenant, admin_api, client):
    from tests.notifications.channels_kit import consent

    shop = rfm_shop(db, tenant)
    champion = signed_in(client, tenant, shop["champion"])
    consent(champion, push=True)
    campaign_id = offer_campaign(db, tenant.id)
    body = {**BODY, "notify": {"channels": ["push"], "title": "Sana özel", "body": "Kodun: {code}"}}
    done = admin_api.post(f"/api/admin/campaigns/{campaign_id}/offers", body, headers=key())
    assert done.status_code == 201 and done.json["notified"] == 2
    rows = db.session().all("""SELECT user_id, status, reason, params FROM notification_deliveries
                                WHERE tenant_id = %s AND message_id LIKE %s ORDER BY user_id""",
                            (tenant.id, f"offer-{campaign_id}-%"))
    by_user = {r["user_id"]: r for r in rows}
    code = next(r["code"] for r in codes(db, tenant.id, campaign_id) if r["user_id"] == shop["champion"])
    assert by_user[shop["champion"]]["status"] == "queued" and code in by_user[shop["champion"]]["params"]
    assert (by_user[shop["new"]]["status"], by_user[shop["new"]]["reason"]) == ("suppressed", "no_consent")
