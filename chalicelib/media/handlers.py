"""Event handlers of the media area: thumbnails for new originals in the images bucket.

`bucket` is the bucket's short name from infra/resources.py BUCKETS, like the queue names of
`@on_sqs_message` handlers: the deployed notification is declared by infra/template.py (SAM
S3 event on the ImagesBucket resource, prefix `tenants/`), never by `chalice deploy`, and the
local worker adds the stage prefix (infra/local/worker.py).  So no setting is read at import.
Chalice's S3Event holds only the first record; the handler reads them all from `to_dict()`.
"""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from . import thumbnails
from .layout import BUCKET

bp = Blueprint(__name__)


@bp.on_s3_event(bucket=BUCKET, events=["s3:ObjectCreated:*"], prefix="tenants/")
def generate_thumbnails(event: Any) -> dict[str, int]:
    return thumbnails.handle_event(event.to_dict())
