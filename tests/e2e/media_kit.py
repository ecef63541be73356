"""Shared by the media and lookup tests: the app under test, and S3 helpers.

The tests run against app.py through conftest's `client`.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

import requests

from tests.conftest import Api, TenantInfo, login, make_user


def staff_api(client: Any, tenant: TenantInfo, role: str) -> Api:
    _, email, password = make_user(tenant, roles=[role])
    api = Api(client, tenant.api_key)
    api.token = login(api, email, password)["access_token"]
    return api


def post_form(upload: dict[str, Any], data: bytes, content_type: str | None = None) -> requests.Response:
    """What the admin panel does with the presigned form: its fields, then the file, to S3."""
    fields = dict(upload["fields"])
    files = {"file": ("photo", data, content_type or fields.get("Content-Type", "application/octet-stream"))}
    return requests.post(upload["url"], data=fields, files=files, timeout=10)


def s3_event(bucket: str, *keys: str, event_name: str = "ObjectCreated:Post") -> dict[str, Any]:
    """An S3 event notification as S3 sends it to Lambda (keys URL-encoded, one record each)."""
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-central-1",
        "eventTime": "2025-01-01T00:00:00.000Z", "eventName": event_name,
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "thumbnails",
               "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
               "object": {"key": quote_plus(key), "size": 1, "eTag": "0"}},
    } for key in keys]}


def s3() -> Any:
    from chalicelib.platform.aws import client as aws_client

    return aws_client("s3")


def bucket() -> str:
    from chalicelib.media.layout import bucket_name

    return bucket_name()


def object_bytes(key: str) -> bytes | None:
    try:
        return bytes(s3().get_object(Bucket=bucket(), Key=key)["Body"].read())
    except s3().exceptions.NoSuchKey:
        return None


def object_meta(key: str) -> dict[str, Any]:
    return dict(s3().head_object(Bucket=bucket(), Key=key))
