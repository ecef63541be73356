"""HTTP routes of notification channels for the signed-in customer (issue 13, N1 / N2 / I).

    POST   /api/notifications/devices            register this device's Expo push token (re-register
                                                 moves it: a token belongs to one user and device)
    DELETE /api/notifications/devices/{device}   forget this device (sign-out, notifications off)
    GET    /api/notifications/preferences        category × channel switches, consents, quiet hours
    PUT    /api/notifications/preferences        change switches; campaign ones are İYS consent
"""
from __future__ import annotations

from chalicelib.platform.db import get_db
from chalicelib.platform.errors import NotFound
from chalicelib.platform.routing import USER, Call, Router

from . import preferences, repository
from .schemas import DEVICE_ID, DeviceIn, DeviceOut, PreferencesIn, PreferencesOut

router = Router(tag="notifications")


@router.post("/api/notifications/devices", auth=USER, body=DeviceIn, response=DeviceOut, status=201)
def register_device(call: Call) -> DeviceOut:
    """Register (or refresh) the device's Expo push token for the signed-in user.  The same token
    under another account or device moves here; the same device with a new token replaces it."""
    body: DeviceIn = call.body
    db = get_db()
    with db.uow() as uow:
        repository.register_device(uow, call.tenant.id, call.principal.user_id, body.device_id, body.token,
                                   body.platform)
        row = repository.device(uow, call.tenant.id, call.principal.user_id, body.device_id)
        uow.commit()
    return DeviceOut.model_validate(row)


@router.delete("/api/notifications/devices/{device}", auth=USER, status=204, errors=(404,))
def remove_device(call: Call) -> None:
    """Forget one of the user's devices (by its device id); 404 when it is not theirs."""
    device = call.path["device"]
    if not DEVICE_ID.fullmatch(device):  # never a device id (the column is ASCII): no such device
        raise NotFound()
    db = get_db()
    with db.uow() as uow:
        removed = repository.remove_device(uow, call.tenant.id, call.principal.user_id, device)
        uow.commit()
    if not removed:
        raise NotFound()


@router.get("/api/notifications/preferences", auth=USER, response=PreferencesOut)
def get_preferences(call: Call) -> PreferencesOut:
    """Every category (order, campaign, stock, account) × channel (email, sms, push): transactional
    on unless turned off, campaign on only with consent; the consent records; the quiet hours."""
    return PreferencesOut.model_validate(preferences.view(get_db().session(), call.tenant.id, call.principal.user_id))


@router.put("/api/notifications/preferences", auth=USER, body=PreferencesIn, response=PreferencesOut)
def put_preferences(call: Call) -> PreferencesOut:
    """Change some switches.  Turning a campaign channel on records İYS consent (ONAY) with the
    source and time; turning it off records its withdrawal (RET)."""
    body: PreferencesIn = call.body
    view = preferences.update(get_db(), call.tenant.id, call.principal.user_id, body.changes(), body.source)
    return PreferencesOut.model_validate(view)
