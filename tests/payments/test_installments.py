"""GET /api/payment/installments through the real iyzico adapter (the official SDK) over HTTPS to
the local sandbox (infra/local/fakes/iyzico.py): the bank's options cut to the shop's limit,
BIN facts, bad input, the Redis cache, and iyzico unreachable."""
from __future__ import annotations

import json
import ssl
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.platform.cache import redis_client
from tests.conftest import Api, TenantInfo, make_tenant, make_user
from tests.iyzico_kit import running_sandbox

URL = "/api/payment/installments"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[Any, str]]:
    with running_sandbox() as running:
        yield running


def control(sandbox: tuple[Any, str], path: str, body: dict[str, Any] | None = None) -> Any:
    server, host = sandbox
    request = urllib.request.Request(f"https://{host}{path}", data=None if body is None else json.dumps(body).encode(),
                                     method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json"})
    context = ssl.create_default_context(cafile=str(server.ca_file))
    with urllib.request.urlopen(request, timeout=10, context=context) as response:
        return json.loads(response.read())


def provider_calls(sandbox: tuple[Any, str], path: str) -> int:
    return sum(1 for r in control(sandbox, "/_fake/requests")["requests"] if r["path"] == path)


@pytest.fixture
def client() -> Iterator[Any]:
    """The payments function's own app (functions/payments.py builds the same routes), so these
    tests need no other area's routes."""
    from chalice.test import Client

    from chalicelib.payments.cards_routes import router
    from chalicelib.platform.app_factory import create_app

    with Client(create_app("huglu-payment-cards-test", [router])) as c:
        yield c


def sign_in(tenant_id: int, user_id: int) -> str:
    """An access token as a password login makes one (without the login route's per-IP limit)."""
    from chalicelib.accounts.repository import user_by_id
    from chalicelib.accounts.service import Client, complete_login
    from chalicelib.platform.db import get_db

    db = get_db()
    user = user_by_id(db.session(), tenant_id, user_id)
    assert user is not None
    return str(complete_login(db, tenant_id, user, Client(device_name="tests"), amr=("pwd",))["access_token"])


def customer(client: Any, tenant: TenantInfo, user_id: int | None = None) -> Api:
    api = Api(client, tenant.api_key)
    api.token = sign_in(tenant.id, user_id or make_user(tenant)[0])
    return api


@pytest.fixture
def shop() -> TenantInfo:
    return make_tenant(settings={"payments": {"card_flow": "checkout_form", "max_installments": 6}})


def test_installments_cut_to_the_shops_limit_with_card_facts(sandbox: Any, client: Any, shop: TenantInfo) -> None:
    api = customer(client, shop)
    response = api.get(f"{URL}?bin=552879&amount=100.00")
    assert response.status_code == 200, response.body
    body = response.json
    assert body["bin"] == "552879" and body["amount"] == "100.00" and body["currency"] == "TRY"
    assert body["max_installments"] == 6
    assert [o["installments"] for o in body["options"]] == [1, 2, 3, 6]  # the sandbox offers 1,2,3,6,9,12
    single = body["options"][0]
    assert single == {"installments": 1, "installment_price": "100.00", "total_price": "100.00"}
    for option in body["options"]:  # Decimal strings, two places, never floats
        assert isinstance(option["total_price"], str) and isinstance(option["installment_price"], str)
        total, each = Decimal(option["total_price"]), Decimal(option["installment_price"])
        assert total >= Decimal("100.00") and abs(each * option["installments"] - total) < Decimal("0.10")
    assert body["card"] == {"bin_number": "552879", "association": "MASTER_CARD", "family": "Paraf",
                            "bank_name": "Halkbank", "type": "CREDIT_CARD", "commercial": False}


def test_no_setting_means_single_payment_and_the_limit_is_clamped(sandbox: Any, client: Any) -> None:
    plain = customer(client, make_tenant())
    options = plain.get(f"{URL}?bin=552879&amount=250").json["options"]
    assert [o["installments"] for o in options] == [1]
    for weird, expected in ((99, [1, 2, 3, 6, 9, 12]), (0, [1]), ("6", [1]), (None, [1])):
        api = customer(client, make_tenant(settings={"payments": {"max_installments": weird}}))
        response = api.get(f"{URL}?bin=552879&amount=250")
        assert response.status_code == 200, response.body
        assert [o["installments"] for o in response.json["options"]] == expected, weird


def test_debit_card_gets_one_option(sandbox: Any, client: Any, shop: TenantInfo) -> None:
    body = customer(client, shop).get(f"{URL}?bin=47666200&amount=80.5").json
    assert body["card"]["type"] == "DEBIT_CARD" and [o["installments"] for o in body["options"]] == [1]
    assert body["amount"] == "80.50" and body["options"][0]["total_price"] == "80.50"


@pytest.mark.parametrize("query", [
    "bin=55287&amount=100", "bin=552879001&amount=100", "bin=55287a&amount=100", "bin=５５２８７９&amount=100",
    "bin=552879&amount=0", "bin=552879&amount=-5", "bin=552879&amount=1.234", "bin=552879&amount=abc",
    "bin=552879", "amount=100", "bin=552879&amount=100&card=5528790000000008", "bin=552879&amount=1e3",
    "bin=552879&amount=NaN",
])
def test_bad_input_is_400_in_the_one_shape(sandbox: Any, client: Any, shop: TenantInfo, query: str) -> None:
    before = provider_calls(sandbox, "/payment/iyzipos/installment")
    response = customer(client, shop).get(f"{URL}?{query}")
    assert response.status_code == 400, (query, response.body)
    assert response.json["error"]["code"] == "validation_failed" and response.json["error"]["details"]["fields"]
    assert provider_calls(sandbox, "/payment/iyzipos/installment") == before


def test_needs_a_signed_in_customer(sandbox: Any, client: Any, shop: TenantInfo) -> None:
    response = Api(client, shop.api_key).get(f"{URL}?bin=552879&amount=100")
    assert response.status_code == 401


def test_answer_is_cached_per_bin_and_amount(sandbox: Any, client: Any, shop: TenantInfo) -> None:
    api = customer(client, shop)
    before = provider_calls(sandbox, "/payment/iyzipos/installment"), provider_calls(sandbox, "/payment/bin/check")
    first = api.get(f"{URL}?bin=589004&amount=321.00")
    second = api.get(f"{URL}?bin=589004&amount=321")  # the same amount, written otherwise
    assert first.status_code == second.status_code == 200 and first.json == second.json
    after = provider_calls(sandbox, "/payment/iyzipos/installment"), provider_calls(sandbox, "/payment/bin/check")
    assert after == (before[0] + 1, before[1] + 1)
    keys = [k.decode() for k in redis_client().scan_iter(match=f"t:{shop.id}:pay:installments:*")]
    assert keys == [f"t:{shop.id}:pay:installments:589004:321.00"]
    assert 0 < redis_client().ttl(keys[0]) <= 300
    api.get(f"{URL}?bin=589004&amount=322")  # another amount: another provider call
    assert provider_calls(sandbox, "/payment/iyzipos/installment") == before[0] + 2


def test_iyzico_unreachable_is_503_with_retry_after(sandbox: Any, client: Any, shop: TenantInfo) -> None:
    control(sandbox, "/_fake/fail", {"path": "/payment/bin/check", "mode": "status_500", "times": 1})
    response = customer(client, shop).get(f"{URL}?bin=552879&amount=777.00")
    assert response.status_code == 503, response.body
    assert response.json["error"]["code"] == "card_service_unavailable" and response.headers["Retry-After"] == "30"
    assert not list(redis_client().scan_iter(match=f"t:{shop.id}:pay:installments:*"))  # failures are not cached
    again = customer(client, shop).get(f"{URL}?bin=552879&amount=777.00")
    assert again.status_code == 200


def test_lookups_are_rate_limited_per_customer(sandbox: Any, client: Any, shop: TenantInfo) -> None:
    """A card tester walking BINs runs out after 30 lookups in 15 minutes (cached answers count too);
    another customer keeps their own budget."""
    api = customer(client, shop)
    statuses = [api.get(f"{URL}?bin=552879&amount=10").status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    assert customer(client, shop).get(f"{URL}?bin=552879&amount=10").status_code == 200
