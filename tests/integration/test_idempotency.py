"""The platform's Idempotency-Key mechanism (chalicelib/platform/idempotency.py) on real MariaDB:
replay, 409 on another request, scope (tenant, actor, operation), expiry and purge, rollback,
and concurrent requests with one key making one write."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.platform import idempotency
from chalicelib.platform.db import Database, UnitOfWork, get_db
from chalicelib.platform.errors import ApiError
from chalicelib.system import service as system_service
from tests.conftest import TenantInfo
from tests.helpers import simultaneously

OP = idempotency.Operation("test_op", ttl=timedelta(minutes=5))
OTHER_OP = idempotency.Operation("test_other")


def key(tenant_id: int, header: str, payload: Any = None, *, actor: int | None = 7,
        op: idempotency.Operation = OP) -> idempotency.Key:
    made = idempotency.key(tenant_id, op, actor, header, {"body": payload or {"a": 1}})
    assert made is not None
    return made


def write(db: Database, k: idempotency.Key | None, *, fail: bool = False, pause: float = 0.0,
          tenant_id: int | None = None) -> tuple[int, bool]:
    """A stand-in business write (an admin_logs row) guarded by the key: (row id, replayed)."""

    def work(uow: UnitOfWork) -> tuple[int, bool]:
        earlier = idempotency.claim(uow, k)
        if earlier is not None:
            return int(earlier.body["id"]), True
        row_id = uow.insert("INSERT INTO admin_logs (tenant_id, action) VALUES (%s, 'idempotency.test')",
                            (k.tenant_id if k else tenant_id,))
        time.sleep(pause)  # widen the window a concurrent retry could slip through
        if fail:
            raise ApiError("conflict", status=409)
        idempotency.record(uow, k, 201, {"id": row_id})
        uow.commit()
        return row_id, False

    return db.transaction(work)


def writes(db: Database, tenant_id: int) -> int:
    return int(db.session().scalar("SELECT COUNT(*) FROM admin_logs WHERE tenant_id = %s AND action = "
                                   "'idempotency.test'", (tenant_id,)))


def test_the_same_key_and_request_answer_the_first_result(db: Database, tenant: TenantInfo):
    k = key(tenant.id, "k-1")
    first = write(db, k)
    again = write(db, key(tenant.id, " k-1 "))  # the header is trimmed, the payload the same
    assert first[1] is False and again == (first[0], True)
    assert idempotency.lookup(db.session(), k) == idempotency.Replay(201, {"id": first[0]})
    assert writes(db, tenant.id) == 1
    assert idempotency.headers(True) == {"Idempotent-Replayed": "true"} and idempotency.headers(False) is None


def test_another_request_under_the_key_is_409_and_writes_nothing(db: Database, tenant: TenantInfo):
    write(db, key(tenant.id, "k-2"))
    for attempt in (lambda: write(db, key(tenant.id, "k-2", {"a": 2})),
                    lambda: idempotency.lookup(db.session(), key(tenant.id, "k-2", {"a": 2}))):
        with pytest.raises(ApiError) as refused:
            attempt()
        assert (refused.value.status, refused.value.code) == (409, "idempotency_key_reused")
    assert writes(db, tenant.id) == 1


def test_keys_are_scoped_by_tenant_actor_and_operation(db: Database, tenant: TenantInfo,
                                                       other_tenant: TenantInfo):
    write(db, key(tenant.id, "shared"))
    for scoped in (key(tenant.id, "shared", actor=8), key(tenant.id, "shared", actor=None),
                   key(tenant.id, "shared", op=OTHER_OP), key(other_tenant.id, "shared")):
        assert write(db, scoped)[1] is False, scoped
    assert writes(db, tenant.id) == 4 and writes(db, other_tenant.id) == 1


def test_no_key_means_no_idempotency(db: Database, tenant: TenantInfo):
    assert idempotency.key(tenant.id, OP, 7, "   ", {}) is None
    assert idempotency.lookup(db.session(), None) is None
    assert write(db, None, tenant_id=tenant.id)[1] is False and write(db, None, tenant_id=tenant.id)[1] is False
    assert writes(db, tenant.id) == 2


@pytest.mark.parametrize("header, code", [("x" * 101, "idempotency_key_invalid"),
                                          ("anahtar-ş", "idempotency_key_invalid"),
                                          ("a\tb", "idempotency_key_invalid")])
def test_malformed_keys_are_400(header: str, code: str):
    with pytest.raises(ApiError) as refused:
        idempotency.header_key(header)
    assert (refused.value.status, refused.value.code) == (400, code)
    with pytest.raises(ApiError) as missing:
        idempotency.header_key(" ", required=True)
    assert missing.value.code == "idempotency_key_required"
    assert idempotency.header_key("x" * 100) == "x" * 100


def test_expired_keys_are_forgotten_taken_over_and_purged(db: Database, tenant: TenantInfo):
    k = key(tenant.id, "k-old")
    first_id, _ = write(db, k)
    row = "tenant_id = %s AND scope = %s AND idem_key = %s"
    params = (tenant.id, OP.scope, k.stored)
    left = db.session().scalar(f"SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), expires_at) FROM idempotency_keys "
                               f"WHERE {row}", params)
    assert 290 <= left <= 300  # the operation's TTL
    db.session().execute(f"UPDATE idempotency_keys SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
                         f"WHERE {row}", params)
    assert idempotency.lookup(db.session(), k) is None
    changed = key(tenant.id, "k-old", {"a": 3})  # an expired key may even carry another request
    second_id, replayed = write(db, changed)
    assert not replayed and second_id != first_id
    assert idempotency.lookup(db.session(), changed) == idempotency.Replay(201, {"id": second_id})
    db.session().execute(f"UPDATE idempotency_keys SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
                         f"WHERE {row}", params)
    assert system_service.purge_expired(db)["idempotency_keys"] >= 1
    assert db.session().scalar(f"SELECT COUNT(*) FROM idempotency_keys WHERE {row}", params) == 0


def test_a_failed_write_leaves_the_key_free(db: Database, tenant: TenantInfo):
    k = key(tenant.id, "k-fail")
    with pytest.raises(ApiError):
        write(db, k, fail=True)
    assert writes(db, tenant.id) == 0 and idempotency.lookup(db.session(), k) is None
    assert write(db, k)[1] is False and writes(db, tenant.id) == 1


def test_a_key_without_an_answer_is_409_in_progress(db: Database, tenant: TenantInfo):
    k = key(tenant.id, "k-stuck")
    db.session().execute("""INSERT INTO idempotency_keys (tenant_id, scope, idem_key, user_id, request_hash, expires_at)
                            VALUES (%s, %s, %s, %s, %s, UTC_TIMESTAMP(6) + INTERVAL 1 HOUR)""",
                         (tenant.id, OP.scope, k.stored, k.actor, k.fingerprint))
    with pytest.raises(ApiError) as busy:
        write(db, k)
    assert (busy.value.status, busy.value.code) == (409, "idempotency_in_progress")
    assert busy.value.headers == {"Retry-After": "1"} and writes(db, tenant.id) == 0


def test_a_concurrent_retry_waits_for_the_first_answer(tenant: TenantInfo):
    """Deterministic: the retry's claim blocks on the first's uncommitted key row and then
    replays what the first committed."""
    k = key(tenant.id, "k-wait")
    claimed, go = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def first() -> None:
        try:
            with get_db().uow() as uow:
                assert idempotency.claim(uow, k) is None
                row_id = uow.insert("INSERT INTO admin_logs (tenant_id, action) VALUES (%s, 'idempotency.test')",
                                    (tenant.id,))
                claimed.set()
                go.wait(5)
                idempotency.record(uow, k, 201, {"id": row_id})
                uow.commit()
                results["first"] = row_id
        finally:
            get_db().close()

    def retry() -> None:
        claimed.wait(5)
        try:
            started = time.monotonic()
            results["retry"] = write(get_db(), k)
            results["waited"] = time.monotonic() - started
        finally:
            get_db().close()

    threads = [threading.Thread(target=first), threading.Thread(target=retry)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    go.set()
    for thread in threads:
        thread.join(10)
    assert results["retry"] == (results["first"], True) and results["waited"] >= 0.2
    assert writes(get_db(), tenant.id) == 1


def test_simultaneous_requests_with_one_key_write_once(db: Database, tenant: TenantInfo):
    k = key(tenant.id, f"k-{uuid.uuid4().hex}")
    answers = simultaneously(*[lambda: write(get_db(), k, pause=0.05) for _ in range(8)])
    assert len({row_id for row_id, _ in answers}) == 1
    assert sorted(replayed for _, replayed in answers) == [False] + [True] * 7
    assert writes(db, tenant.id) == 1


def test_simultaneous_requests_whose_first_fails_still_write_once(db: Database, tenant: TenantInfo):
    """The winner rolls back: the waiters race again for the free key (InnoDB may pick deadlock
    victims among them, which db.transaction retries); exactly one of them writes."""
    k = key(tenant.id, f"k-{uuid.uuid4().hex}")
    outcomes: list[Any] = []

    def attempt(fail: bool) -> Any:
        try:
            return write(get_db(), k, fail=fail, pause=0.05)
        except ApiError as exc:
            return exc.code

    outcomes = simultaneously(lambda: attempt(True), *[lambda: attempt(False) for _ in range(4)])
    written = [o for o in outcomes if isinstance(o, tuple)]
    assert writes(db, tenant.id) == 1
    assert len({row_id for row_id, _ in written}) == 1
    assert all(o in ("conflict",) or isinstance(o, tuple) for o in outcomes), outcomes
