"""A full backup of the test database restored into an empty scratch database matches row for row
and checksum for checksum; a tampered or missing file is caught by the verification."""
from __future__ import annotations

import gzip
import json

import pytest

from chalicelib.backups import codec, dump, repository, restore, service, store
from chalicelib.platform.aws import client


def _rows(db_name: str | None, table: dict) -> list[tuple]:
    conn = repository.connect(repository.live_target(), db_name)
    try:
        shape = repository.TableShape(table["name"], tuple(table["columns"]), tuple(table["primary_key"]))
        return list(repository.stream_rows(conn, shape))
    finally:
        conn.close()


def test_codec_round_trips_every_type_exactly():
    import datetime as dt
    from decimal import Decimal

    row = (1, "Çadır", Decimal("1499.90"), Decimal("-0.0001"), dt.datetime(2026, 12, 6, 17, 45, 0, 123456),
           dt.date(2026, 2, 28), dt.timedelta(hours=26, microseconds=5), b"\x00\xff\x80", 1.5, None)
    line = codec.encode_row(row)
    assert codec.decode_row(line) == list(row)
    assert str(codec.decode_row(line)[2]) == "1499.90"  # the scale survives, never a float
    assert codec.encode_row(codec.decode_row(line)) == line  # canonical: the same line again


def test_backup_restores_into_an_empty_database_row_for_row(shops, scratch_db):
    status = service.run(service.MANUAL, with_media=False)
    assert status["status"] == "succeeded" and status["rows"] > 0
    manifest = service.manifest_of(status["id"])
    names = [t["name"] for t in manifest["tables"]]
    assert {"tenants", "users", "products", "alembic_version"} <= set(names)
    assert manifest["alembic_revision"] and all(t["create"].startswith("CREATE TABLE") for t in manifest["tables"])
    products = next(t for t in manifest["tables"] if t["name"] == "products")
    assert "in_stock" not in products["columns"]  # generated: recomputed by the server, not dumped

    outcome = restore.restore_database(manifest, scratch_db)
    assert outcome.ok and outcome.rows == status["rows"]
    conn = repository.connect(repository.live_target(), scratch_db)
    try:
        assert sorted(repository.base_tables(conn)) == sorted(names)
        check = restore.Outcome()
        restore.compare(conn, manifest, check)
        assert check.ok, check.mismatches
    finally:
        conn.close()
    for table in manifest["tables"]:  # row for row against the live database (nothing wrote since)
        assert _rows(scratch_db, table) == _rows(None, table), table["name"]
    # the generated columns came back too, computed from the restored rows
    live = _rows(None, {"name": "products", "columns": ["id", "in_stock", "search_terms"], "primary_key": ["id"]})
    assert _rows(scratch_db, {"name": "products", "columns": ["id", "in_stock", "search_terms"],
                              "primary_key": ["id"]}) == live
    user = next(r for r in _rows(scratch_db, {"name": "users", "columns": ["tenant_id", "phone_enc"],
                                               "primary_key": ["tenant_id", "phone_enc"]}) if r[0] == shops.a.id)
    assert user[1] == b"\x00\xff\x80binary\n"


def test_verification_passes_and_catches_a_tampered_and_a_missing_file(shops, scratch_db):
    status = service.run(service.MANUAL, with_media=False)
    verified = service.verify(status["id"], scratch_db=scratch_db)
    assert verified["verification"]["ok"] and verified["verified_at"]
    assert service.status_of(status["id"])["verification"]["ok"]  # recorded in the catalogue

    manifest = service.manifest_of(status["id"])
    users = next(t for t in manifest["tables"] if t["name"] == "users")
    s3 = client("s3")
    lines = gzip.decompress(s3.get_object(Bucket=store.bucket(), Key=users["key"])["Body"].read()).splitlines()
    row = json.loads(lines[0])
    row[-1] = "tampered" if isinstance(row[-1], str) else 999  # one value of one row changed
    lines[0] = json.dumps(row).encode()
    s3.put_object(Bucket=store.bucket(), Key=users["key"], Body=gzip.compress(b"\n".join(lines) + b"\n"))
    tenants = next(t for t in manifest["tables"] if t["name"] == "tenants")
    s3.delete_object(Bucket=store.bucket(), Key=tenants["key"])

    verified = service.verify(status["id"], scratch_db=scratch_db)
    result = verified["verification"]
    assert not result["ok"]
    found = {(m["table"], m["check"]) for m in result["mismatches"]}
    assert ("users", "file_sha256") in found and ("users", "row_sha256") in found
    assert ("tenants", "missing") in found and ("tenants", "rows") in found
    assert {t for t, _ in found} == {"users", "tenants"}  # every other table still matches
    with pytest.raises(restore.RestoreError):  # a real restore refuses the bad file outright
        restore.restore_database(manifest, scratch_db, replace=True)


def test_restore_refuses_a_database_with_tables_unless_replacing(shops, scratch_db):
    status = service.run(service.MANUAL, with_media=False)
    manifest = service.manifest_of(status["id"])
    restore.restore_database(manifest, scratch_db)
    with pytest.raises(restore.RestoreError, match="not empty"):
        restore.restore_database(manifest, scratch_db)
    conn = repository.connect(repository.live_target(), scratch_db)
    try:
        assert len(repository.base_tables(conn)) == len(manifest["tables"])  # left as it was
    finally:
        conn.close()


def test_write_table_file_is_deterministic(tmp_path):
    rows = [(1, "a"), (2, "ğ")]
    first = dump.write_table_file(str(tmp_path / "a.gz"), rows)
    second = dump.write_table_file(str(tmp_path / "b.gz"), rows)
    assert first == second and first["rows"] == 2


def test_cli_restore_asks_for_the_typed_name_and_shows_progress(shops, scratch_db, capsys):
    from chalicelib.backups import cli

    assert cli.main(["backup", "--no-media"]) == 0
    out = capsys.readouterr()
    backup_id = json.loads(out.out)["id"]
    assert "backup" in out.err and "#" in out.err  # the progress bar, on stderr
    assert cli.main(["restore", str(backup_id), "--target-db", scratch_db]) == 0  # a new database: no question
    assert cli.main(["restore", str(backup_id), "--target-db", scratch_db]) == 2  # has tables, not confirmed
    assert cli.main(["restore", str(backup_id), "--target-db", scratch_db, "--confirm", "wrong"]) == 2
    assert cli.main(["restore", str(backup_id), "--target-db", scratch_db, "--confirm", scratch_db]) == 0
    live = repository.live_target().database
    assert cli.main(["restore", str(backup_id)]) == 2  # the live database, never without the typed name
    assert live  # (and it is still there: the next line reads it)
    assert repository.base_tables(repository.connect(repository.live_target()))
    capsys.readouterr()
    assert cli.main(["verify", str(backup_id), "--scratch-db", scratch_db]) == 1  # exists: refused, kept
    assert "exists already" in capsys.readouterr().err
    assert repository.base_tables(repository.connect(repository.live_target(), scratch_db))
    assert cli.main(["verify", str(backup_id), "--scratch-db", f"{scratch_db}_v"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_every_table_comes_from_one_snapshot(shops):
    """A row committed while the dump is under way (after its first table) is in none of the files."""
    from tests.conftest import make_user

    class InsertAfterFirstTable:
        def __init__(self) -> None:
            self.done = 0

        def begin(self, label: str, total: int) -> None:
            pass

        def advance(self, step: int = 1, note: str = "") -> None:
            self.done += 1
            if self.done == 1:
                make_user(shops.a)  # commits users / user_roles rows on the app's own connection

        def end(self) -> None:
            pass

    conn = repository.connect(repository.live_target())
    before = repository.count_rows(conn, "users")
    conn.close()
    status = service.run(service.MANUAL, with_media=False, progress=InsertAfterFirstTable())
    manifest = service.manifest_of(status["id"])
    assert manifest["tables"][0]["name"] < "users"  # the insert came before users was read
    conn = repository.connect(repository.live_target())
    try:
        assert repository.count_rows(conn, "users") == before + 1
    finally:
        conn.close()
    assert next(t for t in manifest["tables"] if t["name"] == "users")["rows"] == before
