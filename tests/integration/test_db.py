"""The query layer against real MariaDB: rollback, after-commit effects, deadlock retry,
reconnection, statement counting."""
from __future__ import annotations

import threading
import uuid

import pymysql
import pytest

from chalicelib.platform import db as dbmod
from chalicelib.platform.db import Database


@pytest.fixture
def scratch(db: Database):
    name = f"scratch_{uuid.uuid4().hex[:8]}"
    db.session().execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB")
    db.session().executemany(f"INSERT INTO {name} (id, v) VALUES (%s, %s)", [(1, 0), (2, 0)])
    yield name
    db.session().execute(f"DROP TABLE {name}")


def test_uow_rolls_back_unless_committed(db: Database, scratch: str):
    with db.uow() as uow:
        uow.execute(f"UPDATE {scratch} SET v = 5 WHERE id = 1")
    assert db.session().scalar(f"SELECT v FROM {scratch} WHERE id = 1") == 0
    with db.uow() as uow:
        uow.execute(f"UPDATE {scratch} SET v = 7 WHERE id = 1")
        uow.commit()
    assert db.session().scalar(f"SELECT v FROM {scratch} WHERE id = 1") == 7


def test_exception_rolls_back_and_after_commit_effects_do_not_run(db: Database, scratch: str):
    sent: list[str] = []
    with pytest.raises(RuntimeError):
        with db.uow() as uow:
            uow.execute(f"UPDATE {scratch} SET v = 9 WHERE id = 1")
            uow.on_commit(lambda: sent.append("event"))
            raise RuntimeError("half-way failure")
    assert db.session().scalar(f"SELECT v FROM {scratch} WHERE id = 1") == 0
    assert sent == []
    with db.uow() as uow:
        uow.on_commit(lambda: sent.append("event"))
        assert sent == []  # not before the commit
        uow.commit()
    assert sent == ["event"]


def test_parameters_are_never_interpolated(db: Database, scratch: str):
    hostile = "0 OR 1=1; DROP TABLE " + scratch  # interpolated, it would match every row
    assert db.session().one(f"SELECT * FROM {scratch} WHERE id = %s", (hostile,)) is None
    assert db.session().scalar(f"SELECT COUNT(*) FROM {scratch}") == 2


def test_deadlock_is_retried_transparently(db: Database, scratch: str):
    """Two transactions lock rows 1 and 2 in opposite order; InnoDB kills one, which retries."""
    barrier = threading.Barrier(2)
    attempts = {"a": 0, "b": 0}
    errors: list[BaseException] = []

    def worker(name: str, first: int, second: int) -> None:
        local = Database(f"mysql://root@127.0.0.1:3306/{db.writer.database}")

        def work(uow: dbmod.UnitOfWork) -> None:
            attempts[name] += 1
            uow.one(f"SELECT v FROM {scratch} WHERE id = %s FOR UPDATE", (first,))
            if attempts[name] == 1:
                barrier.wait(timeout=5)
            uow.execute(f"UPDATE {scratch} SET v = v + 1 WHERE id = %s", (second,))
            uow.execute(f"UPDATE {scratch} SET v = v + 1 WHERE id = %s", (first,))
            uow.commit()

        try:
            local.transaction(work)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            local.close()

    threads = [threading.Thread(target=worker, args=("a", 1, 2)), threading.Thread(target=worker, args=("b", 2, 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert attempts["a"] + attempts["b"] == 3  # exactly one victim, retried once
    assert db.session().all(f"SELECT v FROM {scratch} ORDER BY id") == [{"v": 2}, {"v": 2}]


def test_dropped_connection_is_replaced(db: Database, monkeypatch):
    conn = db.connection()
    conn_id = db.session().scalar("SELECT CONNECTION_ID()")
    killer = pymysql.connect(host="127.0.0.1", user="root")
    with killer.cursor() as cur:
        cur.execute(f"KILL CONNECTION {int(conn_id)}")
    killer.close()
    monkeypatch.setattr(dbmod, "PING_AFTER_IDLE_SECONDS", -1.0)  # force the idle ping
    assert db.session().scalar("SELECT 1") == 1
    assert db.session().scalar("SELECT CONNECTION_ID()") != conn_id
    assert conn is not None


def test_connection_is_reused_within_a_container(db: Database):
    first = db.session().scalar("SELECT CONNECTION_ID()")
    second = db.session().scalar("SELECT CONNECTION_ID()")
    assert first == second


def test_read_replica_url_is_used_for_reads():
    url = f"mysql://root@127.0.0.1:3306/{dbmod.get_db().writer.database}"
    database = Database(url, url + "?connect_timeout=3")
    try:
        writer_id = database.session().scalar("SELECT CONNECTION_ID()")
        reader_id = database.reader().scalar("SELECT CONNECTION_ID()")
        assert writer_id != reader_id  # a separate connection to the replica target
        assert database.reader_target is not None and database.reader_target.params["connect_timeout"] == "3"
    finally:
        database.close()


def test_statement_counter(db: Database, scratch: str):
    before = dbmod.stats.statements
    db.session().all(f"SELECT * FROM {scratch}")
    db.session().scalar(f"SELECT COUNT(*) FROM {scratch}")
    assert dbmod.stats.statements - before == 2


def test_turkish_collation_compares_like_a_turk(db: Database):
    # utf8mb4_turkish_ci: 'ı' and 'i' are different letters, case folds the Turkish way.
    row = db.session().one(
        "SELECT 'ISPARTA' = 'ısparta' COLLATE utf8mb4_turkish_ci AS dotless,"
        " 'İZMİR' = 'izmir' COLLATE utf8mb4_turkish_ci AS dotted,"
        " 'ılık' = 'ilik' COLLATE utf8mb4_turkish_ci AS distinct_letters"
    )
    assert row == {"dotless": 1, "dotted": 1, "distinct_letters": 0}


def test_a_connection_killed_mid_traffic_is_replaced_on_the_next_request(db: Database):
    """No idle ping involved: the failing request discards the dead connection."""
    conn_id = db.session().scalar("SELECT CONNECTION_ID()")
    killer = pymysql.connect(host="127.0.0.1", user="root")
    with killer.cursor() as cur:
        cur.execute(f"KILL CONNECTION {int(conn_id)}")
    killer.close()
    with pytest.raises((pymysql.err.OperationalError, pymysql.err.InterfaceError)):
        db.session().scalar("SELECT 1")
    assert db.session().scalar("SELECT 1") == 1
    with db.uow() as uow:
        assert uow.scalar("SELECT 1") == 1
