"""The backup bucket (BUCKET_PREFIX-backups): its layout, and the catalogue kept in it.

    database/<id>/status.json               kind, status, times, size, verification (rewritten as it moves)
    database/<id>/manifest.json             tables, columns, row counts, checksums, CREATE statements
    database/<id>/tables/<table>.jsonl.gz   the rows (codec.py), one file per table
    database/<id>/media.jsonl.gz            the media buckets' objects at backup time (media.py)
    media/<bucket>/<key>                    the mirror of the media buckets (the bucket is versioned)
    tenants/<tenant_id>/<id>/...            one tenant's exports, laid out as a database backup

The catalogue lives here and not in a table: a backup is needed most when the database is lost,
and then the list of backups must not be in it; nor may restoring an old backup rewrite the
catalogue of the newer ones.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chalicelib.platform.aws import client
from chalicelib.platform.config import settings

BUCKET = "backups"


def bucket() -> str:
    return f"{settings().bucket_prefix}-{BUCKET}"


def prefix_of(backup_id: int, tenant_id: int | None = None) -> str:
    return f"tenants/{tenant_id}/{backup_id}" if tenant_id is not None else f"database/{backup_id}"


def put_json(key: str, value: Any) -> None:
    body = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode()
    client("s3").put_object(Bucket=bucket(), Key=key, Body=body, ContentType="application/json")


def get_json(key: str) -> Any | None:
    s3 = client("s3")
    try:
        body = s3.get_object(Bucket=bucket(), Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return json.loads(body)


def upload(path: str, key: str) -> None:
    client("s3").upload_file(path, bucket(), key)  # multipart beyond 8 MB: any table size


def download(key: str, path: str) -> None:
    client("s3").download_file(bucket(), key, path)


def delete_prefix(prefix: str) -> int:
    """Every object (and, the bucket being versioned, every version) under the prefix."""
    s3, deleted = client("s3"), 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket(), Prefix=f"{prefix}/"):
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                  for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        for start in range(0, len(doomed), 1000):
            s3.delete_objects(Bucket=bucket(), Delete={"Objects": doomed[start:start + 1000], "Quiet": True})
        deleted += len(doomed)
    return deleted


def child_prefixes(prefix: str) -> list[str]:
    s3, found = client("s3"), []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket(), Prefix=f"{prefix}/", Delimiter="/"):
        found += [p["Prefix"].rstrip("/") for p in page.get("CommonPrefixes", [])]
    return found


def statuses(prefixes: list[str]) -> list[dict[str, Any]]:
    """The status.json of each prefix (read in parallel: a list page reads a few dozen)."""
    if not prefixes:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(prefixes))) as pool:
        found = list(pool.map(lambda p: get_json(f"{p}/status.json"), prefixes))
    return [s for s in found if s is not None]


def database_statuses() -> list[dict[str, Any]]:
    return statuses(child_prefixes("database"))


def tenant_statuses(tenant_id: int | None = None) -> list[dict[str, Any]]:
    tenants = [f"tenants/{tenant_id}"] if tenant_id is not None else child_prefixes("tenants")
    return statuses([p for t in tenants for p in child_prefixes(t)])
