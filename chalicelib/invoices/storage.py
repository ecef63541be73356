"""The invoices bucket: where a PDF lives, storing it, and short-lived download links.

Physical name: BUCKET_PREFIX + '-invoices', the convention media/layout.py uses for images and
infra/template.py for every bucket of infra/resources.py BUCKETS.  The bucket is private and
versioned: a re-render (same key) never loses the copy before it.

boto3 is reached through platform.aws.client (imported on first use, endpoint from
AWS_ENDPOINT_URL); botocore's errors become StorageUnavailable (503) here, at the boundary.
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform.aws import client
from chalicelib.platform.config import settings
from chalicelib.platform.errors import ServiceUnavailable

BUCKET = "invoices"
LINK_SECONDS = 300  # long enough to start a download, short enough that a forwarded link dies


class StorageUnavailable(ServiceUnavailable):
    code = "service_unavailable"


def bucket_name() -> str:
    return f"{settings().bucket_prefix}-{BUCKET}"


def pdf_key(tenant_id: int, year: int, number: str) -> str:
    return f"tenants/{tenant_id}/invoices/{year}/{number}.pdf"


def _errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return ClientError, BotoCoreError


def put_pdf(key: str, body: bytes, number: str) -> None:
    try:
        client("s3").put_object(Bucket=bucket_name(), Key=key, Body=body, ContentType="application/pdf",
                                ContentDisposition=_disposition(number), Metadata={"invoice-number": number})
    except _errors() as exc:
        raise StorageUnavailable(details={"storage": "put"}) from exc


def download_url(key: str, number: str, expires_seconds: int = LINK_SECONDS) -> str:
    """A presigned GET of the PDF; signing is local (no call to S3), so it cannot fail on S3's side."""
    params: dict[str, Any] = {"Bucket": bucket_name(), "Key": key, "ResponseContentType": "application/pdf",
                              "ResponseContentDisposition": _disposition(number)}
    try:
        return str(client("s3").generate_presigned_url("get_object", Params=params, ExpiresIn=expires_seconds))
    except _errors() as exc:
        raise StorageUnavailable(details={"storage": "presign"}) from exc


def _disposition(number: str) -> str:
    # Invoice numbers are [A-Z0-9] only, so the file name needs no quoting beyond the quotes.
    return f'attachment; filename="{number}.pdf"'
