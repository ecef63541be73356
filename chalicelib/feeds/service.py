"""Feed sources and runs for staff: register, change, remove, run now, look at runs and reports."""
from __future__ import annotations

from typing import Any

from pydantic_core import PydanticCustomError

from chalicelib.platform import i18n, queue
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import ApiError, BadRequest, NotFound

from . import repository as repo
from .dispatch import run_message
from .report import bucket_name
from .schemas import check_location
from .states import REPORT_PREVIEW, RUNS_QUEUE

i18n.register({
    "feed_name_taken": {"tr": "Bu adla bir besleme zaten var.", "en": "A feed with this name already exists."},
    "feed_run_active": {"tr": "Bu beslemenin bir çalıştırması sürüyor.", "en": "A run of this feed is in progress."},
})


def _taken() -> ApiError:
    return ApiError("feed_name_taken", status=409)


def create_source(db: Database, tenant_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        if repo.source_name_taken(uow, tenant_id, fields["name"]):
            raise _taken()
        source_id = repo.insert_source(uow, tenant_id, fields)
        source = repo.get_source(uow, tenant_id, source_id)
        uow.commit()
        assert source is not None
        return source

    return db.transaction(work)


def update_source(db: Database, tenant_id: int, source_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        source = repo.get_source(uow, tenant_id, source_id, for_update=True)
        if source is None:
            raise NotFound()
        merged = {**source, **changes}
        try:
            check_location(merged["kind"], merged["url"], merged["bucket"], merged["object_key"])
        except PydanticCustomError as exc:
            raise BadRequest(details={"fields": [{"field": "kind", "type": exc.type, "message": exc.message()}]}
                             ) from None
        if "name" in changes and repo.source_name_taken(uow, tenant_id, changes["name"], source_id):
            raise _taken()
        if {"url", "bucket", "object_key", "kind"} & set(changes):
            repo.save_validators(uow, tenant_id, source_id, None, None)  # another place: fetch it whole
        repo.update_source(uow, tenant_id, source_id, changes)
        updated = repo.get_source(uow, tenant_id, source_id)
        uow.commit()
        assert updated is not None
        return updated

    return db.transaction(work)


def get_source(db: Database, tenant_id: int, source_id: int) -> dict[str, Any]:
    source = repo.get_source(db.session(), tenant_id, source_id)
    if source is None:
        raise NotFound()
    return source


def delete_source(db: Database, tenant_id: int, source_id: int) -> None:
    def work(uow: UnitOfWork) -> None:
        if repo.get_source(uow, tenant_id, source_id, for_update=True) is None:
            raise NotFound()
        repo.delete_source(uow, tenant_id, source_id)  # runs and reports stay, for the record
        uow.commit()

    db.transaction(work)


def run_now(db: Database, tenant_id: int, source_id: int, *, dry_run: bool, actor_id: int | None) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        if repo.get_source(uow, tenant_id, source_id, for_update=True) is None:
            raise NotFound()
        if repo.active_run(uow, tenant_id, source_id) is not None:
            raise ApiError("feed_run_active", status=409)
        run_id = repo.insert_run(uow, tenant_id, source_id, dry_run=dry_run, triggered_by="staff", actor_id=actor_id)
        queue.send(RUNS_QUEUE, run_message(tenant_id, run_id), uow=uow)
        run = repo.get_run(uow, tenant_id, run_id)
        uow.commit()
        assert run is not None
        return view(run)

    return db.transaction(work)


def view(run: dict[str, Any]) -> dict[str, Any]:
    total = run["batches_sent"]
    progress = None if total is None else (1.0 if total == 0 else round(min(run["batches_done"] / total, 1.0), 4))
    return {**run, "progress": progress}


def runs(db: Database, tenant_id: int, source_id: int, limit: int) -> list[dict[str, Any]]:
    session = db.session()
    if repo.get_source(session, tenant_id, source_id) is None:
        raise NotFound()
    return [view(r) for r in repo.list_runs(session, tenant_id, source_id, limit)]


def get_run(db: Database, tenant_id: int, run_id: int) -> dict[str, Any]:
    run = repo.get_run(db.session(), tenant_id, run_id)
    if run is None:
        raise NotFound()
    return view(run)


def run_report(db: Database, tenant_id: int, run_id: int) -> dict[str, Any]:
    run = get_run(db, tenant_id, run_id)
    rows = repo.errors(db.session(), tenant_id, run_id, REPORT_PREVIEW)
    url = None
    if run["report_key"]:
        from chalicelib.platform.aws import client

        url = client("s3").generate_presigned_url("get_object", Params={"Bucket": bucket_name(),
                                                                        "Key": run["report_key"]}, ExpiresIn=900)
    return {"run": run, "rows": rows, "bucket": bucket_name() if run["report_key"] else None,
            "key": run["report_key"], "download_url": url}
