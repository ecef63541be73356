"""SMS through the Turkish gateway (Netgsm REST v2) beside SNS: the adapter against the local
Netgsm fake over HTTP, and a send() delivered by it through the real consumer."""
from __future__ import annotations

import pytest

from chalicelib.adapters import DeliveryError, sms
from chalicelib.notifications import api as notifications
from chalicelib.platform.db import get_db
from tests.notifications.channels_kit import customer, delivery, phone
from tests.notifications_outbox import drain_notifications

ORDER = {"order_number": "HG-2002", "status": "shipped", "link": "https://shop.example.com/o/2002"}


def test_the_provider_is_chosen_by_configuration(netgsm, monkeypatch):
    assert isinstance(sms.sms_sender(), sms.NetgsmSmsSender)
    monkeypatch.setenv("SMS_PROVIDER", "sns")
    sms.reset_sms_sender()
    try:
        assert isinstance(sms.sms_sender(), sms.SnsSmsSender)
    finally:
        monkeypatch.setenv("SMS_PROVIDER", "netgsm")
        sms.reset_sms_sender()


def test_netgsm_accepts_a_turkish_text_and_answers_a_job_id(netgsm):
    number = phone()
    job = sms.NetgsmSmsSender().send(number, "Siparişiniz kargoya verildi: ğüşıöç")
    sent = [m for m in netgsm.messages if m["jobid"] == job]
    assert sent == [{"jobid": job, "no": number[3:], "msg": "Siparişiniz kargoya verildi: ğüşıöç",
                     "msgheader": "HUGLU", "iysfilter": "0"}]
    sms.NetgsmSmsSender(commercial=True).send(number, "Kampanya")
    assert netgsm.messages[-1]["iysfilter"] == "11"


def test_netgsm_error_codes_become_delivery_errors(netgsm, monkeypatch):
    with pytest.raises(DeliveryError) as wrong_number:
        sms.NetgsmSmsSender().send("+4915112345678", "hi")  # the gateway reaches Turkish numbers only
    assert (wrong_number.value.provider, wrong_number.value.code) == ("netgsm", "70")
    netgsm.failures.append({"code": "80", "times": 1})
    with pytest.raises(DeliveryError) as limited:
        sms.NetgsmSmsSender().send(phone(), "hi")
    assert limited.value.code == "80" and sms.is_retryable(limited.value)
    monkeypatch.setenv("NETGSM_PASSWORD", "wrong")
    sms.reset_sms_sender()
    try:
        with pytest.raises(DeliveryError) as refused:
            sms.NetgsmSmsSender().send(phone(), "hi")
        assert refused.value.code == "30" and not sms.is_retryable(refused.value)
    finally:
        monkeypatch.delenv("NETGSM_PASSWORD")
        sms.reset_sms_sender()


def test_send_delivers_an_sms_through_the_gateway(tenant, client, netgsm):
    user_id, _, number, _ = customer(tenant, client)
    result = notifications.send(get_db(), tenant.id, user_id, "account", "account_exists", {}, channels=["sms"],
                                lang="tr")
    drain_notifications()
    row = delivery(tenant.id, result.deliveries["sms"][0])
    assert row["status"] == "sent" and row["provider"] == "netgsm"
    assert row["recipient"] == number[:3] + "*" * (len(number) - 5) + number[-2:]
    sent = [m for m in netgsm.messages if m["no"] == number[3:]]
    assert len(sent) == 1 and sent[0]["jobid"] == row["provider_ref"] and "zaten bir Huğlu hesabınız var" in sent[0]["msg"]


def test_a_gateway_limit_is_retried_with_backoff_then_sent(tenant, client, netgsm):
    from chalicelib.notifications import sweep

    user_id, _, number, _ = customer(tenant, client)
    netgsm.failures.append({"code": "85", "times": 1})
    result = notifications.send(get_db(), tenant.id, user_id, "account", "account_exists", {}, channels=["sms"])
    drain_notifications()
    row = delivery(tenant.id, result.deliveries["sms"][0])
    assert (row["status"], row["reason"], row["attempts"]) == ("queued", "retry:netgsm:85", 1)
    assert row["next_attempt_at"] is not None
    # The delayed message would come back by itself; the sweep's safety net proves the row is due.
    with get_db().uow() as uow:
        uow.execute("UPDATE notification_deliveries SET next_attempt_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
                    "WHERE tenant_id = %s AND id = %s", (tenant.id, row["id"]))
        uow.commit()
    assert sweep.release_due(get_db()) >= 1
    drain_notifications()
    assert delivery(tenant.id, row["id"])["status"] == "sent"
    assert len([m for m in netgsm.messages if m["no"] == number[3:]]) == 1


def test_a_refused_login_fails_the_delivery_with_the_reason(tenant, client, netgsm, monkeypatch):
    user_id, _, _, _ = customer(tenant, client)
    monkeypatch.setenv("NETGSM_PASSWORD", "wrong")
    sms.reset_sms_sender()
    try:
        result = notifications.send(get_db(), tenant.id, user_id, "account", "account_exists", {}, channels=["sms"])
        drain_notifications()
    finally:
        monkeypatch.delenv("NETGSM_PASSWORD")
        sms.reset_sms_sender()
    row = delivery(tenant.id, result.deliveries["sms"][0])
    assert (row["status"], row["reason"]) == ("failed", "netgsm:30")
