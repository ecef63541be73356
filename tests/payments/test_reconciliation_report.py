"""The reconciliation report (GET /api/admin/payments/reconciliation): our iyzico attempts against
the local sandbox's records over HTTPS; only mismatches, each with a reason."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal as D

from chalicelib.payments import reconciliation
from chalicelib.platform.db import get_db
from tests.conftest import make_tenant
from tests.payments import refund_kit
from tests.payments.payments_kit import staff
from tests.payments.refund_kit import (
    card_order,
    request_refund,
)

REPORT = "/api/admin/payments/reconciliation"

# the module's fixtures: the sandbox, and an app with the routes these tests call
sandbox = refund_kit.sandbox
client = refund_kit.client


def _today() -> str:
    return dt.datetime.now(dt.timezone.utc).date().isoformat()


def _report(api, date_from=None, date_to=None):
    return api.get(f"{REPORT}?date_from={date_from or _today()}&date_to={date_to or _today()}")


def test_a_clean_range_reports_nothing_and_an_injected_mismatch_is_found(client, tenant, sandbox):
    from chalicelib.payments import refund_handlers
    from tests.payments.refund_kit import refund_events

    finance = staff(client, tenant)
    first = card_order(client, tenant, prices=("300.00", "200.00"))
    second = card_order(client, tenant, prices=("150.00",), who=first.who)
    request_refund(tenant.id, first.order["id"], D("120.00"))
    refund_handlers.handle_event(refund_events(tenant.id, first.order["id"])[-1])

    clean = _report(finance)
    assert clean.status_code == 200, clean.body
    assert clean.json["checked"] == 2 and clean.json["mismatches"] == [] and clean.json["truncated"] is False

    session = get_db().session()
    session.execute("UPDATE payment_attempts SET status = 'failed' WHERE tenant_id = %s AND id = %s",
                    (tenant.id, second.attempt_id))
    session.execute("UPDATE payment_attempt_items SET refunded_amount = 0 WHERE tenant_id = %s AND attempt_id = %s",
                    (tenant.id, first.attempt_id))
    found = _report(finance).json["mismatches"]
    by_attempt = {(m["attempt_id"], m["field"]): m for m in found}
    assert set(by_attempt) == {(second.attempt_id, "status"), (first.attempt_id, "refunded")}
    status = by_attempt[(second.attempt_id, "status")]
    assert status["ours"] == "failed" and status["theirs"] == "succeeded" and "charged" in status["reason"]
    refunded = by_attempt[(first.attempt_id, "refunded")]
    assert D(refunded["ours"]) == D("0") and D(refunded["theirs"]) == D("120.00")

    # another tenant sees none of it; a range without attempts is clean
    assert _report(staff(client, make_tenant())).json == {"date_from": _today(), "date_to": _today(), "checked": 0,
                                                           "truncated": False, "unreachable": 0, "mismatches": []}
    long_ago = (dt.date.today() - dt.timedelta(days=400)).isoformat()
    assert _report(finance, long_ago, long_ago).json["checked"] == 0


def test_an_attempt_iyzico_does_not_know_and_a_wrong_amount(client, tenant, sandbox):
    finance = staff(client, tenant)
    paid = card_order(client, tenant, prices=("250.00",))
    session = get_db().session()
    session.execute("UPDATE payment_attempts SET amount = amount + 1 WHERE tenant_id = %s AND id = %s",
                    (tenant.id, paid.attempt_id))
    ghost = card_order(client, tenant, prices=("100.00",), who=paid.who)
    session.execute("UPDATE payment_attempts SET provider_payment_id = NULL, conversation_id = %s "
                    "WHERE tenant_id = %s AND id = %s", (uuid.uuid4().hex, tenant.id, ghost.attempt_id))
    found = {(m["attempt_id"], m["field"]): m for m in _report(finance).json["mismatches"]}
    assert set(found) == {(paid.attempt_id, "amount"), (ghost.attempt_id, "status")}
    assert found[(ghost.attempt_id, "status")]["theirs"] is None


def test_the_range_is_bounded(client, tenant, sandbox):
    finance = staff(client, tenant)
    today = dt.date.today()
    assert _report(finance, (today - dt.timedelta(days=31)).isoformat(), today.isoformat()).status_code == 400
    assert _report(finance, today.isoformat(), (today - dt.timedelta(days=1)).isoformat()).status_code == 400
    assert finance.get(REPORT).status_code == 400
    assert _report(finance, (today - dt.timedelta(days=30)).isoformat(), today.isoformat()).status_code == 200
    customer = card_order(client, tenant, prices=("100.00",)).who
    assert _report(customer.api).status_code in (401, 403)


def test_the_report_stops_at_its_limit(client, tenant, sandbox):
    first = card_order(client, tenant, prices=("100.00",))
    card_order(client, tenant, prices=("100.00",), who=first.who)
    today = dt.datetime.now(dt.timezone.utc).date()
    shown = reconciliation.report(get_db(), tenant.id, today, today, limit=1)
    assert shown["checked"] == 1 and shown["truncated"] is True
