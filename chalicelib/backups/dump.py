"""Writing a backup: every table from one consistent snapshot, streamed row by row into a gzip file,
checksummed twice (the rows' canonical lines, and the compressed file), uploaded, and described in
the manifest.

Memory holds one row at a time (an unbuffered server-side cursor) and disk one table's compressed
file, which is uploaded and removed before the next table is read.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import os
import tempfile
from collections.abc import Iterable
from typing import Any

import pymysql

from . import codec, repository, store
from .progress import Progress, Silent

FORMAT = "huglu-backup/1"


class _HashingWriter:
    """A file wrapper that hashes and counts what gzip writes through it."""

    def __init__(self, raw: Any) -> None:
        self.raw, self.sha, self.size = raw, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return int(self.raw.write(data))

    def flush(self) -> None:
        self.raw.flush()


def write_table_file(path: str, rows: Iterable[tuple[Any, ...]]) -> dict[str, Any]:
    """The rows as canonical JSON lines, gzipped (mtime 0: the same rows give the same file)."""
    row_sha, count = hashlib.sha256(), 0
    with open(path, "wb") as raw:
        hashing = _HashingWriter(raw)
        with gzip.GzipFile(fileobj=hashing, mode="wb", mtime=0, compresslevel=6) as gz:  # type: ignore[arg-type]
            for row in rows:
                line = codec.encode_row(row)
                row_sha.update(line)
                gz.write(line)
                count += 1
    return {"rows": count, "row_sha256": row_sha.hexdigest(), "file_sha256": hashing.sha.hexdigest(),
            "bytes": hashing.size}


def table_checksum(conn: pymysql.connections.Connection, shape: repository.TableShape,
                   where: tuple[str, Any] | None = None) -> tuple[int, str]:
    """(rows, SHA-256 of their canonical lines) as the database holds them now: the verification's
    side of the comparison with the manifest."""
    sha, count = hashlib.sha256(), 0
    for row in repository.stream_rows(conn, shape, where):
        sha.update(codec.encode_row(row))
        count += 1
    return count, sha.hexdigest()


def dump(conn: pymysql.connections.Connection, prefix: str, *, backup_id: int, kind: str,
         tenant: tuple[int, str] | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Dump the database of `conn` (or, with `tenant`, that tenant's rows only) under `prefix` of the
    backup bucket; returns the manifest, which is written last (a backup without one is incomplete).
    """
    progress = progress or Silent()
    repository.begin_snapshot(conn)
    try:
        if tenant is None:
            names = repository.base_tables(conn)
        else:
            names = sorted({"tenants", *repository.tenant_tables(conn)})
        manifest: dict[str, Any] = {
            "format": FORMAT, "id": backup_id, "kind": kind, "database": repository.current_database(conn),
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "alembic_revision": repository.alembic_revision(conn),
            "tenant": {"id": tenant[0], "slug": tenant[1]} if tenant else None, "tables": [],
            # A whole database comes back with its triggers (created after its rows are in);
            # a tenant's rows go into a migrated database, whose own triggers fire.
            "triggers": repository.trigger_statements(conn) if tenant is None else [],
        }
        progress.begin(f"backup {backup_id}", len(names))
        with tempfile.TemporaryDirectory(prefix="backup-") as work:
            for name in names:
                manifest["tables"].append(_dump_table(conn, prefix, name, work, tenant))
                progress.advance(note=name)
        progress.end()
    finally:
        try:
            conn.rollback()  # ends the snapshot
        except pymysql.err.Error:
            pass  # a dump that failed mid-table left the connection unusable; the caller closes it
    manifest["totals"] = {"tables": len(manifest["tables"]), "rows": sum(t["rows"] for t in manifest["tables"]),
                          "bytes": sum(t["bytes"] for t in manifest["tables"])}
    store.put_json(f"{prefix}/manifest.json", manifest)
    return manifest


def _dump_table(conn: pymysql.connections.Connection, prefix: str, name: str, work: str,
                tenant: tuple[int, str] | None) -> dict[str, Any]:
    shape = repository.table_shape(conn, name)
    where = None if tenant is None else (("id" if name == "tenants" else "tenant_id"), tenant[0])
    path = os.path.join(work, f"{name}.jsonl.gz")
    written = write_table_file(path, repository.stream_rows(conn, shape, where))
    key = f"{prefix}/tables/{name}.jsonl.gz"
    store.upload(path, key)
    os.remove(path)
    return {"name": name, "columns": list(shape.columns), "primary_key": list(shape.primary_key), "key": key,
            "create": repository.create_statement(conn, name), **written}
