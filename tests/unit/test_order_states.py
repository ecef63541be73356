"""The order state machine's table: what may follow what, and who may make the move."""
from __future__ import annotations

import pytest

from chalicelib.orders import states as lc
from chalicelib.platform.errors import Conflict

CUSTOMER, ADMIN = lc.Actor.customer(1), lc.Actor.admin(2)

HAPPY_PATH = [lc.PENDING_PAYMENT, lc.PAID, lc.PREPARING, lc.SHIPPED, lc.DELIVERED, lc.RETURN_REQUESTED,
              lc.RETURNED, lc.REFUNDED]


def test_the_happy_path_is_legal_step_by_step():
    for a, b in zip(HAPPY_PATH, HAPPY_PATH[1:], strict=False):
        lc.check(a, b, ADMIN)


@pytest.mark.parametrize("frm,to", [
    (lc.PENDING_PAYMENT, lc.SHIPPED), (lc.PAID, lc.DELIVERED), (lc.SHIPPED, lc.CANCELLED),
    (lc.DELIVERED, lc.CANCELLED), (lc.CANCELLED, lc.PAID), (lc.CANCELLED, lc.PENDING_PAYMENT),
    (lc.REFUNDED, lc.PAID), (lc.DELIVERED, lc.SHIPPED), (lc.PAID, lc.PENDING_PAYMENT),
])
def test_illegal_moves_are_409_with_what_is_allowed(frm, to):
    with pytest.raises(Conflict) as caught:
        lc.check(frm, to, ADMIN)
    assert caught.value.code == "illegal_transition"
    assert caught.value.details == {"from": frm, "to": to, "allowed": sorted(lc.TRANSITIONS[frm])}


def test_cancelled_is_final():
    assert lc.TRANSITIONS[lc.CANCELLED] == frozenset()


@pytest.mark.parametrize("frm", [lc.PENDING_PAYMENT, lc.PAID, lc.PREPARING])
def test_customers_cancel_until_it_ships(frm):
    lc.check(frm, lc.CANCELLED, CUSTOMER)


@pytest.mark.parametrize("frm,to", [
    (lc.PAID, lc.PREPARING), (lc.PREPARING, lc.SHIPPED), (lc.SHIPPED, lc.DELIVERED),
    (lc.RETURN_REQUESTED, lc.RETURNED), (lc.RETURNED, lc.REFUNDED), (lc.PENDING_PAYMENT, lc.PAID),
])
def test_customers_cannot_make_staff_or_system_moves(frm, to):
    lc.check(frm, to, ADMIN)
    with pytest.raises(Conflict):
        lc.check(frm, to, CUSTOMER)


def test_every_status_has_a_row_and_only_known_targets():
    assert set(lc.TRANSITIONS) == set(lc.STATUSES)
    for targets in lc.TRANSITIONS.values():
        assert targets <= set(lc.STATUSES)
    for frm, moves in lc.CUSTOMER_MOVES.items():
        assert moves <= lc.TRANSITIONS[frm]
