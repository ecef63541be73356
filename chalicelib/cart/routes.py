"""HTTP routes of the cart area (issue 5)."""
from __future__ import annotations

from chalicelib.platform.routing import Router

router = Router(tag="cart")
