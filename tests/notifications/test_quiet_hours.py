"""Quiet hours in the tenant's time zone hold marketing back (deferred, not dropped);
transactional messages go at any hour."""
from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from chalicelib.notifications import api as notifications
from chalicelib.notifications import quiet_hours, sweep
from chalicelib.platform.db import get_db
from tests.notifications.channels_kit import (
    consent,
    customer,
    delivery,
    set_quiet_hours,
    window_around_now,
    window_not_now,
)
from tests.notifications_outbox import drain_notifications

CAMPAIGN = {"headline": "Gece fırsatı", "message": "Sadece bu gece", "link": "https://shop.example.com/g"}
IST = ZoneInfo("Europe/Istanbul")


def test_the_window_spans_midnight_in_the_tenants_zone():
    quiet = quiet_hours.from_settings({})  # the default: 21:00-09:00 Europe/Istanbul
    assert quiet is not None
    # 22:30 in Istanbul (19:30 UTC): wait until 09:00 Istanbul the next day (06:00 UTC).
    assert quiet_hours.next_allowed(quiet, datetime(2026, 3, 2, 19, 30)) == datetime(2026, 3, 3, 6, 0)
    # 03:00 in Istanbul (00:00 UTC): the same morning.
    assert quiet_hours.next_allowed(quiet, datetime(2026, 3, 3, 0, 0)) == datetime(2026, 3, 3, 6, 0)
    # 12:00 in Istanbul: allowed.
    assert quiet_hours.next_allowed(quiet, datetime(2026, 3, 3, 9, 0)) is None
    # Another zone: 22:00 in Berlin (winter, UTC+1) is 21:00 UTC.
    berlin = quiet_hours.from_settings({"time_zone": "Europe/Berlin"})
    assert quiet_hours.next_allowed(berlin, datetime(2026, 1, 10, 21, 0, tzinfo=timezone.utc)) == datetime(2026, 1, 11, 8, 0)
    # Off, and a daytime window.
    assert quiet_hours.from_settings({"quiet_hours": None}) is None
    day = quiet_hours.from_settings({"quiet_hours": {"start": "12:00", "end": "13:00"}})
    assert day is not None and (day.start, day.end) == (time(12), time(13))
    assert quiet_hours.next_allowed(day, datetime(2026, 1, 10, 9, 30)) == datetime(2026, 1, 10, 10, 0)


def test_marketing_in_quiet_hours_is_deferred_then_sent_when_they_end(tenant, client, netgsm):
    user_id, _, number, api = customer(tenant, client)
    consent(api, sms=True)
    set_quiet_hours(tenant.id, window_around_now())
    result = notifications.send(get_db(), tenant.id, user_id, "campaign", "campaign", CAMPAIGN, channels=["sms"])
    drain_notifications()
    row = delivery(tenant.id, result.deliveries["sms"][0])
    assert (row["status"], row["reason"]) == ("deferred", "quiet_hours")
    now_local = datetime.now(timezone.utc).astimezone(IST)
    assert row["next_attempt_at"] > datetime.now(timezone.utc).replace(tzinfo=None)
    ends_local = row["next_attempt_at"].replace(tzinfo=timezone.utc).astimezone(IST)
    assert ends_local.strftime("%H:%M") == window_around_now()["end"] and ends_local > now_local
    assert not [m for m in netgsm.messages if m["no"] == number[3:]]

    sweep.release_due(get_db())  # before the window ends the sweep leaves it waiting
    assert delivery(tenant.id, row["id"])["status"] == "deferred"
    # The night is over: the tenant's window no longer holds now, and the time has come.
    set_quiet_hours(tenant.id, window_not_now())
    released = sweep.release_due(get_db(), now=row["next_attempt_at"])
    assert released >= 1
    drain_notifications()
    assert delivery(tenant.id, row["id"])["status"] == "sent"
    assert len([m for m in netgsm.messages if m["no"] == number[3:]]) == 1


def test_transactional_messages_go_at_night(tenant, client, netgsm):
    user_id, _, number, _ = customer(tenant, client)
    set_quiet_hours(tenant.id, window_around_now())
    result = notifications.send(get_db(), tenant.id, user_id, "account", "account_exists", {}, channels=["sms"])
    drain_notifications()
    assert delivery(tenant.id, result.deliveries["sms"][0])["status"] == "sent"
    assert len([m for m in netgsm.messages if m["no"] == number[3:]]) == 1
