"""HTTP routes of the system area: /api/health, /api/openapi.json, /api/admin/settings,
/api/admin/logs."""
from __future__ import annotations

from chalice import Response

from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import ADMIN, OPEN, PUBLIC, Call, Router

from . import service
from .schemas import AdminLogPage, AdminLogQuery, HealthOut, OpenApiDocument, TenantSettingsIn, TenantSettingsOut

router = Router(tag="system")


@router.get("/api/health", auth=OPEN, response=HealthOut, errors=(503,))
def health(call: Call) -> Response:
    """Health as the seed draws it: public, for load balancers and uptime checks.

    Without an API key: liveness only (`{"status": "ok"}`, no internals).  With a tenant's key:
    MySQL, Redis and the AWS endpoint, each with its latency, and 503 when one is down; the
    failure's text only for staff."""
    if call.ctx.tenant is None:
        return json_response(HealthOut(status="ok"), 200)
    detail = service.health(get_db())
    if call.ctx.principal is None or not call.ctx.principal.is_staff:
        for check in detail["checks"].values():
            check["error"] = None
    result = HealthOut.model_validate(detail)
    return json_response(result, 200 if result.status == "ok" else 503)


@router.get("/api/openapi.json", auth=PUBLIC, response=OpenApiDocument)
def openapi(call: Call) -> Response:
    """The OpenAPI 3.1 document of the whole API."""
    with open(service.openapi_document_path(), encoding="utf-8") as fh:
        body = fh.read()
    return Response(body=body, status_code=200, headers={"Content-Type": "application/json"})


@router.get("/api/admin/settings", auth=ADMIN, permission=perm.SETTINGS_READ, response=TenantSettingsOut)
def get_settings(call: Call) -> TenantSettingsOut:
    """The tenant's settings: name, language, CORS origins, rate limits, security."""
    return TenantSettingsOut.model_validate(service.get_settings(get_db(), call.tenant.id))


@router.put(
    "/api/admin/settings", auth=ADMIN, permission=perm.SETTINGS_WRITE,
    body=TenantSettingsIn, response=TenantSettingsOut,
)
def put_settings(call: Call) -> TenantSettingsOut:
    """Change tenant settings (partial); audited with before/after."""
    changes = call.body.model_dump(exclude_unset=True, mode="json")
    return TenantSettingsOut.model_validate(service.update_settings(get_db(), call.tenant.id, changes))


@router.get("/api/admin/logs", auth=ADMIN, permission=perm.AUDIT_READ, query=AdminLogQuery, response=AdminLogPage)
def admin_logs(call: Call) -> AdminLogPage:
    """Admin audit log, newest first, filterable by action, entity type and admin user."""
    return AdminLogPage.model_validate(service.admin_logs(get_db(), call.tenant.id, call.query))
