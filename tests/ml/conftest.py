"""The fake ML service for the module's tests, on a free port (tests/ml/kit.py)."""
from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from tests.ml.kit import control, ml_service_at


@pytest.fixture(scope="module")
def fake_ml() -> Iterator[SimpleNamespace]:
    from infra.local.fakes.ml_service import start

    server, url = start()
    try:
        with ml_service_at(url):
            yield SimpleNamespace(server=server, url=url)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def ml(fake_ml: SimpleNamespace) -> Iterator[SimpleNamespace]:
    """The fake, reset, with a closed breaker."""
    from chalicelib.ml.client import breaker

    control(fake_ml.url, "/_fake/reset", {})
    breaker().reset()
    yield fake_ml
    breaker().reset()
