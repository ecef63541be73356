"""Reading a backup back: into a named database (whole backups), into a database without that tenant
(one tenant's export), and the verification that restores into a scratch database and compares.

Each table file is checked against the manifest's file checksum as it is downloaded; rows are
decoded line by line and inserted in batches with foreign-key checks off for the session (tables
are loaded one after another, so a reference may arrive before what it refers to).
"""
from __future__ import annotations

import gzip
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pymysql

from . import codec, dump, repository, store
from .progress import Progress, Silent


class RestoreError(Exception):
    """The backup cannot be restored as asked (bad checksum, target not empty, tenant present)."""


@dataclass
class Mismatch:
    table: str
    check: str  # file_sha256 | rows | row_sha256 | missing | unreadable
    expected: Any
    found: Any

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "check": self.check, "expected": self.expected, "found": self.found}


@dataclass
class Outcome:
    tables: int = 0
    rows: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def file_sha256(path: str) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def _rows(path: str) -> Iterator[list[Any]]:
    with gzip.open(path, "rb") as lines:
        for line in lines:
            yield codec.decode_row(line)


def _load_tables(conn: pymysql.connections.Connection, manifest: dict[str, Any], *, strict: bool,
                 progress: Progress, outcome: Outcome) -> None:
    """Download, check and insert every table of the manifest.  strict: a bad file stops the restore
    (a real restore); otherwise it is recorded and loading goes on (a verification)."""
    repository.prepare_restore_session(conn)
    progress.begin(f"restore {manifest['id']}", len(manifest["tables"]))
    with tempfile.TemporaryDirectory(prefix="restore-") as work:
        for table in manifest["tables"]:
            name = table["name"]
            path = os.path.join(work, f"{repository.quote(name).strip('`')}.jsonl.gz")
            try:
                store.download(table["key"], path)
            except Exception as exc:  # botocore's ClientError (404) and friends
                if strict:
                    raise RestoreError(f"{name}: file missing ({exc})") from exc
                outcome.mismatches.append(Mismatch(name, "missing", table["key"], str(exc)))
                progress.advance(note=name)
                continue
            found = file_sha256(path)
            if found != table["file_sha256"]:
                if strict:
                    raise RestoreError(f"{name}: file checksum {found} is not the manifest's {table['file_sha256']}")
                outcome.mismatches.append(Mismatch(name, "file_sha256", table["file_sha256"], found))
            try:
                outcome.rows += repository.insert_rows(conn, name, table["columns"], _rows(path))
            except (OSError, EOFError, ValueError, pymysql.err.MySQLError) as exc:
                if strict:
                    raise RestoreError(f"{name}: unreadable ({exc})") from exc
                outcome.mismatches.append(Mismatch(name, "unreadable", None, str(exc)[:200]))
            os.remove(path)
            outcome.tables += 1
            progress.advance(note=name)
    progress.end()


DDL_CONNECTIONS = 4


def _create_tables(target_db: str, manifest: dict[str, Any], *, if_missing: bool) -> None:
    """CREATE TABLE of every table, over a few connections at once: each one costs the server a file
    and an fsync (~50 ms), which for ninety tables is most of a small restore's time."""
    statements = []
    for table in manifest["tables"]:
        statement = table["create"]
        if not re.match(r"^CREATE TABLE `\w+` \(", statement):
            raise RestoreError(f"{table['name']}: not a CREATE TABLE statement")
        if if_missing:
            statement = statement.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1)
        statements.append(statement)

    def create(share: list[str]) -> None:
        conn = repository.connect(repository.live_target(), target_db)
        try:
            repository.prepare_restore_session(conn)  # references to tables not created yet
            for statement in share:
                repository.run_ddl(conn, statement)
        finally:
            conn.close()

    shares = [statements[i::DDL_CONNECTIONS] for i in range(DDL_CONNECTIONS)]
    with ThreadPoolExecutor(max_workers=DDL_CONNECTIONS) as pool:
        list(pool.map(create, [s for s in shares if s]))


def restore_database(manifest: dict[str, Any], target_db: str, *, replace: bool = False,
                     progress: Progress | None = None, strict: bool = True) -> Outcome:
    """The whole backup into `target_db`, created afresh.  An existing database with tables is
    dropped only with `replace` (the CLI asks for the typed name first)."""
    target = repository.live_target()
    admin = repository.connect(target, database="")
    try:
        if repository.database_exists(admin, target_db):
            conn = repository.connect(target, target_db)
            has_tables = bool(repository.base_tables(conn))
            conn.close()
            if has_tables and not replace:
                raise RestoreError(f"database {target_db} is not empty")
            repository.drop_database(admin, target_db)
        repository.create_database(admin, target_db)
    finally:
        admin.close()
    conn = repository.connect(target, target_db)
    try:
        _create_tables(target_db, manifest, if_missing=False)
        outcome = Outcome()
        _load_tables(conn, manifest, strict=strict, progress=progress or Silent(), outcome=outcome)
        # After the rows: the tables they keep (product_facet_counts) were restored as dumped.
        for statement in manifest.get("triggers", []):
            if not re.match(r"^CREATE TRIGGER `?\w+`? (AFTER|BEFORE) ", statement):
                raise RestoreError("not a CREATE TRIGGER statement")
            repository.run_ddl(conn, statement)
        return outcome
    finally:
        conn.close()


def compare(conn: pymysql.connections.Connection, manifest: dict[str, Any], outcome: Outcome) -> None:
    """Row counts and canonical checksums of what `conn` holds now against the manifest."""
    tenant = manifest.get("tenant")
    for table in manifest["tables"]:
        shape = repository.TableShape(table["name"], tuple(table["columns"]), tuple(table["primary_key"]))
        where = None if not tenant else (("id" if table["name"] == "tenants" else "tenant_id"), tenant["id"])
        rows, sha = dump.table_checksum(conn, shape, where)
        if rows != table["rows"]:
            outcome.mismatches.append(Mismatch(table["name"], "rows", table["rows"], rows))
        if sha != table["row_sha256"]:
            outcome.mismatches.append(Mismatch(table["name"], "row_sha256", table["row_sha256"], sha))


def verify(manifest: dict[str, Any], scratch_db: str, *, progress: Progress | None = None) -> Outcome:
    """Restore into `scratch_db` (created here, dropped after) and compare with the manifest."""
    target = repository.live_target()
    admin = repository.connect(target, database="")
    if repository.database_exists(admin, scratch_db):  # someone's database: neither used nor dropped
        admin.close()
        raise RestoreError(f"scratch database {scratch_db} exists already")
    try:
        outcome = restore_database(manifest, scratch_db, progress=progress, strict=False)
        conn = repository.connect(target, scratch_db)
        try:
            compare(conn, manifest, outcome)
        finally:
            conn.close()
        return outcome
    finally:
        repository.drop_database(admin, scratch_db)
        admin.close()


def restore_tenant(manifest: dict[str, Any], target_db: str, *, progress: Progress | None = None) -> Outcome:
    """One tenant's export into `target_db`: created when missing, its missing tables created; refused
    when the tenant is there already or the schema revision differs.  The rows go in in one
    transaction, ids kept: a clash with another tenant's row rolls all of them back."""
    if not manifest.get("tenant"):
        raise RestoreError("not a tenant export")
    target = repository.live_target()
    admin = repository.connect(target, database="")
    try:
        if not repository.database_exists(admin, target_db):
            repository.create_database(admin, target_db)
    finally:
        admin.close()
    conn = repository.connect(target, target_db)
    try:
        existing = set(repository.base_tables(conn))
        if "tenants" in existing and repository.tenant_present(conn, manifest["tenant"]["id"]):
            raise RestoreError(f"tenant {manifest['tenant']['id']} is already in {target_db}")
        revision = repository.alembic_revision(conn)
        if revision is not None and revision != manifest.get("alembic_revision"):
            raise RestoreError(f"{target_db} is at revision {revision}, the export at {manifest.get('alembic_revision')}")
        _create_tables(target_db, manifest, if_missing=True)
        outcome = Outcome()
        conn.begin()
        try:
            _load_tables(conn, manifest, strict=True, progress=progress or Silent(), outcome=outcome)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        return outcome
    finally:
        conn.close()
