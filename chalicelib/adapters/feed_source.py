"""Reading a product feed from where it lives: an HTTP(S) URL or an S3 object, streamed.

    open_feed(location, etag=, last_modified=, timeout=, max_bytes=) → a context manager giving
        FeedBody (a binary stream: read(n)) with the origin's etag / last_modified, or raising
        NotModified (HTTP 304 / S3's If-None-Match answer) or FeedFetchError.

Conditional GET: If-None-Match / If-Modified-Since carry the validators of the copy read last
time, so an unchanged feed costs the origin one 304 and us nothing.  The body is never held
whole: it is read in chunks by the parser, and a body larger than max_bytes ends the read with
FeedFetchError (an origin cannot make us read forever); connect and read have a timeout.
HTTP goes through urllib (stdlib, nothing to install); any HTTP server speaks the protocol, and
the tests use infra/local/fakes/feed_origin.py.  Errors are translated into ours at the boundary.
"""
from __future__ import annotations

import contextlib
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

DEFAULT_TIMEOUT_S = 20
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
USER_AGENT = "HugluFeedSync/1.0"


class NotModified(Exception):
    """The origin says the feed has not changed since the validators we sent."""


class FeedFetchError(Exception):
    """The feed could not be read (status, network, size cap): the run fails with this reason."""


@dataclass(frozen=True)
class Location:
    kind: str  # "http" | "s3"
    url: str | None = None
    bucket: str | None = None
    key: str | None = None


class FeedBody:
    """A capped binary stream with the validators of what it holds."""

    def __init__(self, raw: Any, max_bytes: int, etag: str | None, last_modified: str | None) -> None:
        self._raw = raw
        self._left = max_bytes
        self.etag = etag
        self.last_modified = last_modified

    def read(self, size: int = -1) -> bytes:
        try:
            data: bytes = self._raw.read(size if size > 0 else self._left + 1)
        except (OSError, ValueError) as exc:  # a timeout or a dropped connection mid-body
            raise FeedFetchError(f"reading the feed failed: {exc}") from exc
        self._left -= len(data)
        if self._left < 0:
            raise FeedFetchError("the feed is larger than the size limit")
        return data


@contextlib.contextmanager
def open_feed(location: Location, *, etag: str | None, last_modified: str | None,
              timeout: float = DEFAULT_TIMEOUT_S, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[FeedBody]:
    if location.kind == "s3":
        with _open_s3(location, etag, last_modified, max_bytes) as body:
            yield body
        return
    url = location.url or ""
    if not url.lower().startswith(("http://", "https://")):
        raise FeedFetchError("only http and https URLs are read")
    _refuse_metadata_address(url)
    headers = {"User-Agent": USER_AGENT, "Accept": "application/xml, text/xml, */*"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - scheme checked above
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 304:
            raise NotModified() from None
        raise FeedFetchError(f"the origin answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise FeedFetchError(f"the origin could not be reached: {exc}") from None
    with response:
        length = response.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise FeedFetchError("the feed is larger than the size limit")
        yield FeedBody(response, max_bytes, response.headers.get("ETag"), response.headers.get("Last-Modified"))


def _refuse_metadata_address(url: str) -> None:
    """A staff-given URL must not read the cloud's instance-metadata service (link-local
    169.254.0.0/16, fe80::/10), where a Lambda's own credentials are served."""
    import ipaddress
    import socket
    import urllib.parse

    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        raise FeedFetchError(f"the origin's name does not resolve: {host[:100]}") from None
    if any(ipaddress.ip_address(str(a).split("%")[0]).is_link_local for a in addresses):
        raise FeedFetchError("the origin's address is link-local (instance metadata): refused")


@contextlib.contextmanager
def _open_s3(location: Location, etag: str | None, last_modified: str | None, max_bytes: int
             ) -> Iterator[FeedBody]:
    from botocore.exceptions import BotoCoreError, ClientError

    from chalicelib.platform.aws import client

    params: dict[str, Any] = {"Bucket": location.bucket, "Key": location.key}
    if etag:
        params["IfNoneMatch"] = etag
    try:
        answer = client("s3").get_object(**params)
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 304 or exc.response.get("Error", {}).get("Code") in ("304", "NotModified"):
            raise NotModified() from None
        raise FeedFetchError(f"S3 answered {exc.response.get('Error', {}).get('Code')}") from None
    except BotoCoreError as exc:
        raise FeedFetchError(f"S3 could not be reached: {exc}") from None
    if int(answer.get("ContentLength") or 0) > max_bytes:
        answer["Body"].close()
        raise FeedFetchError("the feed is larger than the size limit")
    modified = answer.get("LastModified")
    body = FeedBody(answer["Body"], max_bytes, answer.get("ETag"),
                    modified.strftime("%a, %d %b %Y %H:%M:%S GMT") if modified is not None else None)
    try:
        yield body
    finally:
        answer["Body"].close()
