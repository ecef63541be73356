"""Preferences per category and channel, and the İYS consent that gates commercial messages."""
from __future__ import annotations

import pytest

from chalicelib.notifications import api as notifications
from chalicelib.platform.db import get_db
from tests.notifications.channels_kit import consent, customer, delivery, expo_token
from tests.notifications_outbox import drain_notifications, last_email

CAMPAIGN = {"headline": "Kış indirimi", "message": "Tüm montlarda %30 indirim", "link": "https://shop.example.com/k"}
ORDER = {"order_number": "HG-3003", "status": "shipped", "link": "https://shop.example.com/o/3003"}


def test_defaults_are_transactional_on_and_marketing_off(tenant, client):
    _, _, _, api = customer(tenant, client)
    body = api.get("/api/notifications/preferences").json
    assert body["preferences"] == {
        "order": {"email": True, "sms": True, "push": True},
        "campaign": {"email": False, "sms": False, "push": False},
        "stock": {"email": True, "sms": True, "push": True},
        "account": {"email": True, "sms": True, "push": True},
    }
    assert body["consents"] == {}
    assert body["quiet_hours"] == {"start": "21:00", "end": "09:00", "time_zone": "Europe/Istanbul"}


def test_campaign_consent_is_recorded_for_iys_with_its_source(tenant, client):
    user_id, email, number, api = customer(tenant, client)
    body = consent(api, sms=True, email=True)
    assert body["preferences"]["campaign"] == {"email": True, "sms": True, "push": False}
    assert body["consents"]["sms"]["status"] == "ONAY" and body["consents"]["sms"]["iys_type"] == "MESAJ"
    consent(api, sms=True)  # the same again: no new record
    consent(api, sms=False)  # withdrawn: RET
    rows = get_db().session().all(
        """SELECT channel, iys_type, recipient, status, source, iys_source, iys_status FROM marketing_consents
            WHERE tenant_id = %s AND user_id = %s ORDER BY id""", (tenant.id, user_id))
    assert [(r["channel"], r["status"]) for r in rows] == [("email", "ONAY"), ("sms", "ONAY"), ("sms", "RET")]
    sms_row = rows[1]
    assert (sms_row["iys_type"], sms_row["recipient"], sms_row["source"], sms_row["iys_source"],
            sms_row["iys_status"]) == ("MESAJ", number, "mobile_app_settings", "HS_MOBIL", "pending")
    assert rows[0]["recipient"] == email and rows[0]["iys_type"] == "EPOSTA"
    assert api.get("/api/notifications/preferences").json["preferences"]["campaign"]["sms"] is False


def test_bad_preference_bodies_are_400(tenant, client):
    _, _, _, api = customer(tenant, client)
    assert api.put("/api/notifications/preferences", {"preferences": {"news": {"sms": True}}}).status_code == 400
    assert api.put("/api/notifications/preferences", {"preferences": {"order": {"fax": True}}}).status_code == 400
    assert api.put("/api/notifications/preferences", {"preferences": {}, "source": "somewhere"}).status_code == 400


def test_marketing_goes_only_with_consent(tenant, client, expo, netgsm):
    user_id, email, number, api = customer(tenant, client)
    api.post("/api/notifications/devices", {"device_id": "p", "token": expo_token()})
    from tests.notifications.channels_kit import set_quiet_hours

    set_quiet_hours(tenant.id, None)  # this test is about consent, whatever the hour
    without = notifications.send(get_db(), tenant.id, user_id, "campaign", "campaign", CAMPAIGN)
    assert {c: s for c, (_, s, _) in without.deliveries.items()} == {
        "email": "suppressed", "sms": "suppressed", "push": "suppressed"}
    assert {r for (_, _, r) in without.deliveries.values()} == {"no_consent"}

    consent(api, sms=True)
    with_sms = notifications.send(get_db(), tenant.id, user_id, "campaign", "campaign", CAMPAIGN)
    assert with_sms.deliveries["sms"][1] == "queued" and with_sms.deliveries["email"][1] == "suppressed"
    drain_notifications()
    sent = [m for m in netgsm.messages if m["no"] == number[3:]]
    assert len(sent) == 1 and sent[0]["iysfilter"] == "11" and "Kış indirimi" in sent[0]["msg"]


def test_consent_withdrawn_before_delivery_suppresses_it(tenant, client, netgsm):
    from tests.notifications.channels_kit import set_quiet_hours

    user_id, _, number, api = customer(tenant, client)
    set_quiet_hours(tenant.id, None)
    consent(api, sms=True)
    result = notifications.send(get_db(), tenant.id, user_id, "campaign", "campaign", CAMPAIGN, channels=["sms"])
    consent(api, sms=False)
    drain_notifications()
    row = delivery(tenant.id, result.deliveries["sms"][0])
    assert (row["status"], row["reason"]) == ("suppressed", "no_consent")
    assert not [m for m in netgsm.messages if m["no"] == number[3:]]


def test_a_transactional_preference_turned_off_suppresses_that_channel_only(tenant, client):
    user_id, email, _, api = customer(tenant, client)
    assert api.put("/api/notifications/preferences", {"preferences": {"order": {"push": False}}}).status_code == 200
    result = notifications.send(get_db(), tenant.id, user_id, "order", "order_status", ORDER,
                                channels=["email", "push"])
    assert result.deliveries["push"][1:] == ("suppressed", "preference_off")
    assert result.deliveries["email"][1] == "queued"
    drain_notifications()
    assert "HG-3003" in last_email(email)["subject"]


def test_a_campaign_template_cannot_pass_as_transactional(tenant):
    with pytest.raises(notifications.NotificationError):
        notifications.send(get_db(), tenant.id, 1, "order", "campaign", CAMPAIGN)
    with pytest.raises(notifications.NotificationError):
        notifications.send(get_db(), tenant.id, 1, "news", "order_status", ORDER)
    with pytest.raises(notifications.NotificationError):
        notifications.send(get_db(), tenant.id, 1, "order", "order_status", {"order_number": "x"})


def test_the_same_message_id_sends_once(tenant, client):
    user_id, email, _, _ = customer(tenant, client)
    first = notifications.send(get_db(), tenant.id, user_id, "order", "order_status", ORDER, channels=["email"],
                               message_id="order-3003-shipped")
    again = notifications.send(get_db(), tenant.id, user_id, "order", "order_status", ORDER, channels=["email"],
                               message_id="order-3003-shipped")
    assert again == first
    drain_notifications()
    from tests.notifications_outbox import sent_emails

    assert len(sent_emails(email)) == 1
