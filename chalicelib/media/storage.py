"""The images bucket through boto3: presigned POSTs, HEAD, reads, writes and deletes.

boto3 is reached through `platform.aws.client` (imported on first use, endpoint from
AWS_ENDPOINT_URL).  botocore's errors are translated here, at the boundary: a missing object
is None, anything else is `StorageUnavailable` (503), raised `from` the original.

A missing key answers 404 only to a caller allowed to list the bucket (403 otherwise), which
is why the functions using this module also get s3:ListBucket (infra/template.py).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.platform.aws import client
from chalicelib.platform.errors import ServiceUnavailable

from .layout import bucket_name

_MISSING = {"404", "NoSuchKey", "NotFound"}
CACHE_FOREVER = "public, max-age=31536000, immutable"  # keys are never reused


class StorageUnavailable(ServiceUnavailable):
    code = "service_unavailable"


class ObjectTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"object of {size} bytes")
        self.size = size


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    content_type: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredObject(ObjectInfo):
    body: bytes = b""


def _errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return ClientError, BotoCoreError


def _is_missing(exc: BaseException) -> bool:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code")) in _MISSING


def _call(operation: str, **kwargs: Any) -> Any:
    """One S3 call; None when the object does not exist."""
    try:
        return getattr(client("s3"), operation)(Bucket=bucket_name(), **kwargs)
    except _errors() as exc:
        if _is_missing(exc):
            return None
        raise StorageUnavailable(details={"storage": operation}) from exc


def presigned_post(key: str, content_type: str, size_bytes: int, expires_seconds: int) -> dict[str, Any]:
    """A browser-style POST that can store exactly `key`, with exactly this type and size."""
    try:
        return dict(client("s3").generate_presigned_post(
            Bucket=bucket_name(),
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", size_bytes, size_bytes]],
            ExpiresIn=expires_seconds,
        ))
    except _errors() as exc:
        raise StorageUnavailable(details={"storage": "presign"}) from exc


def _info(response: dict[str, Any]) -> ObjectInfo:
    return ObjectInfo(
        size=int(response.get("ContentLength") or 0),
        content_type=str(response.get("ContentType") or ""),
        metadata={str(k).lower(): str(v) for k, v in (response.get("Metadata") or {}).items()},
    )


def head(key: str) -> ObjectInfo | None:
    response = _call("head_object", Key=key)
    return None if response is None else _info(response)


def read_prefix(key: str, length: int) -> bytes | None:
    """The first `length` bytes of an object (a ranged GET)."""
    response = _call("get_object", Key=key, Range=f"bytes=0-{length - 1}")
    if response is None:
        return None
    return bytes(response["Body"].read(length))


def get(key: str, max_bytes: int) -> StoredObject | None:
    """The whole object; `ObjectTooLarge` before reading a body over `max_bytes`."""
    response = _call("get_object", Key=key)
    if response is None:
        return None
    info = _info(response)
    body = response["Body"]
    try:
        if info.size > max_bytes:
            raise ObjectTooLarge(info.size)
        data = body.read(max_bytes + 1)
    except _errors() as exc:
        raise StorageUnavailable(details={"storage": "read"}) from exc
    finally:
        body.close()
    if len(data) > max_bytes:
        raise ObjectTooLarge(len(data))
    return StoredObject(info.size, info.content_type, info.metadata, data)


def put(key: str, body: bytes, content_type: str, metadata: dict[str, str] | None = None) -> None:
    _call("put_object", Key=key, Body=body, ContentType=content_type, CacheControl=CACHE_FOREVER,
          Metadata=metadata or {})


def delete(keys: Iterable[str]) -> None:
    """Delete objects (missing ones are fine: S3 reports them deleted)."""
    objects = [{"Key": key} for key in dict.fromkeys(keys)]
    for start in range(0, len(objects), 1000):
        response = _call("delete_objects", Delete={"Objects": objects[start:start + 1000], "Quiet": True})
        errors = (response or {}).get("Errors") or []
        if errors:
            raise StorageUnavailable(details={"storage": "delete", "failed": len(errors)})
