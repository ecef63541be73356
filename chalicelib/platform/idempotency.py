"""Idempotency-Key: a retried write gets the first answer, and the write happens once.

Routes declare `idempotent=True` (header optional) or `"required"`; routing checks the header's
form with `header_key` below.  The service that owns the write uses the key inside its own unit
of work, so the business rows and the key's answer commit together or not at all:

    key = idempotency.key(tenant.id, CHECKOUT, user_id, header, body.model_dump(mode="json"))
    def work(uow):
        earlier = idempotency.claim(uow, key)        # None: go ahead; a Replay: answer it again
        if earlier is not None:
            return earlier.body["id"], True
        ...the write...
        idempotency.record(uow, key, 201, {"id": new_id})
        uow.commit()

Scope: a key is the client's, per tenant, actor (the signed-in user) and operation: two
customers' apps may pick the same UUID, and one client may use one key for two operations.
Rows live in idempotency_keys (PRIMARY KEY (tenant_id, scope, idem_key)): scope is the
operation, idem_key "<actor>:<client key>".  The request's fingerprint (SHA-256 of the canonical
JSON of what was asked, path ids included) tells a retry (same answer, header
Idempotent-Replayed: true) from another request under the same key (409
idempotency_key_reused, for every operation).

The answer stored is the operation's result - status and a small JSON body, e.g. {"id": 7} -
not the rendered HTTP body: the route renders the resource from it, as it did the first time
(after the commit, from committed rows), so a replay shows the same resource in its current state.

Concurrency: `claim` INSERTs the key's row first.  A concurrent request with the same key
blocks on that uncommitted row (InnoDB's duplicate-key check) until the first commits - then it
reads the answer and replays it - or rolls back - then its own insert succeeds and it does the
work itself.  Never two writes.  Should it wait past innodb_lock_wait_timeout, or find a row
without an answer, it is 409 idempotency_in_progress (retry shortly).

Answered at the end (`claim_answered`): a write whose own first step already serialises its
retries may claim the key and store its answer in one INSERT, as its last statement, instead of
`claim` first and `record` last (issue 16 item 4: one statement fewer on every checkout).  The
checkout is that write: a retry of an order that went through finds its cart lines gone
(cart.api.take_lines locks them; a concurrent retry waits there), and any refusal `lookup`s the
key before it is answered (cart_empty, or a refilled cart's refusal, becomes the first order's
replay or 409 for another request); a retry that finds the cart refilled and fine does the work
again and meets the key's row at the end, where `claim_answered` returns the first answer (or
409) and the caller rolls its own work back.  A write without such a step uses `claim`.

Expiry: each operation has a TTL; an expired row is ignored and replaced by the next claim,
and chalicelib/system's hourly purge job deletes expired rows (`purge_expired`).
"""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import ApiError, Conflict

if TYPE_CHECKING:
    from .db import Session, UnitOfWork

KEY_MAX = 100  # the header's length; the stored idem_key adds "<actor>:" (VARCHAR(128))
REPLAYED = {"Idempotent-Replayed": "true"}
DUPLICATE_KEY, LOCK_WAIT_TIMEOUT = 1062, 1205


# NamedTuples rather than dataclasses: this module is on the cold start of every function with
# an idempotent write, and a NamedTuple class is built in a seventh of a dataclass's time.
class Operation(NamedTuple):
    """A write that takes an Idempotency-Key: its scope name (≤ 64 characters) and how long its
    keys are remembered (a retry comes within seconds; a day covers an app that was offline)."""

    scope: str
    ttl: timedelta = timedelta(hours=24)


class Key(NamedTuple):
    tenant_id: int
    operation: Operation
    actor: int | None  # the signed-in user (customer or staff); None for API-key-only callers
    value: str  # the client's key, as checked by header_key
    fingerprint: str

    @property
    def stored(self) -> str:
        return f"{'-' if self.actor is None else self.actor}:{self.value}"


class Replay(NamedTuple):
    """The first request's answer."""

    status: int
    body: Any


def header_key(raw: str | None, *, required: bool = False) -> str | None:
    """The Idempotency-Key header's value: 1-100 printable ASCII characters after trimming, or
    None when blank (400 idempotency_key_required if the route requires it)."""
    key = (raw or "").strip()
    if key and (len(key) > KEY_MAX or not key.isascii() or not key.isprintable()):
        raise ApiError("idempotency_key_invalid", status=400)
    if not key and required:
        raise ApiError("idempotency_key_required", status=400)
    return key or None


def fingerprint(payload: Any) -> str:
    """SHA-256 of the canonical JSON of a request (sorted keys, no spaces; Decimals and
    datetimes as text): the same request always gives the same fingerprint."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def key(tenant_id: int, operation: Operation, actor: int | None, header: str | None, payload: Any) -> Key | None:
    """The scoped key of a request, or None when it came without one."""
    value = header_key(header)
    if value is None:
        return None
    return Key(tenant_id, operation, actor, value, fingerprint(payload))


def lookup(session: Session, key: Key | None) -> Replay | None:
    """A read-only look before the work (say, before calling an outside service): the earlier
    answer, 409 for another request under the key, or None.  `claim` still decides."""
    if key is None:
        return None
    row = _row(session, key)
    return None if row is None else _answer(row, key)


def claim(uow: UnitOfWork, key: Key | None) -> Replay | None:
    """Take the key for this transaction (call it first, before other locks), or answer the
    earlier request's result.  None: do the work and `record` its answer before committing."""
    if key is None:
        return None
    return _insert(uow, key, None)


def claim_answered(uow: UnitOfWork, key: Key | None, status: int, body: Any) -> Replay | None:
    """Claim the key with its answer, in one INSERT at the end of the work (module docstring:
    only for a write whose first step serialises its retries).  None: the key and answer are this
    transaction's, commit.  A Replay: an earlier request holds the key with this answer - roll
    this transaction's work back and answer that; another request under the key is 409."""
    if key is None:
        return None
    return _insert(uow, key, (status, _text(body)))


def _insert(uow: UnitOfWork, key: Key, answer: tuple[int, str] | None) -> Replay | None:
    import pymysql  # loaded already by platform.db; imported here so this module stays light

    status, body = answer if answer is not None else (None, None)
    for _ in range(2):
        try:
            uow.execute("""INSERT INTO idempotency_keys (tenant_id, scope, idem_key, user_id, request_hash, status_code,
                                                         response_body, expires_at)
                           VALUES (%s, %s, %s, %s, %s, %s, %s, UTC_TIMESTAMP(6) + INTERVAL %s SECOND)""",
                        (key.tenant_id, key.operation.scope, key.stored, key.actor, key.fingerprint, status, body,
                         int(key.operation.ttl.total_seconds())))
            return None
        except pymysql.err.IntegrityError as exc:
            if not exc.args or exc.args[0] != DUPLICATE_KEY:
                raise
        except pymysql.err.MySQLError as exc:
            if exc.args and exc.args[0] == LOCK_WAIT_TIMEOUT:  # the first request is still at work
                raise _in_progress() from None
            raise
        row = _row(uow, key)
        if row is not None:
            return _answer(row, key)
        # The row that collided had expired: drop it (unless someone else just did) and claim again.
        uow.execute("""DELETE FROM idempotency_keys WHERE tenant_id = %s AND scope = %s AND idem_key = %s
                         AND expires_at <= UTC_TIMESTAMP(6)""", (key.tenant_id, key.operation.scope, key.stored))
    raise _in_progress()


def record(uow: UnitOfWork, key: Key | None, status: int, body: Any) -> None:
    """Store the answer of a claimed key, in the transaction that did the work."""
    if key is None:
        return
    changed = uow.execute("""UPDATE idempotency_keys SET status_code = %s, response_body = %s
                              WHERE tenant_id = %s AND scope = %s AND idem_key = %s AND status_code IS NULL""",
                          (status, _text(body), key.tenant_id,
                           key.operation.scope, key.stored))
    if changed != 1:  # a bug, not a request: the work ran without claim() holding the key
        raise RuntimeError(f"idempotency key {key.operation.scope}/{key.stored} was not claimed")


def _text(body: Any) -> str:
    return json.dumps(body, separators=(",", ":"), default=str)


def headers(replayed: bool) -> dict[str, str] | None:
    """The response headers of an answer: Idempotent-Replayed: true on a replay."""
    return dict(REPLAYED) if replayed else None


def purge_expired(session: Session, *, batch: int) -> int:
    """Delete up to `batch` expired keys of every tenant (ix_expires); the hourly purge job."""
    return session.execute("DELETE FROM idempotency_keys WHERE expires_at < UTC_TIMESTAMP(6) LIMIT %s", (batch,))


def _row(session: Session, key: Key) -> dict[str, Any] | None:
    return session.one("""SELECT request_hash, status_code, response_body FROM idempotency_keys
                           WHERE tenant_id = %s AND scope = %s AND idem_key = %s AND expires_at > UTC_TIMESTAMP(6)""",
                       (key.tenant_id, key.operation.scope, key.stored))


def _answer(row: dict[str, Any], key: Key) -> Replay:
    if row["request_hash"] != key.fingerprint:
        raise Conflict("idempotency_key_reused")
    if row["status_code"] is None or row["response_body"] is None:
        raise _in_progress()
    return Replay(int(row["status_code"]), json.loads(row["response_body"]))


def _in_progress() -> ApiError:
    return Conflict("idempotency_in_progress", headers={"Retry-After": "1"})
