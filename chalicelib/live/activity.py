"""Activity events of the app (/api/user-data/log), kept in a capped Redis stream per device.

Why a stream and not a table: these are high-rate, low-value telemetry (a screen view every few
seconds per open app) that staff read while a customer is online or shortly after ("what was she
looking at before she called?").  A MySQL insert per batch would put the busiest endpoint of the
app on the writer for rows nobody keeps; a stream per device is one round trip, bounded twice
(MAXLEN ~ EVENTS_PER_DEVICE entries, and the key expires KEEP_SECONDS after the last write), and
erasing a device's history (KVKK) is one DEL.  Long-term analytics go to the "events" queue's
consumers (the ML service), not here.

    t:{tid}:live:ev:{device}   XADD fields: at (epoch s), type, screen, name, user
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib.platform.cache import redis_client, tenant_key

EVENTS_PER_DEVICE = 500
KEEP_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Activity:
    type: str
    at: datetime
    screen: str | None
    name: str | None
    user_id: int | None
    # Forwarded to the ML service (chalicelib/ml/api.py), not kept in the stream.
    product_id: int | None = None
    query: str | None = None


def _key(tenant_id: int, device_id: str) -> str:
    return tenant_key(tenant_id, "live", "ev", device_id)


def append(tenant_id: int, device_id: str, events: list[Activity]) -> None:
    key = _key(tenant_id, device_id)
    pipe = redis_client().pipeline(transaction=False)
    for event in events:
        pipe.xadd(key, {
            "at": f"{event.at.timestamp():.3f}", "type": event.type, "screen": event.screen or "",
            "name": event.name or "", "user": "" if event.user_id is None else str(event.user_id),
        }, maxlen=EVENTS_PER_DEVICE, approximate=True)
    pipe.expire(key, KEEP_SECONDS)
    pipe.execute()


def recent(tenant_id: int, device_id: str, limit: int) -> list[Activity]:
    """Newest first."""
    entries = redis_client().xrevrange(_key(tenant_id, device_id), count=limit)
    out: list[Activity] = []
    for _, fields in entries:
        f = {k.decode(): v.decode() for k, v in fields.items()}
        out.append(Activity(type=f["type"], at=datetime.fromtimestamp(float(f["at"]), UTC),
                            screen=f["screen"] or None, name=f["name"] or None,
                            user_id=int(f["user"]) if f["user"] else None))
    return out


def erase(tenant_id: int, device_id: str) -> None:
    redis_client().delete(_key(tenant_id, device_id))
