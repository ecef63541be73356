"""The local worker runs the same scheduled handler Lambda would, with an EventBridge-shaped event."""
from __future__ import annotations

from app import app
from chalicelib.platform.db import Database
from infra.local import worker
from tests.conftest import TenantInfo


def test_worker_discovers_and_fires_the_purge_schedule(db: Database, tenant: TenantInfo):
    session = db.session()
    session.execute(
        """INSERT INTO idempotency_keys (tenant_id, scope, idem_key, request_hash, expires_at)
           VALUES (%s, 'test', 'old', REPEAT('a', 64), UTC_TIMESTAMP() - INTERVAL 1 DAY),
                  (%s, 'test', 'fresh', REPEAT('b', 64), UTC_TIMESTAMP() + INTERVAL 1 DAY)""",
        (tenant.id, tenant.id),
    )
    schedules, _ = worker.discover(app)
    purge = next(s for s in schedules if s.name == "purge_expired")
    assert purge.every == 3600
    removed = worker.fire(purge)
    assert removed["idempotency_keys"] >= 1
    left = session.all("SELECT idem_key FROM idempotency_keys WHERE tenant_id = %s", (tenant.id,))
    assert left == [{"idem_key": "fresh"}]


def test_scheduled_event_shape():
    event = worker.scheduled_event("purge_expired")
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
