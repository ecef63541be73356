"""Customers' return photos in the private "uploads" bucket (infra/resources.py BUCKETS).

    tenants/{tenant_id}/returns/{user_id}/{uuid}.{jpg|png|webp}

The app asks for a presigned POST (`upload_form`) that can store exactly one such key with the
declared type and size, uploads straight to S3, and names the key in its return request; the
service then checks the object (`head`, `first_bytes`) before accepting it.  Staff (and the
customer) see the photos through short-lived presigned GET links; the bucket stays private.

Physical name: BUCKET_PREFIX + '-uploads' (the convention of media/layout.py and
invoices/storage.py).  boto3 comes through platform.aws.client on first use; botocore's errors
become StorageUnavailable (503) here, at the boundary, and a missing object is None.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from chalicelib.platform.aws import client
from chalicelib.platform.config import settings
from chalicelib.platform.errors import ServiceUnavailable

BUCKET = "uploads"
MAX_PHOTO_BYTES = 10 * 1024 * 1024
FORM_SECONDS = 600  # the presigned POST
LINK_SECONDS = 900  # a GET link in the admin panel: long enough to look through a return
EXTENSIONS: dict[str, str] = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
SNIFF_BYTES = 12
_MISSING = {"404", "NoSuchKey", "NotFound"}
_KEY = re.compile(r"^tenants/(?P<tenant>[1-9][0-9]{0,18})/returns/(?P<user>[1-9][0-9]{0,18})/"
                  r"[0-9a-f]{32}\.(?P<ext>jpg|png|webp)$")


class StorageUnavailable(ServiceUnavailable):
    code = "service_unavailable"


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    content_type: str


def bucket_name() -> str:
    return f"{settings().bucket_prefix}-{BUCKET}"


def user_prefix(tenant_id: int, user_id: int) -> str:
    return f"tenants/{tenant_id}/returns/{user_id}/"


def new_key(tenant_id: int, user_id: int, content_type: str) -> str:
    return f"{user_prefix(tenant_id, user_id)}{uuid.uuid4().hex}.{EXTENSIONS[content_type]}"


def owned_by(key: str, tenant_id: int, user_id: int) -> bool:
    """The key is one `new_key` could have made for this user (nothing else under the prefix)."""
    match = _KEY.fullmatch(key)  # not .match: "$" also matches before a trailing newline
    return match is not None and int(match["tenant"]) == tenant_id and int(match["user"]) == user_id


def expected_type(key: str) -> str | None:
    match = _KEY.fullmatch(key)  # not .match: "$" also matches before a trailing newline
    if match is None:
        return None
    return next(ctype for ctype, ext in EXTENSIONS.items() if ext == match["ext"])


def sniff(head: bytes) -> str | None:
    """The image type the first bytes announce (JPEG, PNG, WebP), else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return ClientError, BotoCoreError


def _call(operation: str, **kwargs: Any) -> Any:
    try:
        return getattr(client("s3"), operation)(Bucket=bucket_name(), **kwargs)
    except _errors() as exc:
        response = getattr(exc, "response", None) or {}
        if str(response.get("Error", {}).get("Code")) in _MISSING:
            return None
        raise StorageUnavailable(details={"storage": operation}) from exc


def upload_form(key: str, content_type: str, size_bytes: int) -> dict[str, Any]:
    """A browser-style POST that can store exactly `key`, with exactly this type and size."""
    try:
        return dict(client("s3").generate_presigned_post(
            Bucket=bucket_name(), Key=key, Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", size_bytes, size_bytes]],
            ExpiresIn=FORM_SECONDS))
    except _errors() as exc:
        raise StorageUnavailable(details={"storage": "presign"}) from exc


def head(key: str) -> ObjectInfo | None:
    response = _call("head_object", Key=key)
    if response is None:
        return None
    return ObjectInfo(int(response.get("ContentLength") or 0),
                      str(response.get("ContentType") or "").split(";")[0].strip().lower())


def first_bytes(key: str) -> bytes | None:
    response = _call("get_object", Key=key, Range=f"bytes=0-{SNIFF_BYTES - 1}")
    if response is None:
        return None
    body = response["Body"]
    try:
        return bytes(body.read(SNIFF_BYTES))
    finally:
        body.close()


def view_url(key: str) -> str:
    """A presigned GET; signing is local (no call to S3)."""
    try:
        return str(client("s3").generate_presigned_url(
            "get_object", Params={"Bucket": bucket_name(), "Key": key}, ExpiresIn=LINK_SECONDS))
    except _errors() as exc:
        raise StorageUnavailable(details={"storage": "presign"}) from exc
