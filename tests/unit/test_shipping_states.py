"""Which tracking event decides a shipment's status (chalicelib/shipping/states.py)."""
from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.shipping import states as s

T0 = dt.datetime(2025, 3, 1, 9, 0)
EARLIER, LATER = T0 - dt.timedelta(hours=1), T0 + dt.timedelta(hours=1)


@pytest.mark.parametrize("current,current_at,new,new_at,wins", [
    (s.LABEL_CREATED, None, s.PICKED_UP, EARLIER, True),  # nothing from the carrier yet: any event counts
    (s.IN_TRANSIT, T0, s.PICKED_UP, EARLIER, False),  # late report of an earlier step: history only
    (s.IN_TRANSIT, T0, s.OUT_FOR_DELIVERY, LATER, True),
    (s.FAILED_DELIVERY, T0, s.OUT_FOR_DELIVERY, LATER, True),  # the next round after a failed attempt
    (s.OUT_FOR_DELIVERY, T0, s.FAILED_DELIVERY, T0, True),  # same instant: the further step
    (s.OUT_FOR_DELIVERY, T0, s.IN_TRANSIT, T0, False),
    (s.OUT_FOR_DELIVERY, T0, s.DELIVERED, EARLIER, True),  # a delivery synced late still ends it
    (s.DELIVERED, T0, s.IN_TRANSIT, LATER, False),  # final
    (s.DELIVERED, T0, s.RETURNED, LATER, False),
    (s.RETURNED, T0, s.DELIVERED, LATER, False),
])
def test_supersedes(current, current_at, new, new_at, wins):
    assert s.supersedes(current, current_at, new, new_at) is wins


def test_every_status_has_customer_text_in_both_languages():
    for status in s.STATUSES:
        assert s.text(status, "tr") and s.text(status, "en") and s.text(status, "tr") != s.text(status, "en")
    assert s.text(s.DELIVERED, "de") == "Delivered"  # unsupported language falls back to English
