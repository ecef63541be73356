"""Open routes that iyzico and the customer's browser call back (no API key: the tenant is named
in the path by its slug).  Untrusted input: nothing is decided from it (callbacks.py, webhooks.py).

    POST /api/payment/3ds/callback/{tenant}            the bank's 3-D Secure form (urlencoded)
    POST /api/payment/checkout-form/callback/{tenant}  the hosted page's return: token (urlencoded)
    POST /api/payment/webhooks/iyzico/{tenant}         iyzico's notification (JSON, X-IYZ-SIGNATURE-V3)

The two browser callbacks answer 303 to the shop's result page (https://<tenant domain>/payment/
result?attempt=..&status=..) when the tenant has a domain, else a small HTML page; junk input gets
the same page (never a 500), and changes nothing.
"""
from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs, urlencode

from chalice import Response

from chalicelib.platform.db import get_db
from chalicelib.platform.errors import ApiError
from chalicelib.platform.http import json_response
from chalicelib.platform.logging import get_logger
from chalicelib.platform.routing import FORM, OPEN, Call, Router

from . import callbacks, webhooks
from .card_schemas import WebhookOut

router = Router(tag="payments")
WEBHOOK_ERRORS = {"forged": "webhook_signature_invalid", "unknown_tenant": "not_found", "invalid": "webhook_invalid"}
MAX_FORM_BYTES = 16 * 1024
log = get_logger("payments.callback_routes")


def _form(call: Call) -> dict[str, str]:
    raw = call.request.raw_body or b""
    if len(raw) > MAX_FORM_BYTES:
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    parsed = parse_qs(text, keep_blank_values=True, max_num_fields=32)
    return {k: v[-1] for k, v in parsed.items() if v and "\x00" not in k and "\x00" not in v[-1]}


_TEXT = {"succeeded": ("Ödemeniz alındı.", "Your payment was received."),
         "review": ("Ödemeniz alındı; mağaza kontrol ediyor.", "Your payment was received; the shop is checking it."),
         "unknown": ("Ödemenizin sonucu kontrol ediliyor.", "Your payment's result is being checked.")}


def _page(outcome: callbacks.Outcome) -> Response:
    shop: dict[str, Any] | None = outcome.tenant
    status = outcome.status or "not_found"
    if shop is not None and shop.get("domain") and outcome.attempt_id is not None:
        query = urlencode({"attempt": outcome.attempt_id, "status": status})
        return Response(body="", status_code=303,
                        headers={"Location": f"https://{shop['domain']}/payment/result?{query}",
                                 "Cache-Control": "no-store"})
    tr, en = _TEXT.get(status, ("Ödeme tamamlanmadı.", "The payment was not completed."))
    body = (f"<!doctype html><html lang='tr'><head><meta charset='utf-8'><title>Ödeme / Payment</title></head>"
            f"<body><h1>{html.escape(tr)}</h1><p>{html.escape(en)}</p>"
            f"<p data-attempt='{outcome.attempt_id or ''}' data-status='{html.escape(status)}'></p></body></html>")
    return Response(body=body, status_code=200, headers={"Content-Type": "text/html; charset=utf-8",
                                                         "Cache-Control": "no-store"})


RESULT_PAGE = ((200, "text/html", "The result page (the shop has no domain to send the browser back to)"),)


@router.post("/api/payment/3ds/callback/{tenant}", auth=OPEN, status=303, content_type=FORM, pages=RESULT_PAGE)
def threeds_callback(call: Call) -> Response:
    """The bank's 3-D Secure result, posted by the customer's browser (form: status, paymentId,
    conversationData, conversationId, mdStatus, signature).  Never trusted: the signature is
    checked and the payment finished server-to-server (3dsecure/auth).  303 to the shop's result
    page, or 200 with a small HTML page when the shop has no domain."""
    try:
        outcome = callbacks.threeds(get_db(), call.path["tenant"], _form(call), call.ctx.client_ip or "127.0.0.1")
    except Exception:  # noqa: BLE001 - a browser gets a page, never a 500; the reconciliation settles it
        log.exception("3-D Secure callback failed")
        outcome = callbacks.NOTHING
    return _page(outcome)


@router.post("/api/payment/checkout-form/callback/{tenant}", auth=OPEN, status=303, content_type=FORM,
             pages=RESULT_PAGE)
def checkout_form_callback(call: Call) -> Response:
    """The hosted checkout form's return (form: token), posted by the customer's browser.  The
    result is fetched from iyzico by the token; answers as the 3-D Secure callback."""
    try:
        outcome = callbacks.checkout_form(get_db(), call.path["tenant"], _form(call).get("token") or "")
    except Exception:  # noqa: BLE001 - as above
        log.exception("checkout form callback failed")
        outcome = callbacks.NOTHING
    return _page(outcome)


@router.post("/api/payment/webhooks/iyzico/{tenant}", auth=OPEN, status=200, response=WebhookOut,
             errors=(401,))
def iyzico_webhook(call: Call) -> Response:
    """iyzico's notification of a payment, refund or cancel.  401 when X-IYZ-SIGNATURE-V3 does
    not match (nothing stored); 200 for a retried delivery (iyziReferenceCode seen already: done
    once); the payment is then looked up at iyzico and settled, inside this request."""
    received = webhooks.receive(get_db(), call.path["tenant"], call.request.headers, call.request.raw_body or b"")
    if received.status >= 400:
        raise ApiError(WEBHOOK_ERRORS[received.code], status=received.status)
    return json_response({"status": received.code}, received.status)
