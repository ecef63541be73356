"""HTTP routes of the loyalty area (issue 15, L1-L3).

Apps:  GET /api/levels (the tiers with their benefits, public with the API key),
       GET /api/loyalty/level (signed in: level, points of the last 365 days, progress, history).
Staff: /api/admin/levels (GET list, POST), /api/admin/levels/{level_id} (PUT, DELETE: 409 when a
       member holds the tier).  campaigns.read / campaigns.write.
"""
from __future__ import annotations

from chalicelib.platform import permissions
from chalicelib.platform.routing import ADMIN, PUBLIC, USER, Call, Router

from . import service
from .schemas import LevelIn, LevelOut, LevelsOut, MyLevelOut, PublicLevelsOut

router = Router(tag="loyalty")
READ, WRITE = permissions.CAMPAIGNS_READ, permissions.CAMPAIGNS_WRITE


@router.get("/api/levels", auth=PUBLIC, response=PublicLevelsOut, errors=(401, 429))
def levels(call: Call) -> PublicLevelsOut:
    """The shop's levels, lowest first, with their benefits (empty: the shop has no levels)."""
    return PublicLevelsOut.model_validate({"items": service.list_levels(call.tenant.id)})


@router.get("/api/loyalty/level", auth=USER, response=MyLevelOut, errors=(401, 429))
def my_level(call: Call) -> MyLevelOut:
    """The signed-in customer's level: points of the last 365 days, the next level and the points
    still missing, until when the level is kept, its benefits and the newest points rows.  The level
    drops only after retained_until, to what the points of the last 365 days reach."""
    return MyLevelOut.model_validate(service.my_level(call.tenant.id, call.principal.user_id))


@router.get("/api/admin/levels", auth=ADMIN, permission=READ, response=LevelsOut, errors=(401, 403))
def admin_levels(call: Call) -> LevelsOut:
    """The shop's levels, lowest first."""
    return LevelsOut.model_validate({"items": service.list_levels(call.tenant.id)})


@router.post("/api/admin/levels", auth=ADMIN, permission=WRITE, body=LevelIn, response=LevelOut, status=201,
             errors=(400, 401, 403, 409))
def create_level(call: Call) -> LevelOut:
    """Add a level (code unique in the shop: 409 level_code_taken)."""
    return LevelOut.model_validate(service.create_level(call.tenant.id, call.body.model_dump(mode="json")))


@router.put("/api/admin/levels/{level_id}", auth=ADMIN, permission=WRITE, body=LevelIn, response=LevelOut,
            errors=(400, 401, 403, 404, 409))
def update_level(call: Call) -> LevelOut:
    """Replace a level.  Members keep their level until their next evaluation (a points change or
    the daily job) applies the new thresholds."""
    body = call.body.model_dump(mode="json")
    return LevelOut.model_validate(service.update_level(call.tenant.id, call.path["level_id"], body))


@router.delete("/api/admin/levels/{level_id}", auth=ADMIN, permission=WRITE, status=204,
               errors=(401, 403, 404, 409))
def delete_level(call: Call) -> None:
    """Delete a level nobody holds (409 level_in_use otherwise)."""
    service.delete_level(call.tenant.id, call.path["level_id"])
