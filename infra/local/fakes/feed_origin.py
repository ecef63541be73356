"""A local feed origin: an HTTP server that serves XML documents the way a shop's feed URL does.

It speaks plain HTTP/1.1 with validators: every document has a strong ETag (its SHA-256) and a
Last-Modified time; a GET carrying If-None-Match with the current ETag (or If-Modified-Since at
or after Last-Modified, when no If-None-Match is sent) is answered 304 with no body.  Documents
are bytes or a path (streamed from disk in chunks, so a 100,000-product file is never held in
memory).  Tests and `make dev` use it in place of a supplier's server:

    origin = FeedOrigin().start()
    origin.put("/feed.xml", b"<products>...</products>")
    url = origin.url("/feed.xml");  origin.requests  → [(path, headers dict)]
    origin.stop()
"""
from __future__ import annotations

import hashlib
import threading
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CHUNK = 64 * 1024


class FeedOrigin:
    def __init__(self) -> None:
        self.documents: dict[str, tuple[bytes | Path, str, float]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.status_override: dict[str, int] = {}
        self._server: ThreadingHTTPServer | None = None

    def put(self, path: str, body: bytes | Path, *, modified: float = 1_700_000_000.0) -> str:
        digest = hashlib.sha256()
        if isinstance(body, Path):
            with body.open("rb") as f:
                for chunk in iter(lambda: f.read(CHUNK), b""):
                    digest.update(chunk)
        else:
            digest.update(body)
        etag = f'"{digest.hexdigest()[:32]}"'
        self.documents[path] = (body, etag, modified)
        return etag

    def start(self) -> FeedOrigin:
        origin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def do_GET(self) -> None:  # noqa: N802 - the http.server interface
                origin.requests.append((self.path, dict(self.headers.items())))
                if self.path in origin.status_override:
                    self._empty(origin.status_override[self.path])
                    return
                document = origin.documents.get(self.path)
                if document is None:
                    self._empty(404)
                    return
                body, etag, modified = document
                if self._fresh(etag, modified):
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                size = body.stat().st_size if isinstance(body, Path) else len(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/xml; charset=utf-8")
                self.send_header("Content-Length", str(size))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", formatdate(modified, usegmt=True))
                self.end_headers()
                if isinstance(body, Path):
                    with body.open("rb") as f:
                        for chunk in iter(lambda: f.read(CHUNK), b""):
                            self.wfile.write(chunk)
                else:
                    self.wfile.write(body)

            def _fresh(self, etag: str, modified: float) -> bool:
                if_none_match = self.headers.get("If-None-Match")
                if if_none_match is not None:
                    return etag in [t.strip() for t in if_none_match.split(",")] or if_none_match.strip() == "*"
                since = self.headers.get("If-Modified-Since")
                if since:
                    try:
                        return parsedate_to_datetime(since).timestamp() >= int(modified)
                    except (TypeError, ValueError):
                        return False
                return False

            def _empty(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def url(self, path: str) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
