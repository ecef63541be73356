"""MySQL access through pymysql: parameterised SQL, a unit of work, deadlock retry.

One connection per target (writer, optional read replica) is kept per warm Lambda container
(per thread, so the threaded dev server and concurrency tests also get their own).  It is
pinged before reuse when it has been idle, and reconnected when the server dropped it.

Sessions run in autocommit so plain reads see the latest committed rows; a `UnitOfWork`
opens an explicit transaction and rolls back unless `commit()` is called.  Isolation is
READ COMMITTED: fewer gap locks (and so fewer deadlocks) than InnoDB's REPEATABLE READ default,
and the semantics RDS Proxy / Aurora users expect.  Stock and money rows are protected by
explicit row locks or conditional updates, never by the isolation level.
"""
from __future__ import annotations

import json
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import pymysql
import pymysql.cursors

from .config import DbTarget, settings

T = TypeVar("T")

# MySQL error numbers worth retrying a whole transaction for.
DEADLOCK = 1213
LOCK_WAIT_TIMEOUT = 1205
RETRYABLE = {DEADLOCK, LOCK_WAIT_TIMEOUT}
# Connection-level failures after which the cached connection is thrown away.
CONNECTION_LOST = {2006, 2013, 2014, 2045, 2055}

PING_AFTER_IDLE_SECONDS = 30.0


class Stats:
    """Counts statements, so tests can assert a request runs a fixed number of queries."""

    def __init__(self) -> None:
        self.statements = 0


stats = Stats()
# Per connection: (innodb_autoinc_lock_mode, auto_increment_increment), read once (Session.consecutive_ids).
_AUTOINC: weakref.WeakKeyDictionary[Any, tuple[int, int]] = weakref.WeakKeyDictionary()


class Session:
    """Thin helper over one pymysql connection.  Parameters are always passed separately."""

    def __init__(self, conn: pymysql.connections.Connection, on_lost: Callable[[], None] | None = None) -> None:
        self.conn = conn
        self._on_lost = on_lost

    def _run(self, sql: str, params: Any = None) -> pymysql.cursors.DictCursor:
        stats.statements += 1
        cur = self.conn.cursor()
        try:
            cur.execute(sql, params)
        except (pymysql.err.OperationalError, pymysql.err.InterfaceError) as exc:
            self._forget_if_lost(exc)
            raise
        return cur

    def _forget_if_lost(self, exc: BaseException) -> None:
        """A dead connection is dropped from the container's cache, so this request fails but
        the next one connects afresh (instead of every request failing until an idle ping)."""
        errno = exc.args[0] if exc.args else None
        if (isinstance(exc, pymysql.err.InterfaceError) or errno in CONNECTION_LOST) and self._on_lost:
            self._on_lost()

    def one(self, sql: str, params: Any = None) -> dict[str, Any] | None:
        with self._run(sql, params) as cur:
            return cur.fetchone()

    def all(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        with self._run(sql, params) as cur:
            return list(cur.fetchall())

    def one_json(self, sql: str, params: Any = None) -> Any:
        """The first row's one column, a JSON document the server built (JSON_OBJECT), parsed
        (decimals as Decimal); None without a row.  pymysql parses every result column's
        description in Python, about 12 µs a column: a wide row read on a hot path (the
        checkout's address and cart lines) costs one column this way instead of fifteen or more."""
        value = self.scalar(sql, params)
        return None if value is None else json.loads(value, parse_float=Decimal)

    def all_json(self, sql: str, params: Any = None) -> list[Any]:
        """`one_json` for every row."""
        with self._run(sql, params) as cur:
            return [json.loads(next(iter(row.values())), parse_float=Decimal) for row in cur.fetchall()]

    def consecutive_ids(self) -> int | None:
        """The step between the ids one multi-row INSERT ... VALUES gives its rows, when the server
        promises them consecutive in row order (the first is LAST_INSERT_ID()); None when it does not.

        Under innodb_autoinc_lock_mode 0 or 1 (MariaDB's default) such an INSERT takes its ids in one
        allocation: first, first + step, ...  MySQL 8's default, 2, does not promise that when other
        statements insert at the same moment.  Read once per connection."""
        known = _AUTOINC.get(self.conn)
        if known is None:
            row = self.one("SELECT @@innodb_autoinc_lock_mode AS mode, @@auto_increment_increment AS step")
            known = _AUTOINC[self.conn] = (int(row["mode"]), int(row["step"])) if row else (2, 1)
        mode, step = known
        return step if mode in (0, 1) else None

    def scalar(self, sql: str, params: Any = None) -> Any:
        with self._run(sql, params) as cur:
            row = cur.fetchone()
        return None if row is None else next(iter(row.values()))

    def execute(self, sql: str, params: Any = None) -> int:
        """Run a write; returns the affected row count (use for conditional updates)."""
        with self._run(sql, params) as cur:
            return cur.rowcount

    def insert(self, sql: str, params: Any = None) -> int:
        """Run an INSERT; returns the new AUTO_INCREMENT id."""
        with self._run(sql, params) as cur:
            return int(cur.lastrowid)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        stats.statements += 1
        with self.conn.cursor() as cur:
            try:
                return cur.executemany(sql, list(rows)) or 0
            except (pymysql.err.OperationalError, pymysql.err.InterfaceError) as exc:
                self._forget_if_lost(exc)
                raise


class UnitOfWork(Session):
    """A transaction.  Leaving the block without `commit()` rolls back.

    Side effects (queue sends, cache invalidation, e-mails) are registered with `on_commit`
    and run only after the commit succeeded, never inside the open transaction.  Writes a
    platform helper gathers over the transaction (the outbox's rows: one multi-row INSERT) are
    registered with `before_commit` and run by `commit()` just before it commits; should one
    fail, nothing commits.
    """

    def __init__(self, conn: pymysql.connections.Connection, on_lost: Callable[[], None] | None = None) -> None:
        super().__init__(conn, on_lost)
        self._after_commit: list[Callable[[], None]] = []
        self._before_commit: list[Callable[[], None]] = []
        self.committed = False
        # Per-transaction state of platform helpers (e.g. outbox events waiting for the commit).
        self.state: dict[str, Any] = {}

    def __enter__(self) -> UnitOfWork:
        self.conn.begin()
        return self

    def on_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    def before_commit(self, callback: Callable[[], None]) -> None:
        self._before_commit.append(callback)

    def commit(self) -> None:
        callbacks, self._before_commit = self._before_commit, []
        for callback in callbacks:
            callback()
        self.conn.commit()
        self.committed = True

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if not self.committed:
            try:
                self.conn.rollback()
            except pymysql.err.Error:
                pass  # the connection is gone; the server rolled back for us
            return
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()


class Database:
    def __init__(self, writer_url: str, reader_url: str | None = None) -> None:
        self.writer = DbTarget.parse(writer_url)
        self.reader_target = DbTarget.parse(reader_url) if reader_url else None
        self._local = threading.local()

    # -- connections -----------------------------------------------------------------------
    def _connect(self, target: DbTarget) -> pymysql.connections.Connection:
        conn = pymysql.connect(
            host=target.host,
            port=target.port,
            user=target.user,
            password=target.password,
            database=target.database or None,
            charset="utf8mb4",
            collation="utf8mb4_unicode_ci",
            cursorclass=pymysql.cursors.DictCursor,
            autocommit=True,
            connect_timeout=int(target.params.get("connect_timeout", 5)),
            read_timeout=int(target.params.get("read_timeout", 30)),
            write_timeout=int(target.params.get("write_timeout", 30)),
            # JSON_ARRAYAGG (a listing page, the facet cube: one document each) is cut at
            # group_concat_max_len, 1 MB by default: room for any page of 100 with long names
            init_command="SET time_zone = '+00:00', group_concat_max_len = 16777216",
        )
        with conn.cursor() as cur:  # portable across MySQL 8 and MariaDB (variable names differ)
            cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        return conn

    # pymysql's default client flags leave out FOUND_ROWS, so `execute()` returns rows
    # *changed*: a conditional update (`... WHERE stock >= %s`) that matched nothing returns 0.
    def connection(self, role: str = "writer") -> pymysql.connections.Connection:
        target = self.writer if role == "writer" or self.reader_target is None else self.reader_target
        cache: dict[str, tuple[pymysql.connections.Connection, float]] = getattr(
            self._local, "conns", None
        ) or {}
        self._local.conns = cache
        now = time.monotonic()
        entry = cache.get(role)
        if entry is not None:
            conn, last_used = entry
            if not conn.open:
                conn = self._connect(target)
            elif now - last_used > PING_AFTER_IDLE_SECONDS:
                try:
                    conn.ping(reconnect=False)
                except pymysql.err.Error:
                    conn = self._connect(target)  # dropped by the server / RDS Proxy: start afresh
            cache[role] = (conn, now)
            return conn
        conn = self._connect(target)
        cache[role] = (conn, now)
        return conn

    def discard(self, role: str = "writer") -> None:
        cache = getattr(self._local, "conns", {})
        entry = cache.pop(role, None)
        if entry is not None:
            try:
                entry[0].close()
            except pymysql.err.Error:
                pass

    def close(self) -> None:
        for role in list(getattr(self._local, "conns", {})):
            self.discard(role)

    # -- sessions ---------------------------------------------------------------------------
    def session(self) -> Session:
        """Autocommit session on the writer (read-your-writes)."""
        return Session(self.connection("writer"), lambda: self.discard("writer"))

    def reader(self) -> Session:
        """Autocommit session on the read replica when DATABASE_READ_URL is set."""
        return Session(self.connection("reader"), lambda: self.discard("reader"))

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.connection("writer"), lambda: self.discard("writer"))

    def transaction(self, work: Callable[[UnitOfWork], T], *, retries: int = 3) -> T:
        """Run `work(uow)` in a transaction, retrying the whole of it on deadlock / lock wait
        timeout (InnoDB has already rolled the victim back).  `work` must commit itself.
        """
        attempt = 0
        while True:
            try:
                with self.uow() as uow:
                    return work(uow)
            except pymysql.err.MySQLError as exc:  # 1213 is OperationalError, 1205 InternalError
                errno = exc.args[0] if exc.args else None
                if errno in RETRYABLE and attempt < retries:
                    attempt += 1
                    time.sleep(0.005 * (2**attempt))
                    continue
                raise


_db: Database | None = None
_db_lock = threading.Lock()


def get_db() -> Database:
    global _db
    if _db is None:
        with _db_lock:
            if _db is None:
                cfg = settings()
                _db = Database(cfg.database_url, cfg.database_read_url)
    return _db


def reset_db() -> None:
    """Forget the cached Database (tests switch DATABASE_URL)."""
    global _db
    if _db is not None:
        _db.close()
    _db = None
