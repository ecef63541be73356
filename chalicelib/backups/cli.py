"""The backups on the command line, with progress bars (make backup / restore / verify-backup /
tenant-export / tenant-restore):

    python -m chalicelib.backups.cli backup [--kind manual|daily] [--no-media]
    python -m chalicelib.backups.cli list
    python -m chalicelib.backups.cli restore BACKUP_ID [--target-db NAME] [--confirm NAME] [--media]
    python -m chalicelib.backups.cli verify BACKUP_ID [--scratch-db NAME]
    python -m chalicelib.backups.cli prune [--dry-run]
    python -m chalicelib.backups.cli tenant-export TENANT            (id or slug)
    python -m chalicelib.backups.cli tenant-restore TENANT --target-db NAME [--backup BACKUP_ID]

Restoring over the live database (DATABASE_URL's), or over any database that has tables, drops it
first, so it asks for the database's name to be typed (or given with --confirm).
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from . import media, repository, restore, service, store
from .progress import Bar


def _print(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=1, default=str))


def _confirm(target_db: str, given: str | None) -> bool:
    if given is not None:
        return given == target_db
    if not sys.stdin.isatty():
        return False
    typed = input(f"This drops and replaces database {target_db!r}. Type its name to go on: ")
    return typed.strip() == target_db


def _needs_confirmation(target_db: str) -> bool:
    target = repository.live_target()
    if target_db == target.database:
        return True
    conn = repository.connect(target, database="")
    try:
        if not repository.database_exists(conn, target_db):
            return False
    finally:
        conn.close()
    conn = repository.connect(target, target_db)
    try:
        return bool(repository.base_tables(conn))
    finally:
        conn.close()


def cmd_restore(args: argparse.Namespace) -> int:
    target_db = args.target_db or repository.live_target().database
    replace = _needs_confirmation(target_db)
    if replace and not _confirm(target_db, args.confirm):
        print(f"not confirmed: {target_db} left as it was", file=sys.stderr)
        return 2
    manifest = service.manifest_of(args.backup)
    outcome = restore.restore_database(manifest, target_db, replace=replace, progress=Bar())
    if args.media:
        media.restore_media(store.prefix_of(args.backup), progress=Bar())
    _print({"restored": args.backup, "database": target_db, "tables": outcome.tables, "rows": outcome.rows})
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    status = service.verify(args.backup, scratch_db=args.scratch_db, progress=Bar())
    _print(status["verification"])
    return 0 if status["verification"]["ok"] else 1


def _tenant_id(ref: str) -> int:
    conn = repository.connect(repository.live_target())
    try:
        found = repository.tenant_row(conn, ref)
    finally:
        conn.close()
    if found is None:
        if ref.isdigit():
            return int(ref)  # the live database may be the thing lost: the export still names it
        raise SystemExit(f"no tenant {ref!r}")
    return found[0]


def cmd_tenant_restore(args: argparse.Namespace) -> int:
    tenant_id = _tenant_id(args.tenant)
    backup_id = args.backup
    if backup_id is None:
        done = [s for s in store.tenant_statuses(tenant_id) if s["status"] == "succeeded"]
        if not done:
            raise SystemExit(f"no export of tenant {tenant_id}")
        backup_id = max(int(s["id"]) for s in done)
    manifest = service.manifest_of(backup_id, tenant_id)
    outcome = restore.restore_tenant(manifest, args.target_db, progress=Bar())
    _print({"restored": backup_id, "tenant": manifest["tenant"], "database": args.target_db,
            "tables": outcome.tables, "rows": outcome.rows})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="backups", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("backup")
    p.add_argument("--kind", choices=["manual", "daily"], default="manual")
    p.add_argument("--no-media", action="store_true")
    sub.add_parser("list")
    p = sub.add_parser("restore")
    p.add_argument("backup", type=int)
    p.add_argument("--target-db")
    p.add_argument("--confirm", help="the target database's name, instead of typing it")
    p.add_argument("--media", action="store_true", help="also copy the media objects back")
    p = sub.add_parser("verify")
    p.add_argument("backup", type=int)
    p.add_argument("--scratch-db")
    p = sub.add_parser("prune")
    p.add_argument("--dry-run", action="store_true")
    p = sub.add_parser("tenant-export")
    p.add_argument("tenant")
    p = sub.add_parser("tenant-restore")
    p.add_argument("tenant")
    p.add_argument("--target-db", required=True)
    p.add_argument("--backup", type=int)
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            _print(service.run(args.kind, with_media=not args.no_media, progress=Bar()))
        elif args.command == "list":
            _print(sorted(store.database_statuses() + store.tenant_statuses(), key=lambda s: int(s["id"])))
        elif args.command == "restore":
            return cmd_restore(args)
        elif args.command == "verify":
            return cmd_verify(args)
        elif args.command == "prune":
            plan = service.prune(dry_run=args.dry_run)
            _print({"keep": plan.keep, "delete": plan.delete, "dry_run": args.dry_run})
        elif args.command == "tenant-export":
            _print(service.run(service.TENANT, tenant_id=_tenant_id(args.tenant), progress=Bar()))
        elif args.command == "tenant-restore":
            return cmd_tenant_restore(args)
    except restore.RestoreError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
