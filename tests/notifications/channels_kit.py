"""Helpers of the notification-channel tests: customers with a phone, push tokens, a tenant's quiet
hours, delivery rows, consent.  The fakes are fixtures in conftest.py."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import Api, TenantInfo, login, make_user


def phone() -> str:
    return "+90532" + str(uuid.uuid4().int % 10**7).zfill(7)


def customer(tenant: TenantInfo, client: Any) -> tuple[int, str, str, Api]:
    """A signed-in customer with an e-mail and a Turkish mobile number: (user id, e-mail, phone, their Api)."""
    from chalicelib.platform import crypto
    from chalicelib.platform.db import get_db

    user_id, email, password = make_user(tenant)
    number = phone()
    with get_db().uow() as uow:
        uow.execute("UPDATE users SET phone_enc = %s WHERE tenant_id = %s AND id = %s",
                    (crypto.seal(number, "user.phone"), tenant.id, user_id))
        uow.commit()
    api = Api(client, tenant.api_key)
    api.token = login(api, email, password)["access_token"]
    return user_id, email, number, api


def expo_token() -> str:
    return f"ExponentPushToken[{uuid.uuid4().hex[:22]}]"


def set_quiet_hours(tenant_id: int, window: dict[str, str] | None, zone: str = "Europe/Istanbul") -> None:
    from chalicelib.platform.db import get_db

    db = get_db()
    raw = db.session().scalar("SELECT settings FROM tenants WHERE id = %s", (tenant_id,))
    settings = json.loads(raw) if raw else {}
    settings["notifications"] = {"quiet_hours": window, "time_zone": zone}
    with db.uow() as uow:
        uow.execute("UPDATE tenants SET settings = %s WHERE id = %s", (json.dumps(settings), tenant_id))
        uow.commit()


def window_around_now(zone: str = "Europe/Istanbul") -> dict[str, str]:
    """A quiet window that holds the present moment (an hour either side)."""
    now = datetime.now(timezone.utc).astimezone(ZoneInfo(zone))
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    return {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}


def window_not_now(zone: str = "Europe/Istanbul") -> dict[str, str]:
    now = datetime.now(timezone.utc).astimezone(ZoneInfo(zone))
    start, end = now + timedelta(hours=2), now + timedelta(hours=3)
    return {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}


def delivery(tenant_id: int, delivery_id: int) -> dict[str, Any]:
    from chalicelib.platform.db import get_db

    row = get_db().session().one("SELECT * FROM notification_deliveries WHERE tenant_id = %s AND id = %s",
                                 (tenant_id, delivery_id))
    assert row is not None
    return row


def consent(api: Api, **channels: bool) -> Any:
    response = api.put("/api/notifications/preferences", {"preferences": {"campaign": channels},
                                                          "source": "mobile_app_settings"})
    assert response.status_code == 200, response.body
    return response.json
