"""Campaign sends (K5 / AM): staff routes, the scheduled delivery through the notification pipeline
(consent, quiet hours), resumability, one delivery under concurrent runs, statistics."""
from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.campaigns import sends_service
from chalicelib.platform.db import get_db
from tests.campaigns.kit import campaign, utcnow
from tests.campaigns.test_audience import level, paid_order
from tests.live.kit import staff_api
from tests.notifications.channels_kit import consent, customer, set_quiet_hours, window_around_now, window_not_now

BASE = "/api/admin/campaign-sends"


def send_body(**over: Any) -> dict[str, Any]:
    return {"name": "Kış kampanyası", "channels": ["sms", "push"], "audience": {"segments": ["new"]},
            "title": "Kışa özel", "body": "Bu hafta tüm montlarda %20 indirim", "deep_link": "huglu://campaigns/1",
            **over}


def recipients(tenant_id: int, send_id: int) -> dict[int, dict[str, Any]]:
    rows = get_db().session().all("""SELECT user_id, status, reason, message_id FROM campaign_send_recipients
                                      WHERE tenant_id = %s AND send_id = %s""", (tenant_id, send_id))
    return {int(r["user_id"]): r for r in rows}


def deliveries(tenant_id: int, send_id: int) -> list[dict[str, Any]]:
    return get_db().session().all("""SELECT user_id, channel, status, reason FROM notification_deliveries
                                      WHERE tenant_id = %s AND message_id LIKE %s ORDER BY user_id, channel""",
                                  (tenant_id, f"csend-{send_id}-%"))


def scheduled_send(admin_api: Any, **over: Any) -> int:
    made = admin_api.post(BASE, send_body(**over))
    assert made.status_code == 201, made.body
    send_id = made.json["id"]
    assert admin_api.post(f"{BASE}/{send_id}/schedule", {}).status_code == 200
    return int(send_id)


def new_customers(tenant: Any, client: Any, n: int) -> list[tuple[int, Any]]:
    """Customers with a phone, each with one recent paid order (RFM segment "new")."""
    made = []
    for _ in range(n):
        user_id, _, _, api = customer(tenant, client)
        paid_order(get_db(), tenant.id, user_id, "300.00", days_ago=3)
        made.append((user_id, api))
    return made


def run(**kw: Any) -> dict[str, int]:
    return sends_service.run_due(get_db(), **kw)


# -- staff routes ---------------------------------------------------------------------------------
def test_draft_lifecycle(db, tenant, admin_api):
    campaign_id = campaign(db, tenant.id, {"type": "percent", "value": "10"})
    made = admin_api.post(BASE, send_body(campaign_id=campaign_id))
    assert made.status_code == 201, made.body
    send_id = made.json["id"]
    assert (made.json["status"], made.json["campaign_id"], made.json["audience"]) == (
        "draft", campaign_id, {"segments": ["new"], "levels": [], "all_customers": False})
    edited = admin_api.put(f"{BASE}/{send_id}", send_body(name="Yeni ad", channels=["email"]))
    assert edited.status_code == 200 and edited.json["name"] == "Yeni ad" and edited.json["campaign_id"] is None
    later = (utcnow() + dt.timedelta(days=2)).isoformat() + "Z"
    scheduled = admin_api.post(f"{BASE}/{send_id}/schedule", {"scheduled_at": later})
    assert scheduled.status_code == 200 and scheduled.json["status"] == "scheduled"
    assert admin_api.put(f"{BASE}/{send_id}", send_body()).status_code == 409
    assert admin_api.delete(f"{BASE}/{send_id}").status_code == 409
    listed = admin_api.get(BASE, headers={}).json
    assert listed["items"][0]["id"] == send_id
    assert admin_api.get(f"{BASE}?status=draft").json["items"] == []
    assert admin_api.post(f"{BASE}/{send_id}/cancel").json["status"] == "cancelled"
    assert admin_api.post(f"{BASE}/{send_id}/cancel").status_code == 200  # again: nothing changes
    assert admin_api.post(f"{BASE}/{send_id}/schedule", {}).status_code == 409
    assert admin_api.delete(f"{BASE}/{send_id}").status_code == 204
    assert admin_api.get(f"{BASE}/{send_id}").status_code == 404


def test_paging(admin_api):
    ids = [admin_api.post(BASE, send_body(name=f"S{i}")).json["id"] for i in range(3)]
    first = admin_api.get(f"{BASE}?limit=2").json
    second = admin_api.get(f"{BASE}?limit=2&cursor={first['next_cursor']}").json
    assert [s["id"] for s in first["items"] + second["items"]] == sorted(ids, reverse=True)
    assert second["next_cursor"] is None
    assert admin_api.get(f"{BASE}?cursor=nonsense").status_code == 400


def test_bad_input_is_400_and_changes_nothing(db, tenant, admin_api):
    bad = [
        send_body(channels=[]), send_body(channels=["fax"]), send_body(body="x" * 481),
        send_body(channels=["email"], body="x" * 1001), send_body(title="x" * 121),
        send_body(title="Kış\u00a0fırsatı"), send_body(body="iki\nsatır"), send_body(deep_link="http://shop.example.com"),
        send_body(deep_link="javascript:alert(1)"), send_body(audience={}), send_body(audience={"segments": ["vip"]}),
        send_body(audience={"all_customers": True, "segments": ["new"]}), send_body(name=None),
        send_body(campaign_id=0), send_body(extra=1), send_body(title="\ud800"),
    ]
    before = db.session().scalar("SELECT COUNT(*) FROM campaign_sends WHERE tenant_id = %s", (tenant.id,))
    for body in bad:
        response = admin_api.post(BASE, body)
        assert response.status_code == 400, (body, response.body)
        assert response.json["error"]["code"]
    assert db.session().scalar("SELECT COUNT(*) FROM campaign_sends WHERE tenant_id = %s", (tenant.id,)) == before
    send_id = admin_api.post(BASE, send_body()).json["id"]
    past = (utcnow() - dt.timedelta(hours=1)).isoformat() + "Z"
    assert admin_api.post(f"{BASE}/{send_id}/schedule", {"scheduled_at": past}).status_code == 400
    assert admin_api.post(f"{BASE}/{send_id}/schedule", {"scheduled_at": None}).status_code == 200


def test_other_tenants_sends_and_campaigns_are_404_and_staff_need_the_permission(db, tenant, other_tenant, admin_api,
                                                                                  client):
    foreign_campaign = campaign(db, other_tenant.id, {"type": "percent", "value": "10"})
    assert admin_api.post(BASE, send_body(campaign_id=foreign_campaign)).status_code == 404
    other_admin = staff_api(client, other_tenant, ["super_admin"])
    foreign = other_admin.post(BASE, send_body()).json["id"]
    for method, path in (("GET", f"{BASE}/{foreign}"), ("PUT", f"{BASE}/{foreign}"), ("DELETE", f"{BASE}/{foreign}"),
                         ("POST", f"{BASE}/{foreign}/schedule"), ("POST", f"{BASE}/{foreign}/cancel"),
                         ("GET", f"{BASE}/{foreign}/stats")):
        body = send_body() if method == "PUT" else ({} if method == "POST" else None)
        assert admin_api.request(method, path, body).status_code == 404, (method, path)
    support = staff_api(client, tenant, ["support"])
    assert support.get(BASE).status_code == 403
    assert support.post(BASE, send_body()).status_code == 403
    editor = staff_api(client, tenant, ["editor"])
    assert editor.post(BASE, send_body()).status_code == 201


# -- delivery ---------------------------------------------------------------------------------------
def test_delivery_respects_consent_and_records_every_recipient(tenant, client, admin_api):
    (with_consent, api), (without, _) = new_customers(tenant, client, 2)
    consent(api, sms=True, push=True)
    set_quiet_hours(tenant.id, None)
    send_id = scheduled_send(admin_api)
    counts = run()
    assert counts["taken"] >= 1
    got = recipients(tenant.id, send_id)
    assert set(got) == {with_consent, without}
    assert got[with_consent]["status"] == "queued"
    assert (got[without]["status"], got[without]["reason"]) == ("skipped", "no_consent")
    shown = admin_api.get(f"{BASE}/{send_id}").json
    assert (shown["status"], shown["audience_count"], shown["queued_count"], shown["skipped_count"]) == ("sent", 2, 1, 1)
    assert shown["finished_at"] is not None
    stats = admin_api.get(f"{BASE}/{send_id}/stats").json
    assert stats["skipped_by_reason"] == {"no_consent": 1}
    assert stats["channels"]["sms"] == {"queued": 1, "suppressed": 1}
    assert stats["conversions"] == {"window_days": 7, "orders": 0, "customers": 0, "revenue": "0.00"}


def test_quiet_hours_defer_the_messages(tenant, client, admin_api):
    from tests.notifications_outbox import drain_notifications

    ((user_id, api),) = new_customers(tenant, client, 1)
    consent(api, sms=True)
    set_quiet_hours(tenant.id, window_around_now())
    send_id = scheduled_send(admin_api, channels=["sms"])
    run()
    assert recipients(tenant.id, send_id)[user_id]["status"] == "queued"
    drain_notifications()
    (row,) = deliveries(tenant.id, send_id)
    assert (row["status"], row["reason"]) == ("deferred", "quiet_hours")
    set_quiet_hours(tenant.id, window_not_now())


def test_a_stopped_run_resumes_without_sending_twice(tenant, client, admin_api):
    people = new_customers(tenant, client, 3)
    for _, api in people:
        consent(api, push=True)
    send_id = scheduled_send(admin_api, channels=["push"])
    first = run(budget_seconds=0, batch=1)  # one batch, then the send goes back to the scheduler
    assert first["finished"] == 0
    assert len(recipients(tenant.id, send_id)) == 1
    assert admin_api.get(f"{BASE}/{send_id}").json["status"] == "scheduled"
    # A runner that died mid-send: "sending" with a lapsed lease is taken again.
    db = get_db()
    db.session().execute("""UPDATE campaign_sends SET status = 'sending', updated_at = %s
                             WHERE tenant_id = %s AND id = %s""", (utcnow() - dt.timedelta(minutes=10), tenant.id,
                                                                   send_id))
    run(batch=1)
    run()  # nothing left to do for this send
    got = recipients(tenant.id, send_id)
    assert set(got) == {u for u, _ in people}
    assert len(deliveries(tenant.id, send_id)) == 3  # one push each, never two
    assert admin_api.get(f"{BASE}/{send_id}").json["queued_count"] == 3


def test_two_concurrent_runs_send_once(tenant, client, admin_api):
    from tests.helpers import simultaneously

    people = new_customers(tenant, client, 4)
    send_id = scheduled_send(admin_api, channels=["email", "push"])
    simultaneously(lambda: run(batch=1), lambda: run(batch=1), lambda: run(batch=2))
    rows = deliveries(tenant.id, send_id)
    assert len(rows) == 8 and len({(r["user_id"], r["channel"]) for r in rows}) == 8
    assert set(recipients(tenant.id, send_id)) == {u for u, _ in people}
    shown = admin_api.get(f"{BASE}/{send_id}").json
    assert (shown["status"], shown["audience_count"]) == ("sent", 4)


def test_a_cancelled_send_stops(tenant, client, admin_api):
    new_customers(tenant, client, 2)
    send_id = scheduled_send(admin_api, channels=["push"])
    assert admin_api.post(f"{BASE}/{send_id}/cancel").status_code == 200
    run()
    assert recipients(tenant.id, send_id) == {}


def test_levels_and_all_customers_audiences(db, tenant, client, admin_api):
    (gold, _), (plain, _) = new_customers(tenant, client, 2)
    level(db, tenant.id, "gold", [gold])
    by_level = scheduled_send(admin_api, channels=["push"], audience={"levels": ["gold"]})
    everyone = scheduled_send(admin_api, channels=["push"], audience={"all_customers": True})
    run()
    assert set(recipients(tenant.id, by_level)) == {gold}
    reached = set(recipients(tenant.id, everyone))
    assert {gold, plain} <= reached


def test_conversions_count_recipients_paid_orders_within_seven_days(db, tenant, client, admin_api):
    (buyer, api), (idle, _) = new_customers(tenant, client, 2)
    consent(api, push=True)
    campaign_id = campaign(db, tenant.id, {"type": "percent", "value": "10"})
    send_id = scheduled_send(admin_api, channels=["push"], campaign_id=campaign_id)
    run()
    order_id = paid_order(db, tenant.id, buyer, "450.00", days_ago=-0.01)
    paid_order(db, tenant.id, buyer, "999.00", days_ago=-8)  # outside the window
    db.session().execute(
        """INSERT INTO campaign_redemptions (tenant_id, order_id, user_id, claim_key, campaign_id, discount_amount,
                                             order_total, created_at)
           VALUES (%s, %s, %s, %s, %s, 45.00, 450.00, %s)""",
        (tenant.id, order_id, buyer, f"campaign:{campaign_id}", campaign_id, utcnow() + dt.timedelta(minutes=10)))
    stats = admin_api.get(f"{BASE}/{send_id}/stats").json
    assert stats["conversions"] == {"window_days": 7, "orders": 1, "customers": 1, "revenue": "450.00"}
    assert stats["campaign"] == {"campaign_id": campaign_id, "orders": 1, "discount": "45.00"}
    assert idle in recipients(tenant.id, send_id)  # a recipient who bought nothing counts in none
