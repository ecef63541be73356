"""Builds a Chalice app from blueprints with the platform pipeline attached.

`app.py` builds one with every area (chalice local, the test client, a monolithic deploy);
each `functions/<area>.py` builds one with its own area only, so its cold start imports
nothing else.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalice import Blueprint, Chalice

from .config import settings
from .http import gzip_if_worthwhile
from .middleware import pipeline
from .routing import Router


class HugluApp(Chalice):
    """Chalice plus response compression.

    Compression has to run after Chalice turned the Response into the proxy dict (a gzip body
    is binary and Chalice would otherwise try to validate it against binary_types), so it
    lives here rather than in the middleware.
    """

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        response = super().__call__(event, context)
        return gzip_if_worthwhile(event, response, settings().compress_min_bytes)


def create_app(name: str, parts: Iterable[Router | Blueprint]) -> HugluApp:
    """`parts`: areas' Routers (HTTP routes) and Blueprints (queue / schedule handlers)."""
    app = HugluApp(app_name=name)
    app.register_middleware(pipeline, "http")
    for part in parts:
        app.register_blueprint(part.blueprint() if isinstance(part, Router) else part)
    return app
