"""End to end against the REAL ML service (not the fake): the API asks it to train a shop's
recommender from the shop's orders in the test database, a signed-in customer's recommendations
come from that model, and when the service stops the same route keeps answering from popularity
while the circuit breaker opens.  Also: ml_container/tests/schema.sql (the ML tests' copy of the
tables) must not drift from the migrations.

The service runs with the ML virtualenv's interpreter (ML_PYTHON, default .venv-ml/bin/python;
`make test` builds it): a missing interpreter fails here with the fix, it is never skipped.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Api, make_user
from tests.ml.kit import ml_service_at
from tests.ml.real_service_kit import (
    RealService,
    free_port,
    insert_customers,
    schema_drift,
    seed_history,
    start_service,
)
from tests.orders_kit import sign_in

TRAIN_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def real_ml(aws_emulator: str, database: str) -> Iterator[RealService]:
    """The service, started (not yet waited for: the test seeds its shop meanwhile) and pointed at this
    session's database, Redis and moto; the API's ML_SERVICE_URL points at it for the module."""
    from chalicelib.platform.config import settings

    port = free_port()
    with ml_service_at(f"http://127.0.0.1:{port}"):
        cfg = settings()
        service = start_service({
            "ML_SERVICE_TOKEN": cfg.ml_service_token,
            "DATABASE_URL": database,
            "REDIS_URL": os.environ["REDIS_URL"],
            "AWS_ENDPOINT_URL": aws_emulator,
            "ML_MODELS_BUCKET": f"{cfg.bucket_prefix}-ml-models",
            "ML_TRAIN_MODE": "thread",
            "STAGE": "test",
        }, port=port)
        try:
            yield service
        finally:
            service.stop()


def _wait_job(service: RealService, tenant_id: int, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + TRAIN_TIMEOUT_S
    while True:
        status, job = service.call(tenant_id, "GET", f"/api/models/jobs/{job_id}")
        assert status == 200, job
        if job["status"] in ("succeeded", "failed"):
            return job  # type: ignore[no-any-return]
        assert service.alive(), service.log_tail()
        assert time.monotonic() < deadline, f"training still {job['status']} after {TRAIN_TIMEOUT_S} s: {job}"
        time.sleep(0.3)


def test_schema_sql_has_the_migrations_columns() -> None:
    tables, problems = schema_drift(os.environ["DATABASE_URL"])
    assert {"orders", "order_items", "products", "user_events", "user_data", "ml_anomalies"} <= set(tables)
    assert not problems, "ml_container/tests/schema.sql drifted from the migrations:\n" + "\n".join(problems)


def test_trained_model_answers_then_popularity_when_the_service_stops(real_ml, client, tenant, db, admin_api):
    from chalicelib.ml import breaker as circuit
    from chalicelib.ml.client import breaker

    customer_id, _, _ = make_user(tenant)
    history = seed_history(db, tenant.id, [customer_id, *insert_customers(db, tenant.id, 29)])
    shopper = Api(client, tenant.api_key)
    shopper.token = sign_in(tenant.id, customer_id)
    own_group = history.groups[history.customers[customer_id]]
    catalogue = {p for group in history.groups for p in group}
    health = real_ml.wait_ready()
    assert health["checks"] == {"redis": True, "mysql": True, "s3": True}, health

    # Staff train the recommender through the API; the service trains it from the shop's orders.
    response = admin_api.post("/api/ml/models", {"kinds": ["recommender"], "activate": "always"})
    assert response.status_code == 202, response.body
    job = _wait_job(real_ml, tenant.id, response.json["job_id"])
    assert job["status"] == "succeeded", job
    model = job["results"]["recommender"]["models"][0]
    assert model["alias"] == "champion" and model["fallback"] is False, model
    assert model["rows"] == history.lines

    # A new version loads in the background (registry.champion_soon: a request waits ML_LOAD_WAIT_S at
    # most, then is answered from popularity while the load goes on): warm it until the model answers.
    deadline = time.monotonic() + TRAIN_TIMEOUT_S
    while True:
        status, answer = real_ml.call(tenant.id, "POST", "/api/recommend", {"mode": "user", "user_id": customer_id,
                                                                            "k": 10})
        assert status == 200, answer
        if answer["source"] == "model" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert answer["source"] == "model", answer

    response = shopper.get("/api/recommendations?type=for_you&limit=5")
    assert response.status_code == 200, response.body
    body = response.json
    assert body["source"] == "model" and body["model_version"] == model["version"], body
    ids = [item["product_id"] for item in body["items"]]
    assert len(ids) == 5 and set(ids) <= catalogue
    # what the customer's group re-orders, not the other group's products
    assert ids[0] in own_group and sum(p in own_group for p in ids) >= 4, (ids, own_group)
    assert breaker().state() == circuit.CLOSED

    # The service goes away: the same route answers 200 from popularity, and the breaker opens.
    real_ml.stop()
    for _ in range(circuit.FAILURES):
        response = shopper.get("/api/recommendations?type=for_you&limit=5")
        assert response.status_code == 200, response.body
        assert response.json["source"] == "popularity" and response.json["model_version"] is None
        fallback_ids = [item["product_id"] for item in response.json["items"]]
        assert len(fallback_ids) == 5 and set(fallback_ids) <= catalogue
    assert breaker().state() == circuit.OPEN
    started = time.perf_counter()
    response = shopper.get("/api/recommendations?type=for_you&limit=5")  # circuit open: no call goes out
    assert response.status_code == 200 and response.json["source"] == "popularity"
    assert time.perf_counter() - started < 1.0
    ml_health = shopper.get("/api/ml/health")
    assert ml_health.status_code == 200, ml_health.body
    assert ml_health.json["status"] == "unavailable" and ml_health.json["breaker"] == circuit.OPEN
    assert ml_health.json["fallback"] is True
