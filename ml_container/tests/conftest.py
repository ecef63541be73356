"""Fixtures: a moto server (S3 + SQS), a throw-away MariaDB database, Redis db 14 (the API's tests use 15).

The service fixtures are opt-in (``pytestmark = pytest.mark.usefixtures("clean")``), so pure
model tests in this folder neither need nor disturb them. The environment is set before any huglu_ml module reads settings (they are read lazily, once).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pymysql
import pytest
import requests

DB_NAME = f"huglu_ml_test_{os.getpid()}"
os.environ.update(
    ML_SERVICE_TOKEN="test-token",
    DATABASE_URL=f"mysql://root@127.0.0.1:3306/{DB_NAME}",
    REDIS_URL="redis://127.0.0.1:6379/14",
    ML_MODELS_BUCKET="huglu-test-ml-models",
    ML_TRAIN_MODE="thread",
    ML_WS_INTERVAL_S="0.3",
    ML_ANSWER_CACHE_S="0",
    ML_ALIAS_CACHE_S="0",
    ML_LOAD_WAIT_S="30",  # tests ask right after training: wait for the load (production: 0.1 s)
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="eu-central-1",
)
os.environ.pop("ML_EVENTS_QUEUE_URL", None)
TOKEN = "test-token"


def headers(tenant_id: int = 1) -> dict[str, str]:
    return {"X-Service-Token": TOKEN, "X-Tenant-Id": str(tenant_id)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    yield os.environ["AWS_ENDPOINT_URL"]
    server.stop()


@pytest.fixture(scope="session")
def database() -> Iterator[str]:
    conn = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        cur.execute(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        cur.execute(f"USE {DB_NAME}")
        sql = "\n".join(ln for ln in (Path(__file__).parent / "schema.sql").read_text().splitlines()
                        if not ln.strip().startswith("--"))
        for statement in sql.split(";"):
            if statement.strip():
                cur.execute(statement)
    yield DB_NAME
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
    conn.close()


@pytest.fixture()
def clean(moto_server: str, database: str) -> Iterator[dict[str, Any]]:
    """Every test starts with empty tables, an empty Redis db 14, a fresh bucket and events queue + DLQ."""
    from huglu_ml import config, db, store
    from huglu_ml.registry import LOADERS, reset_registry
    from huglu_ml.routes.recommend import answers

    config.get_settings.cache_clear()
    store.client.cache_clear()
    reset_registry()
    answers.clear()
    db.reset()
    requests.post(f"{moto_server}/moto-api/reset", timeout=5)
    s3 = boto3.client("s3", endpoint_url=moto_server)
    s3.create_bucket(Bucket=os.environ["ML_MODELS_BUCKET"],
                     CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    sqs = boto3.client("sqs", endpoint_url=moto_server)
    dlq = sqs.create_queue(QueueName="huglu-test-events-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(
        QueueName="huglu-test-events",
        Attributes={"VisibilityTimeout": "0",
                    "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})},
    )["QueueUrl"]
    store.client().flushdb()
    with db.cursor() as cur:
        for table in ("products", "orders", "order_items", "user_events", "user_data", "ml_anomalies"):
            cur.execute(f"DELETE FROM {table}")
    yield {"sqs": sqs, "queue": queue, "dlq": dlq, "s3": s3}
    LOADERS.clear()
    db.reset()


@pytest.fixture()
def client(clean: dict[str, Any]) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from huglu_ml.main import create_app

    with TestClient(create_app()) as c:
        yield c
