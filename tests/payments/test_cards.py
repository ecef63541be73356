"""Saved cards through the real iyzico adapter over HTTPS to the local sandbox: store, list,
delete, other users' and tenants' cards, odd input, iyzico down or refusing - and the card
number nowhere: not in payment_cards, idempotency_keys, the audit log or the logs."""
from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from chalicelib.payments import cards
from chalicelib.platform.db import get_db
from tests.conftest import Api, TenantInfo, make_tenant, make_user
from tests.payments import test_installments as kit
from tests.payments.test_installments import control, customer

sandbox, client = kit.sandbox, kit.client  # the same fixtures: the sandbox over HTTPS, the payments app

URL = "/api/payment/cards"
NUMBER = "5528790000000008"
OTHER_NUMBER = "5890040000000016"


def card(number: str | None = NUMBER, **extra: Any) -> dict[str, Any]:
    return {"holder": "Ayşe Yılmaz", "number": number, "expire_month": "12", "expire_year": "2030", **extra}


def rows(sql: str, *params: Any) -> list[dict[str, Any]]:
    return get_db().session().all(sql, params)


@pytest.fixture
def shop() -> TenantInfo:
    return make_tenant()


def test_store_list_delete(sandbox: Any, client: Any, shop: TenantInfo, caplog: pytest.LogCaptureFixture) -> None:
    logging.getLogger("huglu").addHandler(caplog.handler)  # the app's loggers do not propagate to root
    caplog.set_level(logging.DEBUG, logger="huglu")
    try:
        user_id = make_user(shop)[0]
        api = customer(client, shop, user_id)
        key = uuid.uuid4().hex
        first = api.post(URL, card(cvc="123", alias="iş kartım"), headers={"Idempotency-Key": key})
        assert first.status_code == 201, first.body
        shown = first.json
        assert shown["alias"] == "iş kartım" and shown["last4"] == "0008" and shown["bin_number"] == "552879"
        assert shown["association"] == "MASTER_CARD" and shown["bank_name"] and shown["family"]
        assert set(shown) == {"id", "alias", "bin_number", "last4", "association", "family", "bank_name",
                              "created_at"}
        replay = api.post(URL, card(cvc="123", alias="iş kartım"), headers={"Idempotency-Key": key})
        assert replay.status_code == 201 and replay.json == shown and replay.headers["Idempotent-Replayed"] == "true"
        other = api.post(URL, card(OTHER_NUMBER, expire_year="31", expire_month="1"), headers={"Idempotency-Key": key})
        assert other.status_code == 409  # same key, another card: idempotency_key_reused
        second = api.post(URL, card(f"{OTHER_NUMBER[:4]} {OTHER_NUMBER[4:8]}-{OTHER_NUMBER[8:]}", expire_year="31",
                                    expire_month="1"))
        assert second.status_code == 201 and second.json["alias"] is None and second.json["last4"] == "0016"

        listed = api.get(URL).json["items"]
        assert [c["id"] for c in listed] == [second.json["id"], shown["id"]]  # newest first
        saved = rows("SELECT * FROM payment_cards WHERE tenant_id = %s ORDER BY id", shop.id)
        assert len(saved) == 2 and saved[0]["card_user_key"] == saved[1]["card_user_key"]  # one key per user
        assert cards.card_for_payment(get_db().session(), shop.id, user_id, shown["id"]) == \
            (saved[0]["card_user_key"], saved[0]["card_token"])
        stored_at_iyzico = control(sandbox, "/_fake/requests")["requests"]
        assert any(r["path"] == "/cardstorage/card" and r["auth_ok"] for r in stored_at_iyzico)

        assert api.delete(f"{URL}/{shown['id']}").status_code == 204
        assert [c["id"] for c in api.get(URL).json["items"]] == [second.json["id"]]
        assert cards.card_for_payment(get_db().session(), shop.id, user_id, shown["id"]) is None
        assert api.delete(f"{URL}/{shown['id']}").status_code == 404

        # the number is nowhere: our card rows, the idempotency keys, the audit log, the logs
        for table in ("payment_cards", "idempotency_keys", "admin_logs"):
            dump = repr(rows(f"SELECT * FROM {table} WHERE tenant_id = %s", shop.id))
            assert NUMBER not in dump and OTHER_NUMBER not in dump and OTHER_NUMBER[4:] not in dump, table
        logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
        assert NUMBER not in logged and OTHER_NUMBER not in logged
        assert "cardstorage" in logged  # the adapter did log its calls: the scan looked at something
    finally:
        logging.getLogger("huglu").removeHandler(caplog.handler)


def test_iyzico_already_deleted_still_removes_ours(sandbox: Any, client: Any, shop: TenantInfo) -> None:
    user_id = make_user(shop)[0]
    api = customer(client, shop, user_id)
    saved = api.post(URL, card()).json
    key, token = cards.card_for_payment(get_db().session(), shop.id, user_id, saved["id"]) or ("", "")
    from chalicelib.adapters.iyzico import gateway

    assert gateway().delete_card(key, token)  # gone at iyzico behind our back
    assert api.delete(f"{URL}/{saved['id']}").status_code == 204
    assert api.get(URL).json["items"] == []


def test_another_users_or_tenants_card_is_404(sandbox: Any, client: Any, shop: TenantInfo) -> None:
    owner = customer(client, shop)
    saved = owner.post(URL, card()).json
    stranger = customer(client, shop)
    assert stranger.get(URL).json["items"] == []
    response = stranger.delete(f"{URL}/{saved['id']}")
    assert response.status_code == 404 and response.json["error"]["code"] == "payment_card_not_found"
    elsewhere = customer(client, make_tenant())
    assert elsewhere.delete(f"{URL}/{saved['id']}").status_code == 404
    assert [c["id"] for c in owner.get(URL).json["items"]] == [saved["id"]]
    for bad in ("abc", "0", "-1", "99999999999999999999"):
        assert owner.delete(f"{URL}/{bad}").status_code == 404


def test_users_do_not_share_card_user_keys(sandbox: Any, client: Any, shop: TenantInfo) -> None:
    customer(client, shop).post(URL, card())
    customer(client, shop).post(URL, card())
    keys = {r["card_user_key"] for r in rows("SELECT card_user_key FROM payment_cards WHERE tenant_id = %s", shop.id)}
    assert len(keys) == 2


@pytest.mark.parametrize("body", [
    card(holder=None), card(number=None), card(expire_month=None), card(expire_year=None),
    card(number="5528790000000009"),  # fails Luhn
    card(number="5528 7900 0000 000８"), card(number="55287900000000080000"), card(expire_month="13"),
    card(expire_year="2020"), card(expire_year="20301"), card(cvc="12"), card(cvc="12a"),
    card(alias="kart\x00ım"), card(alias="a" * 101), card(alias="gpj.\u202eexe"), card(holder="x"),
    card(extra="field"), {"number": NUMBER},
])
def test_bad_card_is_400_and_never_echoes_the_number(sandbox: Any, client: Any, shop: TenantInfo,
                                                     body: dict[str, Any]) -> None:
    api = customer(client, shop)
    response = api.post(URL, body)
    assert response.status_code == 400, (body, response.body)
    assert response.json["error"]["code"] in ("validation_failed", "invalid_text")
    assert NUMBER not in response.body.decode() and "000000" not in response.body.decode()
    assert rows("SELECT id FROM payment_cards WHERE tenant_id = %s", shop.id) == []


def test_explicit_nulls_and_odd_unicode_aliases(sandbox: Any, client: Any, shop: TenantInfo) -> None:
    api = customer(client, shop)
    plain = api.post(URL, card(cvc=None, alias=None))
    assert plain.status_code == 201 and plain.json["alias"] is None
    for alias in ("🏕️ kamp kartı", "بطاقتي", "כרטיס", "   ", "İŞÇĞÜÖ ışçğüö"):
        response = api.post(URL, card(alias=alias))
        assert response.status_code == 201, (alias, response.body)
        assert response.json["alias"] == (None if not alias.strip() else alias)
    aliases = [c["alias"] for c in api.get(URL).json["items"]]
    assert "🏕️ kamp kartı" in aliases and "بطاقتي" in aliases


def test_iyzico_refusal_is_422_and_outage_is_503(sandbox: Any, client: Any, shop: TenantInfo) -> None:
    api = customer(client, shop)
    refused = api.post(URL, card("4222222222222"))  # Luhn-valid, 13 digits: the sandbox will not store it
    assert refused.status_code == 422, refused.body
    assert refused.json["error"]["code"] == "card_request_refused" and refused.json["error"]["details"]["provider_code"]
    control(sandbox, "/_fake/fail", {"path": "/cardstorage/card", "mode": "status_500", "times": 1})
    down = api.post(URL, card())
    assert down.status_code == 503 and down.headers["Retry-After"] == "30"
    assert rows("SELECT id FROM payment_cards WHERE tenant_id = %s", shop.id) == []
    saved = api.post(URL, card()).json
    control(sandbox, "/_fake/fail", {"path": "/cardstorage/card", "mode": "status_500", "times": 1})
    assert api.delete(f"{URL}/{saved['id']}").status_code == 503  # ours stays: a retry finishes it
    assert [c["id"] for c in api.get(URL).json["items"]] == [saved["id"]]
    assert api.delete(f"{URL}/{saved['id']}").status_code == 204


def test_needs_a_signed_in_customer(sandbox: Any, client: Any, shop: TenantInfo) -> None:
    assert Api(client, shop.api_key).post(URL, card()).status_code == 401
    assert Api(client, shop.api_key).get(URL).status_code == 401
