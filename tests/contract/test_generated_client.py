"""The mobile app and the web shop generate their clients from the OpenAPI document: so does this
test, with openapi-python-client (a standard generator), and drives a short flow with it.

It fails when the generator drops a schema or an endpoint (component names that clash, input and
output variants it cannot parse, unions it cannot model) and when a response does not parse into
the generated models, i.e. when the document and the code disagree.
"""
from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TenantInfo, make_user
from tests.fuzz.gateway import GatewayWSGI

GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    from app import app  # noqa: F401 - registers every route
    from chalicelib.platform.openapi import build_document

    work = tmp_path_factory.mktemp("client")
    (work / "doc.json").write_text(json.dumps(build_document()), encoding="utf-8")
    (work / "config.yaml").write_text("post_hooks: []\n", encoding="utf-8")
    run = subprocess.run(
        [str(GENERATOR), "generate", "--path", "doc.json", "--meta", "none", "--output-path", "huglu_client",
         "--config", "config.yaml"],
        cwd=work, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    output = run.stdout + run.stderr
    # The generator reports what it could not process and carries on: any such line is a failure.
    problems = [line for line in output.splitlines()
                if line.startswith(("Unable to", "Failure", "WARNING", "Warning")) or "Could not" in line]
    assert not problems, output
    sys.path.insert(0, str(work))
    try:
        yield importlib.import_module("huglu_client"), output
    finally:
        sys.path.remove(str(work))
        for name in [m for m in sys.modules if m == "huglu_client" or m.startswith("huglu_client.")]:
            del sys.modules[name]


def test_every_operation_is_generated(generated: tuple[Any, str]) -> None:
    from chalicelib.platform.routing import REGISTRY

    package, _ = generated
    root = Path(package.__file__).parent / "api"
    modules = {p.stem for p in root.rglob("*.py") if p.stem != "__init__"}
    missing = sorted(spec.name for spec in REGISTRY.values() if spec.name not in modules)
    assert missing == [], f"operations the generator dropped: {missing}"


def test_a_shopper_flow_through_the_generated_client(generated: tuple[Any, str], client: Any, db: Any,
                                                     tenant: TenantInfo) -> None:
    from tests.orders_kit import product

    package, _ = generated
    api = importlib.import_module("huglu_client.api")
    models = importlib.import_module("huglu_client.models")
    list_products = importlib.import_module("huglu_client.api.catalog.list_products")
    login = importlib.import_module("huglu_client.api.accounts.login")
    add_item = importlib.import_module("huglu_client.api.cart.add_item")
    assert api is not None

    _, variation_id = product(db, tenant.id, name="Kamp Sandalyesi", price="449.90")
    from chalicelib.catalog.service import catalog_changed

    catalog_changed(tenant.id)
    _, email, password = make_user(tenant)
    transport = httpx.WSGITransport(app=GatewayWSGI(client))
    anonymous = package.Client(base_url="http://api.test", headers={"X-API-Key": tenant.api_key},
                               httpx_args={"transport": transport}, raise_on_unexpected_status=True)

    page = list_products.sync(client=anonymous)
    assert isinstance(page, models.CatalogProductPage), page
    assert [item.name for item in page.items] == ["Kamp Sandalyesi"]

    tokens = login.sync(client=anonymous, body=models.LoginIn(email=email, password=password))
    assert isinstance(tokens, models.TokensOut), tokens

    signed_in = package.AuthenticatedClient(base_url="http://api.test", token=tokens.access_token,
                                            headers={"X-API-Key": tenant.api_key},
                                            httpx_args={"transport": transport}, raise_on_unexpected_status=True)
    cart = add_item.sync(client=signed_in, body=models.AddItemIn(variation_id=variation_id, quantity=2))
    assert isinstance(cart, models.CartOut), cart
    assert [(line.variation_id, line.quantity) for line in cart.items] == [(variation_id, 2)]
