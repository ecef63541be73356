"""HTTP routes of the returns area (issue 5)."""
from __future__ import annotations

from chalicelib.platform.routing import Router

router = Router(tag="returns")
