"""HTTP routes of product feeds for staff (issue 13 item 1): products.read to look,
products.write to change or run.  Another tenant's ids are 404.

    GET    /api/admin/feeds                        the sources
    POST   /api/admin/feeds                        register a source (201)
    GET    /api/admin/feeds/{source_id}            one source
    PATCH  /api/admin/feeds/{source_id}            change it (null clears the mappings, schedule, e-mail)
    DELETE /api/admin/feeds/{source_id}            remove it (its runs stay)
    POST   /api/admin/feeds/{source_id}/run        run now ({"dry_run": true}: report only) → 202
    GET    /api/admin/feeds/{source_id}/runs       its runs, newest first, with progress and counts
    GET    /api/admin/feed-runs/{run_id}           one run
    GET    /api/admin/feed-runs/{run_id}/report    the first bad rows, the CSV's key and a download link
"""
from __future__ import annotations

from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.routing import ADMIN, Call, Router

from . import service
from .schemas import ReportOut, RunIn, RunList, RunOut, RunQuery, SourceIn, SourceList, SourceOut, SourceUpdateIn

router = Router(tag="feeds")


@router.get("/api/admin/feeds", auth=ADMIN, permission=perm.PRODUCTS_READ, response=SourceList)
def sources(call: Call) -> SourceList:
    """The tenant's feed sources."""
    from . import repository

    return SourceList.model_validate({"items": repository.list_sources(get_db().session(), call.tenant.id)})


@router.post("/api/admin/feeds", auth=ADMIN, permission=perm.PRODUCTS_WRITE, body=SourceIn, response=SourceOut,
             status=201, errors=(409,))
def create_source(call: Call) -> SourceOut:
    """Register a feed: an http URL or an S3 object, its format, an optional field mapping (our field →
    element names) and category / brand mappings (the feed's text → our id), every N minutes or on
    demand.  409 feed_name_taken."""
    body: SourceIn = call.body
    return SourceOut.model_validate(service.create_source(get_db(), call.tenant.id, body.model_dump()))


@router.get("/api/admin/feeds/{source_id}", auth=ADMIN, permission=perm.PRODUCTS_READ, response=SourceOut,
            errors=(404,))
def source(call: Call) -> SourceOut:
    """One feed source."""
    return SourceOut.model_validate(service.get_source(get_db(), call.tenant.id, call.path["source_id"]))


@router.patch("/api/admin/feeds/{source_id}", auth=ADMIN, permission=perm.PRODUCTS_WRITE, body=SourceUpdateIn,
              response=SourceOut, errors=(404, 409))
def update_source(call: Call) -> SourceOut:
    """Change a source; a new location forgets the validators (the next fetch is whole)."""
    body: SourceUpdateIn = call.body
    return SourceOut.model_validate(service.update_source(get_db(), call.tenant.id, call.path["source_id"],
                                                          body.changes()))


@router.delete("/api/admin/feeds/{source_id}", auth=ADMIN, permission=perm.PRODUCTS_WRITE, status=204,
               errors=(404,))
def delete_source(call: Call) -> None:
    """Remove a source; its runs and reports stay."""
    service.delete_source(get_db(), call.tenant.id, call.path["source_id"])


@router.post("/api/admin/feeds/{source_id}/run", auth=ADMIN, permission=perm.PRODUCTS_WRITE, body=RunIn,
             response=RunOut, status=202, errors=(404, 409))
def run_now(call: Call) -> RunOut:
    """Queue a run now.  dry_run: fetch (unconditionally), check and report, write nothing to the
    catalogue.  409 feed_run_active while a run of this source is going."""
    body: RunIn = call.body
    return RunOut.model_validate(service.run_now(get_db(), call.tenant.id, call.path["source_id"],
                                                 dry_run=body.dry_run, actor_id=call.principal.user_id))


@router.get("/api/admin/feeds/{source_id}/runs", auth=ADMIN, permission=perm.PRODUCTS_READ, query=RunQuery,
            response=RunList, errors=(404,))
def runs(call: Call) -> RunList:
    """A source's runs, newest first: status, counts, progress (batches applied / sent)."""
    q: RunQuery = call.query
    return RunList.model_validate({"items": service.runs(get_db(), call.tenant.id, call.path["source_id"], q.limit)})


@router.get("/api/admin/feed-runs/{run_id}", auth=ADMIN, permission=perm.PRODUCTS_READ, response=RunOut,
            errors=(404,))
def run(call: Call) -> RunOut:
    """One run with its progress and counts."""
    return RunOut.model_validate(service.get_run(get_db(), call.tenant.id, call.path["run_id"]))


@router.get("/api/admin/feed-runs/{run_id}/report", auth=ADMIN, permission=perm.PRODUCTS_READ, response=ReportOut,
            errors=(404,))
def run_report(call: Call) -> ReportOut:
    """The run's bad rows (line, SKU, field, reason; the first 100), and the whole CSV report's key
    in the feeds bucket with a 15-minute download link once the run has ended."""
    return ReportOut.model_validate(service.run_report(get_db(), call.tenant.id, call.path["run_id"]))
