"""HTTP routes of the addresses area (A1–A4): the signed-in user's delivery and billing addresses.

    GET    /api/addresses[?type=delivery|billing]
    POST   /api/addresses
    GET    /api/addresses/{address_id}
    PUT    /api/addresses/{address_id}            partial update
    DELETE /api/addresses/{address_id}
    POST   /api/addresses/{address_id}/default    make it the default of its type

Only the owner sees an address: another user's or tenant's id answers 404 like a missing one.
Creating and updating may call the geocoder (billed per request), hence their tighter limit.
"""
from __future__ import annotations

from chalicelib.platform.db import get_db
from chalicelib.platform.routing import USER, Call, Router

from . import service
from .errors import rules_as_http
from .schemas import AddressIn, AddressList, AddressListQuery, AddressOut, AddressPatch

router = Router(tag="addresses")

GEOCODING_WRITES_LIMIT = (30, 900)  # per user per 15 minutes


@router.get("/api/addresses", auth=USER, query=AddressListQuery, response=AddressList)
def list_addresses(call: Call) -> AddressList:
    """The signed-in user's addresses, defaults first, then newest first."""
    items = service.list_addresses(get_db(), call.tenant.id, call.principal.user_id, call.query.type)
    return AddressList.model_validate({"items": items})


@router.post("/api/addresses", auth=USER, body=AddressIn, response=AddressOut, status=201, errors=(409,),
             rate_limit=GEOCODING_WRITES_LIMIT)
def create_address(call: Call) -> AddressOut:
    """Add an address (max 20); the first of its type becomes the default.  Geocoded unless lat/lng are sent."""
    with rules_as_http(call.ctx.lang):
        result = service.create_address(get_db(), call.tenant.id, call.principal.user_id,
                                        call.body.model_dump(), set(call.body.model_fields_set))
    return AddressOut.model_validate(result)


@router.get("/api/addresses/{address_id}", auth=USER, response=AddressOut)
def get_address(call: Call) -> AddressOut:
    """One of the signed-in user's addresses."""
    return AddressOut.model_validate(
        service.get_address(get_db(), call.tenant.id, call.principal.user_id, call.path["address_id"]))


@router.put("/api/addresses/{address_id}", auth=USER, body=AddressPatch, response=AddressOut, errors=(409,),
            rate_limit=GEOCODING_WRITES_LIMIT)
def update_address(call: Call) -> AddressOut:
    """Change an address (only the fields sent); a new location is geocoded again."""
    with rules_as_http(call.ctx.lang):
        result = service.update_address(get_db(), call.tenant.id, call.principal.user_id, call.path["address_id"],
                                        call.body.changes())
    return AddressOut.model_validate(result)


@router.delete("/api/addresses/{address_id}", auth=USER)
def delete_address(call: Call) -> None:
    """Delete an address; if it was the default, the newest other address of its type takes over."""
    service.delete_address(get_db(), call.tenant.id, call.principal.user_id, call.path["address_id"])


@router.post("/api/addresses/{address_id}/default", auth=USER, response=AddressOut)
def make_default(call: Call) -> AddressOut:
    """Make the address the default of its type (the previous default stops being one)."""
    return AddressOut.model_validate(
        service.make_default(get_db(), call.tenant.id, call.principal.user_id, call.path["address_id"]))
