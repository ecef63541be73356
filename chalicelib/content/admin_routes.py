"""Staff CRUD of stories, sliders and popups (content.read / content.write), the same five routes
for each kind:

    GET    /api/admin/{stories|sliders|popups}?status=active|scheduled|expired|disabled&cursor=
    POST   /api/admin/{stories|sliders|popups}                     201, audited
    GET    /api/admin/{stories|sliders|popups}/{id}
    PUT    /api/admin/{stories|sliders|popups}/{id}                partial update, audited
    DELETE /api/admin/{stories|sliders|popups}/{id}                204, audited

Another tenant's id is a 404 like a missing one.  Every write invalidates the apps' cached list.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.fields import Patch
from chalicelib.platform.routing import ADMIN, Call, Router

from . import repository as repo
from . import schemas as s
from . import service

router = Router(tag="content")
READ, WRITE = perm.CONTENT_READ, perm.CONTENT_WRITE


def _register(kind: repo.Kind, plural: str, body: type[BaseModel], patch: type[Patch], out: type[BaseModel],
              page: type[BaseModel], query: type[s.AdminListQuery]) -> None:
    base, item = f"/api/admin/{plural}", f"/api/admin/{plural}/{{{kind.name}_id}}"
    key = f"{kind.name}_id"

    def listing(call: Call) -> Any:
        q = call.query
        return page.model_validate(service.list_page(
            get_db(), call.tenant.id, kind, status=q.status, placement=getattr(q, "placement", None),
            position=q.position, limit=q.limit))

    def create(call: Call) -> Any:
        values = call.body.model_dump(mode="python")
        return out.model_validate(service.create(get_db(), call.tenant.id, kind, values))

    def show(call: Call) -> Any:
        return out.model_validate(service.get(get_db(), call.tenant.id, kind, call.path[key]))

    def change(call: Call) -> Any:
        changes = call.body.changes()
        return out.model_validate(service.update(get_db(), call.tenant.id, kind, call.path[key], changes))

    def remove(call: Call) -> None:
        service.delete(get_db(), call.tenant.id, kind, call.path[key])

    docs = {
        listing: f"List {plural} (keyset pages), optionally by status: active, scheduled, expired, disabled.",
        create: f"Create a {kind.name}.  Audited; the apps see it on their next read.",
        show: f"One {kind.name} with its status and counters.",
        change: f"Change a {kind.name}: fields left out keep their value, null clears optional ones.  Audited.",
        remove: f"Delete a {kind.name} (with its views / impressions).  Audited.",
    }
    for fn, verb in ((listing, "list"), (create, "create"), (show, "get"), (change, "update"), (remove, "delete")):
        fn.__name__, fn.__doc__ = f"{verb}_{kind.name}_admin", docs[fn]
    router.get(base, auth=ADMIN, permission=READ, query=query, response=page, errors=(400, 401, 403))(listing)
    router.post(base, auth=ADMIN, permission=WRITE, body=body, response=out, status=201,
                errors=(400, 401, 403))(create)
    router.get(item, auth=ADMIN, permission=READ, response=out, errors=(401, 403, 404))(show)
    router.put(item, auth=ADMIN, permission=WRITE, body=patch, response=out, errors=(400, 401, 403, 404))(change)
    router.delete(item, auth=ADMIN, permission=WRITE, errors=(401, 403, 404))(remove)


_register(repo.STORY, "stories", s.StoryIn, s.StoryPatch, s.StoryAdminOut, s.StoryPage, s.StoryListQuery)
_register(repo.SLIDER, "sliders", s.SliderIn, s.SliderPatch, s.SliderAdminOut, s.SliderPage, s.SliderListQuery)
_register(repo.POPUP, "popups", s.PopupIn, s.PopupPatch, s.PopupAdminOut, s.PopupPage, s.PopupListQuery)
