"""Invoices (issue 5 item 7, Y6) over real MariaDB, Redis, and S3 / SQS / SES on the in-process moto:
gap-free per-tenant numbering under concurrency, exactly one invoice per order, the PDF's text
(Turkish letters, totals) read back out of the file, the object in S3, the e-mail through the
notifications queue, the OrderPaid consumer under redelivery, and the download routes."""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import requests

from chalicelib.cart.totals import ShippingMethod
from chalicelib.invoices import repository as repo
from chalicelib.invoices.errors import OrderNotInvoiceable, TotalsMismatch
from chalicelib.invoices.handlers import issue_invoices
from chalicelib.invoices.service import ensure_stored, issue_invoice, process_paid_order
from chalicelib.platform.db import Database, get_db
from chalicelib.platform.text import format_try
from tests.conftest import Api, TenantInfo, login, make_user
from tests.e2e.invoices_kit import (
    CORPORATE_VKN,
    Item,
    OrderDiscount,
    corporate_billing,
    individual_billing,
    insert_order,
    order_paid,
    pdf_text,
    s3_object,
    sqs_event,
)
from tests.e2e.test_pipeline import assert_error_shape
from tests.helpers import simultaneously
from tests.notifications_outbox import drain_notifications, last_email, sent_emails

TURKISH = "Şişme Yatak, Ğ, ı, İ, ç, ö, ü"
SELLER = {"prefix": "HGL", "legal_name": "Huğlu Av Tüfekleri Kooperatifi", "tax_office": "Beyşehir",
          "tax_number": "4810012345", "address": "Huğlu Mah. Atatürk Cad. No 1, 42700 Beyşehir / Konya"}


class Customer:
    def __init__(self, client: Any, tenant: TenantInfo) -> None:
        self.user_id, self.email, password = make_user(tenant)
        self.api = Api(client, tenant.api_key)
        self.api.token = login(self.api, self.email, password)["access_token"]


@pytest.fixture
def seller(db: Database, tenant: TenantInfo) -> dict[str, str]:
    db.session().execute("UPDATE tenants SET settings = %s WHERE id = %s", (json.dumps({"invoice": SELLER}), tenant.id))
    return SELLER


@pytest.fixture
def customer(client: Any, tenant: TenantInfo) -> Customer:
    return Customer(client, tenant)


def one_item_order(db: Database, tenant_id: int, user_id: int | None, **kw: Any) -> int:
    return insert_order(db, tenant_id, user_id, [Item("Kamp Sandalyesi", "349.90")], **kw)


def sequence(db: Database, tenant_id: int, year: int) -> int | None:
    return db.session().scalar("SELECT last_number FROM invoice_sequences WHERE tenant_id = %s AND `year` = %s",
                               (tenant_id, year))


def invoices_of(db: Database, tenant_id: int) -> list[dict[str, Any]]:
    return db.session().all("SELECT * FROM invoices WHERE tenant_id = %s ORDER BY sequence_number", (tenant_id,))


def this_year() -> int:
    from chalicelib.invoices.formatting import invoice_year
    from chalicelib.invoices.service import utcnow

    return invoice_year(utcnow())


# -- numbering ---------------------------------------------------------------------------------
def test_concurrent_invoices_are_numbered_1_to_n_without_gaps_or_duplicates(db: Database, tenant: TenantInfo,
                                                                              seller: dict[str, str]):
    user_id, _, _ = make_user(tenant)
    orders = [one_item_order(db, tenant.id, user_id) for _ in range(24)]

    results = simultaneously(*[lambda o=o: issue_invoice(get_db(), tenant.id, o) for o in orders])

    assert all(r is not None and r.created for r in results), results  # no thread died, each one issued
    rows = invoices_of(db, tenant.id)
    year = this_year()
    assert [r["sequence_number"] for r in rows] == list(range(1, 25))
    assert [r["invoice_number"] for r in rows] == [f"HGL{year}{n:09d}" for n in range(1, 25)]
    assert sorted(r["order_id"] for r in rows) == sorted(orders)
    assert sequence(db, tenant.id, year) == 24
    # Issue times are taken under the sequence lock: a later number never has an earlier time.
    assert [r["issued_at"] for r in rows] == sorted(r["issued_at"] for r in rows)


def test_one_order_issued_concurrently_gets_one_invoice(db: Database, tenant: TenantInfo):
    order_id = one_item_order(db, tenant.id, make_user(tenant)[0])

    results = simultaneously(*[lambda: issue_invoice(get_db(), tenant.id, order_id) for _ in range(8)])

    assert len({r.invoice["id"] for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert len(invoices_of(db, tenant.id)) == 1 and sequence(db, tenant.id, this_year()) == 1


def test_issuing_again_returns_the_same_invoice(db: Database, tenant: TenantInfo):
    order_id = one_item_order(db, tenant.id, make_user(tenant)[0])
    first = issue_invoice(db, tenant.id, order_id)
    again = issue_invoice(db, tenant.id, order_id)
    assert first.created and not again.created
    assert again.invoice["invoice_number"] == first.invoice["invoice_number"]
    assert sequence(db, tenant.id, this_year()) == 1


def test_a_failed_issue_gives_its_number_back(db: Database, tenant: TenantInfo, monkeypatch: pytest.MonkeyPatch):
    user_id = make_user(tenant)[0]
    failing, next_order = one_item_order(db, tenant.id, user_id), one_item_order(db, tenant.id, user_id)

    def insert_fails(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("the invoice insert failed after the sequence moved")

    monkeypatch.setattr(repo, "insert_invoice", insert_fails)
    with pytest.raises(RuntimeError):
        issue_invoice(db, tenant.id, failing)
    monkeypatch.undo()

    assert sequence(db, tenant.id, this_year()) in (None, 0)  # rolled back with the transaction
    assert issue_invoice(db, tenant.id, next_order).invoice["sequence_number"] == 1
    assert issue_invoice(db, tenant.id, failing).invoice["sequence_number"] == 2


def test_numbers_follow_the_turkish_calendar_year_and_restart_each_year(db: Database, tenant: TenantInfo):
    user_id = make_user(tenant)[0]
    before, after = one_item_order(db, tenant.id, user_id), one_item_order(db, tenant.id, user_id)
    # 20:30 UTC on 31 December is still 2026 in Istanbul; 21:30 UTC is already 2027 there.
    late_2026 = issue_invoice(db, tenant.id, before, clock=lambda: datetime(2026, 12, 31, 20, 30))
    early_2027 = issue_invoice(db, tenant.id, after, clock=lambda: datetime(2026, 12, 31, 21, 30))
    assert (late_2026.invoice["invoice_year"], late_2026.invoice["sequence_number"]) == (2026, 1)
    assert (early_2027.invoice["invoice_year"], early_2027.invoice["sequence_number"]) == (2027, 1)
    assert early_2027.invoice["invoice_number"].endswith("2027000000001")


def test_midnight_passing_while_waiting_for_the_lock_numbers_in_the_new_year(db: Database, tenant: TenantInfo):
    order_id = one_item_order(db, tenant.id, make_user(tenant)[0])
    # First read picks 2026's series; the read under the lock is already 2027 (Istanbul).
    times = iter([datetime(2026, 12, 31, 20, 59, 59), datetime(2026, 12, 31, 21, 0, 1)])
    issued = issue_invoice(db, tenant.id, order_id, clock=lambda: next(times, datetime(2026, 12, 31, 21, 0, 2)))
    assert (issued.invoice["invoice_year"], issued.invoice["sequence_number"]) == (2027, 1)
    assert sequence(db, tenant.id, 2026) in (None, 0)


@pytest.mark.parametrize("settings", [{}, {"invoice": {"prefix": "hg1x"}}])  # none, or not 3 of A-Z/0-9
def test_prefix_defaults_to_the_tenant_slug(db: Database, tenant: TenantInfo, settings: dict[str, Any]):
    db.session().execute("UPDATE tenants SET settings = %s WHERE id = %s", (json.dumps(settings), tenant.id))
    order_id = one_item_order(db, tenant.id, make_user(tenant)[0])
    number = issue_invoice(db, tenant.id, order_id).invoice["invoice_number"]
    assert number[:3] == tenant.slug.replace("-", "")[:3].upper()
    assert len(number) == 16 and number[3:7] == str(this_year())


# -- which orders get one -----------------------------------------------------------------------
@pytest.mark.parametrize(("status", "payment_status"), [("pending_payment", "unpaid"), ("cancelled", "refunded"),
                                                        ("paid", "awaiting_transfer")])
def test_unpaid_or_cancelled_orders_are_not_invoiced(db: Database, tenant: TenantInfo, status: str,
                                                     payment_status: str):
    order_id = one_item_order(db, tenant.id, make_user(tenant)[0], status=status, payment_status=payment_status)
    with pytest.raises(OrderNotInvoiceable):
        issue_invoice(db, tenant.id, order_id)
    assert invoices_of(db, tenant.id) == [] and sequence(db, tenant.id, this_year()) in (None, 0)


def test_an_order_whose_lines_do_not_add_up_is_refused(db: Database, tenant: TenantInfo):
    order_id = one_item_order(db, tenant.id, make_user(tenant)[0])
    db.session().execute("UPDATE orders SET grand_total = grand_total + 1 WHERE tenant_id = %s AND id = %s",
                         (tenant.id, order_id))
    with pytest.raises(TotalsMismatch):
        issue_invoice(db, tenant.id, order_id)
    assert invoices_of(db, tenant.id) == [] and sequence(db, tenant.id, this_year()) in (None, 0)


def test_the_consumer_skips_an_order_cancelled_before_its_invoice(db: Database, tenant: TenantInfo):
    order_id = one_item_order(db, tenant.id, make_user(tenant)[0], status="cancelled", payment_status="refunded")
    assert issue_invoices(sqs_event(order_paid(tenant.id, order_id)), None) == {"batchItemFailures": []}
    assert invoices_of(db, tenant.id) == []


# -- content and the PDF -------------------------------------------------------------------------
def test_the_pdf_prints_turkish_text_parties_lines_vat_and_totals(db: Database, tenant: TenantInfo,
                                                                  seller: dict[str, str]):
    express = ShippingMethod("express", "Hızlı Kargo", Decimal("99.90"))
    order_id = insert_order(db, tenant.id, make_user(tenant)[0], [
        Item(TURKISH, "1249.90", quantity=2, variation="Çift Kişilik"),
        Item("Kamp Feneri", "89.90", vat_rate="10.00"),
    ], billing=corporate_billing(), discount=OrderDiscount("KAMP100 kuponu", Decimal("100.00")), shipping=express)

    invoice = process_paid_order(db, tenant.id, order_id)
    assert invoice is not None
    body = s3_object(invoice["s3_key"])
    assert body is not None and body.startswith(b"%PDF-")
    text = pdf_text(body)
    flat = " ".join(text.split())  # table cells may wrap onto several drawn lines

    assert TURKISH in text and "Çift Kişilik" in text and "Hızlı Kargo" in text
    for expected in ("Huğlu Av Tüfekleri Kooperatifi", "Vergi Dairesi: Beyşehir", "VKN: 4810012345",  # seller
                     "Şişme Kamp Ürünleri Ltd. Şti.", "Vergi Dairesi: Kadıköy", f"VKN: {CORPORATE_VKN}",  # buyer
                     invoice["invoice_number"], "Fatura", "SATIŞ", "Kredi Kartı"):
        assert expected in flat, expected
    # Lines: 2 × 1.249,90; the order discount spread over the lines; shipping at 20 %.
    assert "1.249,90 TL" in text and "89,90 TL" in text and "99,90 TL" in text
    assert "KAMP100 kuponu: -100,00 TL" in flat
    # Totals: 2.589,70 of goods − 100,00 + 99,90 shipping = 2.589,60 to pay.
    assert invoice["subtotal"] == Decimal("2589.70") and invoice["grand_total"] == Decimal("2589.60")
    assert "2.589,70 TL" in text and "-100,00 TL" in text and "Ödenecek Tutar" in text and "2.589,60 TL" in text
    breakdown = json.loads(db.session().scalar("SELECT vat_breakdown FROM invoices WHERE id = %s", (invoice["id"],)))
    assert set(breakdown) == {"10.00", "20.00"}
    assert sum(Decimal(p["base"]) + Decimal(p["vat"]) for p in breakdown.values()) == invoice["grand_total"]
    assert sum(Decimal(p["vat"]) for p in breakdown.values()) == invoice["vat_total"]
    for rate, label in (("10.00", "%10"), ("20.00", "%20")):
        assert f"KDV Matrahı ({label}) {format_try(Decimal(breakdown[rate]['base']))}" in flat
        assert f"Hesaplanan KDV ({label}) {format_try(Decimal(breakdown[rate]['vat']))}" in flat


def test_an_individual_buyer_is_printed_with_a_masked_national_id(db: Database, tenant: TenantInfo):
    order_id = one_item_order(db, tenant.id, make_user(tenant)[0], billing=individual_billing("10000000146"))
    invoice = process_paid_order(db, tenant.id, order_id)
    assert invoice is not None
    text = pdf_text(s3_object(invoice["s3_key"]) or b"")
    assert "Ayşe Yılmaz" in text and "TCKN: *********46" in text and "Huğlu" in text
    stored = db.session().one("SELECT buyer, seller FROM invoices WHERE id = %s", (invoice["id"],))
    assert stored is not None
    assert "10000000146" not in text and "10000000146" not in stored["buyer"]
    assert json.loads(stored["buyer"])["national_id_masked"] == "*********46"
    assert json.loads(stored["seller"])["legal_name"].startswith("Test ")  # tenant name without settings


def test_rendering_twice_stores_the_same_bytes(db: Database, tenant: TenantInfo):
    order_id = one_item_order(db, tenant.id, make_user(tenant)[0])
    invoice = process_paid_order(db, tenant.id, order_id)
    assert invoice is not None
    first = s3_object(invoice["s3_key"])
    ensure_stored(db, tenant.id, {**invoice, "s3_key": None})  # a retry that found no key
    assert s3_object(invoice["s3_key"]) == first


# -- the consumer and the e-mail -------------------------------------------------------------------
def test_order_paid_issues_stores_and_emails_the_invoice(client: Any, db: Database, tenant: TenantInfo,
                                                         seller: dict[str, str], customer: Customer):
    order_id = one_item_order(db, tenant.id, customer.user_id, contact_email=customer.email)
    event = client.events.generate_sqs_event(message_bodies=[json.dumps(order_paid(tenant.id, order_id))],
                                             queue_name="invoices")
    assert client.lambda_.invoke("issue_invoices", event).payload == {"batchItemFailures": []}

    (row,) = invoices_of(db, tenant.id)
    assert row["s3_key"] == f"tenants/{tenant.id}/invoices/{row['invoice_year']}/{row['invoice_number']}.pdf"
    assert s3_object(row["s3_key"]) is not None and row["emailed_at"] is not None
    drain_notifications()
    mail = last_email(customer.email)
    assert mail["subject"] == f"{row['invoice_number']} numaralı faturanız"
    assert "Fatura tutarı: 399,80 TL" in mail["text"] and f"/hesabim/siparisler/{order_id}" in mail["text"]


def test_a_redelivered_or_replayed_event_issues_and_mails_once(db: Database, tenant: TenantInfo, customer: Customer):
    order_id = one_item_order(db, tenant.id, customer.user_id, contact_email=customer.email)
    message = order_paid(tenant.id, order_id)
    for _ in range(2):  # SQS at-least-once: the same message id again
        assert issue_invoices(sqs_event(message), None) == {"batchItemFailures": []}
    # The relay and the commit callback racing, or a replay after the done-key expired: a new id.
    assert issue_invoices(sqs_event(order_paid(tenant.id, order_id)), None) == {"batchItemFailures": []}

    assert len(invoices_of(db, tenant.id)) == 1
    drain_notifications()
    assert len(sent_emails(customer.email)) == 1


def test_the_email_goes_out_in_the_customers_language(db: Database, tenant: TenantInfo, customer: Customer):
    db.session().execute("UPDATE users SET language = 'en' WHERE tenant_id = %s AND id = %s",
                         (tenant.id, customer.user_id))
    order_id = one_item_order(db, tenant.id, customer.user_id)  # no contact e-mail: the account's
    invoice = process_paid_order(db, tenant.id, order_id)
    assert invoice is not None
    drain_notifications()
    mail = last_email(customer.email)
    assert mail["subject"] == f"Your invoice {invoice['invoice_number']}" and "Invoice total: 399,80 TL" in mail["text"]


def test_a_failed_upload_is_retried_by_the_next_delivery(db: Database, tenant: TenantInfo, customer: Customer,
                                                          monkeypatch: pytest.MonkeyPatch):
    from chalicelib.invoices import storage

    order_id = one_item_order(db, tenant.id, customer.user_id)
    real_put = storage.put_pdf

    def s3_down(*args: Any, **kwargs: Any) -> None:
        raise storage.StorageUnavailable(details={"storage": "put"})

    monkeypatch.setattr(storage, "put_pdf", s3_down)
    event = sqs_event(order_paid(tenant.id, order_id))
    assert issue_invoices(event, None) == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    (row,) = invoices_of(db, tenant.id)  # numbered and committed before the upload failed
    assert row["s3_key"] is None and row["emailed_at"] is None

    monkeypatch.setattr(storage, "put_pdf", real_put)
    assert issue_invoices(event, None) == {"batchItemFailures": []}  # SQS hands the same message back
    (row,) = invoices_of(db, tenant.id)
    assert row["sequence_number"] == 1 and s3_object(row["s3_key"]) is not None and row["emailed_at"] is not None
    drain_notifications()
    assert len(sent_emails(customer.email)) == 1


def test_other_event_types_are_ignored_and_malformed_ones_fail(db: Database, tenant: TenantInfo):
    order_id = one_item_order(db, tenant.id, make_user(tenant)[0])
    other = {**order_paid(tenant.id, order_id), "type": "OrderShipped"}
    broken = {**order_paid(tenant.id, order_id), "payload": {}}
    event = sqs_event(other, broken)
    result = issue_invoices(event, None)
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
    assert invoices_of(db, tenant.id) == []


def test_an_order_without_an_address_is_invoiced_but_not_mailed(db: Database, tenant: TenantInfo):
    order_id = one_item_order(db, tenant.id, None)  # a guest order that left no e-mail
    invoice = process_paid_order(db, tenant.id, order_id)
    assert invoice is not None and invoice["s3_key"] and invoice["emailed_at"] is None


# -- customer download ---------------------------------------------------------------------------
def test_the_customer_downloads_their_invoice(db: Database, tenant: TenantInfo, customer: Customer):
    order_id = one_item_order(db, tenant.id, customer.user_id)
    invoice = process_paid_order(db, tenant.id, order_id)
    assert invoice is not None

    response = customer.api.get(f"/api/orders/{order_id}/invoice")
    assert response.status_code == 200, response.body
    assert set(response.json) == {"invoice_number", "issued_at", "url", "expires_in"}
    assert response.json["invoice_number"] == invoice["invoice_number"] and response.json["expires_in"] == 300
    pdf = requests.get(response.json["url"], timeout=10)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content == s3_object(invoice["s3_key"])


def test_a_download_renders_a_pdf_that_is_missing(db: Database, tenant: TenantInfo, customer: Customer):
    order_id = one_item_order(db, tenant.id, customer.user_id)
    issued = issue_invoice(db, tenant.id, order_id)  # committed, but rendering never happened (crash, S3 down)
    assert issued.invoice["s3_key"] is None

    response = customer.api.get(f"/api/orders/{order_id}/invoice")
    assert response.status_code == 200, response.body
    key = db.session().scalar("SELECT s3_key FROM invoices WHERE id = %s", (issued.invoice["id"],))
    assert key and pdf_text(s3_object(key) or b"").count(issued.invoice["invoice_number"]) >= 1


def test_no_invoice_yet_is_404_invoice_not_ready(db: Database, tenant: TenantInfo, customer: Customer):
    order_id = one_item_order(db, tenant.id, customer.user_id)
    assert_error_shape(customer.api.get(f"/api/orders/{order_id}/invoice"), 404, "invoice_not_ready")


def test_another_users_or_tenants_order_is_404(client: Any, db: Database, tenant: TenantInfo,
                                               other_tenant: TenantInfo, customer: Customer):
    stranger = Customer(client, tenant)
    theirs = one_item_order(db, tenant.id, stranger.user_id)
    assert process_paid_order(db, tenant.id, theirs) is not None
    foreigner = Customer(client, other_tenant)
    foreign = one_item_order(db, other_tenant.id, foreigner.user_id)
    assert process_paid_order(db, other_tenant.id, foreign) is not None

    for order_id in (theirs, foreign, 999_999_999):
        error = assert_error_shape(customer.api.get(f"/api/orders/{order_id}/invoice"), 404, "order_not_found")
        assert "invoice" not in json.dumps(error["details"] or {})
    # The other tenant's customer, with their own key, cannot reach this tenant's order either.
    assert_error_shape(foreigner.api.get(f"/api/orders/{theirs}/invoice"), 404, "order_not_found")


def test_bad_ids_and_no_sign_in_are_refused(tenant: TenantInfo, client: Any, customer: Customer):
    assert_error_shape(customer.api.get("/api/orders/abc/invoice"), 404, "not_found")
    assert_error_shape(customer.api.get("/api/orders/0/invoice"), 404, "not_found")
    assert_error_shape(Api(client, tenant.api_key).get("/api/orders/1/invoice"), 401, "token_missing")


# -- admin --------------------------------------------------------------------------------------------
def staff(client: Any, tenant: TenantInfo, role: str) -> Api:
    _, email, password = make_user(tenant, roles=[role])
    api = Api(client, tenant.api_key)
    api.token = login(api, email, password)["access_token"]
    return api


def test_staff_see_an_orders_invoice(client: Any, db: Database, tenant: TenantInfo, other_tenant: TenantInfo,
                                     admin_api: Api, customer: Customer):
    order_id = one_item_order(db, tenant.id, customer.user_id)
    invoice = issue_invoice(db, tenant.id, order_id).invoice

    response = staff(client, tenant, "support").get(f"/api/admin/orders/{order_id}/invoice")  # orders.read
    assert response.status_code == 200, response.body
    body = response.json
    assert (body["invoice_number"], body["status"], body["order_id"]) == (invoice["invoice_number"], "issued", order_id)
    assert Decimal(body["grand_total"]) == Decimal("399.80") and body["emailed_at"] is None and body["url"]

    assert_error_shape(customer.api.get(f"/api/admin/orders/{order_id}/invoice"), 403, "forbidden")
    foreign = one_item_order(db, other_tenant.id, make_user(other_tenant)[0])
    issue_invoice(db, other_tenant.id, foreign)
    assert_error_shape(admin_api.get(f"/api/admin/orders/{foreign}/invoice"), 404, "order_not_found")
    no_invoice = one_item_order(db, tenant.id, customer.user_id)
    assert_error_shape(admin_api.get(f"/api/admin/orders/{no_invoice}/invoice"), 404, "invoice_not_ready")


def test_staff_resend_the_email_audited(client: Any, db: Database, tenant: TenantInfo, admin_api: Api,
                                        customer: Customer):
    order_id = one_item_order(db, tenant.id, customer.user_id, contact_email=customer.email)
    invoice = process_paid_order(db, tenant.id, order_id)
    assert invoice is not None
    drain_notifications()
    assert len(sent_emails(customer.email)) == 1

    assert_error_shape(staff(client, tenant, "support").post(f"/api/admin/orders/{order_id}/invoice/resend"),
                       403, "forbidden")  # orders.read only
    response = admin_api.post(f"/api/admin/orders/{order_id}/invoice/resend")
    assert response.status_code == 202, response.body
    assert response.json["invoice_number"] == invoice["invoice_number"]
    assert response.json["to"] == customer.email[0] + "***@example.com"
    drain_notifications()
    assert len(sent_emails(customer.email)) == 2
    logs = db.session().all("SELECT action, entity_id, after_data FROM admin_logs WHERE tenant_id = %s "
                            "AND action = 'invoice.resend'", (tenant.id,))
    assert [(log["entity_id"], json.loads(log["after_data"])["to"]) for log in logs] == [
        (str(invoice["id"]), response.json["to"])]


def test_resend_without_an_invoice_or_an_address_changes_nothing(db: Database, tenant: TenantInfo, admin_api: Api,
                                                                 other_tenant: TenantInfo):
    no_invoice = one_item_order(db, tenant.id, make_user(tenant)[0])
    assert_error_shape(admin_api.post(f"/api/admin/orders/{no_invoice}/invoice/resend"), 404, "invoice_not_ready")
    guest = one_item_order(db, tenant.id, None)
    issue_invoice(db, tenant.id, guest)
    assert_error_shape(admin_api.post(f"/api/admin/orders/{guest}/invoice/resend"), 409, "invoice_no_recipient")
    foreign = one_item_order(db, other_tenant.id, make_user(other_tenant)[0])
    issue_invoice(db, other_tenant.id, foreign)
    assert_error_shape(admin_api.post(f"/api/admin/orders/{foreign}/invoice/resend"), 404, "order_not_found")
    assert db.session().scalar("SELECT COUNT(*) FROM admin_logs WHERE tenant_id = %s AND action = 'invoice.resend'",
                               (tenant.id,)) == 0
    assert db.session().scalar("SELECT emailed_at FROM invoices WHERE tenant_id = %s AND order_id = %s",
                               (tenant.id, guest)) is None


# -- with the real checkout and payment hook -------------------------------------------------------
def test_checkout_then_payment_ends_in_an_invoice_through_the_queue(client: Any, db: Database, tenant: TenantInfo):
    """The orders area's own path: checkout → payments.mark_paid writes OrderPaid to the outbox →
    the invoices queue → this consumer.  Proves the contract (event shape, billing snapshot,
    stored totals adding up) against the real producer, not only against rows written here."""
    from tests.orders_kit import checkout, drain, fill_cart, pay, product, shopper

    who = shopper(client, tenant)
    product_id, variation_id = product(db, tenant.id, price="1249.90", name=TURKISH)
    fill_cart(db, tenant.id, who.user_id, [(product_id, variation_id, 2)])
    placed = checkout(who)
    assert placed.status_code == 201, placed.body
    order_id = placed.json["id"]
    assert_error_shape(who.api.get(f"/api/orders/{order_id}/invoice"), 404, "invoice_not_ready")

    pay(db, tenant.id, order_id)
    drain("invoices", issue_invoices)

    (row,) = invoices_of(db, tenant.id)
    assert (row["order_id"], row["grand_total"]) == (order_id, Decimal("2499.80"))
    text = pdf_text(s3_object(row["s3_key"]) or b"")
    assert TURKISH in text and "Ayşe Yılmaz" in text and "2.499,80 TL" in text
    drain_notifications()
    assert last_email(who.email)["subject"] == f"{row['invoice_number']} numaralı faturanız"
    response = who.api.get(f"/api/orders/{order_id}/invoice")
    assert response.status_code == 200 and response.json["invoice_number"] == row["invoice_number"]
