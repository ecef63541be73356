"""HTTP routes of the orders_admin area (issue 5)."""
from __future__ import annotations

from chalicelib.platform.routing import Router

router = Router(tag="orders_admin")
