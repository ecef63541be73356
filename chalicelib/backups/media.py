"""The media buckets (product images, customers' uploads) in the backup: an incremental mirror plus a
manifest of object versions per backup.

Each backup copies into media/<bucket>/<key> of the (versioned) backup bucket only the objects that
are new or changed since the mirror last saw them (same key, different ETag or size), server side,
so the bytes never pass through the function.  Then it writes media.jsonl.gz: every object the
media buckets held, with the mirror's version id of its copy.  Restoring a backup's media copies
exactly those versions back, whatever was overwritten or deleted since.  The mirror never deletes:
an object deleted from a media bucket stays in the mirror for the older backups that list it.
"""
from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from typing import Any

from chalicelib.platform.aws import client
from chalicelib.platform.config import settings

from . import store
from .progress import Progress, Silent

BUCKETS = ("images", "uploads")


def _source(name: str) -> str:
    return f"{settings().bucket_prefix}-{name}"


def _objects(bucket: str, prefix: str = "") -> Iterator[dict[str, Any]]:
    for page in client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def _mirror_versions(name: str) -> dict[str, dict[str, Any]]:
    """key (in the media bucket) → the mirror's latest version of it."""
    found: dict[str, dict[str, Any]] = {}
    mirror = f"media/{name}/"
    for page in client("s3").get_paginator("list_object_versions").paginate(Bucket=store.bucket(), Prefix=mirror):
        for version in page.get("Versions", []):
            if version.get("IsLatest"):
                found[version["Key"][len(mirror):]] = version
    return found


def backup_media(prefix: str, progress: Progress | None = None) -> dict[str, Any]:
    """Mirror the media buckets and write `prefix`/media.jsonl.gz; returns counts for the manifest."""
    progress = progress or Silent()
    s3, lines, copied, total_bytes = client("s3"), [], 0, 0
    for name in BUCKETS:
        mirrored = _mirror_versions(name)
        objects = list(_objects(_source(name)))
        progress.begin(f"media {name}", len(objects))
        for obj in objects:
            have = mirrored.get(obj["Key"])
            if have is None or have["ETag"] != obj["ETag"] or have["Size"] != obj["Size"]:
                answer = s3.copy_object(Bucket=store.bucket(), Key=f"media/{name}/{obj['Key']}",
                                        CopySource={"Bucket": _source(name), "Key": obj["Key"]})
                version = answer.get("VersionId")
                copied += 1
            else:
                version = have["VersionId"]
            lines.append({"bucket": name, "key": obj["Key"], "etag": obj["ETag"], "size": obj["Size"],
                          "version_id": version})
            total_bytes += obj["Size"]
            progress.advance(note=obj["Key"])
        progress.end()
    body = gzip.compress("".join(json.dumps(line, sort_keys=True) + "\n" for line in lines).encode(), mtime=0)
    s3.put_object(Bucket=store.bucket(), Key=f"{prefix}/media.jsonl.gz", Body=body)
    return {"objects": len(lines), "copied": copied, "bytes": total_bytes,
            "manifest_sha256": hashlib.sha256(body).hexdigest()}


def restore_media(prefix: str, progress: Progress | None = None) -> int:
    """Copy back into the media buckets every object version the backup lists; returns the count."""
    progress = progress or Silent()
    s3 = client("s3")
    body = s3.get_object(Bucket=store.bucket(), Key=f"{prefix}/media.jsonl.gz")["Body"].read()
    entries = [json.loads(line) for line in gzip.decompress(body).splitlines() if line]
    progress.begin("media restore", len(entries))
    for entry in entries:
        source = {"Bucket": store.bucket(), "Key": f"media/{entry['bucket']}/{entry['key']}"}
        if entry.get("version_id") and entry["version_id"] != "null":
            source["VersionId"] = entry["version_id"]
        s3.copy_object(Bucket=_source(entry["bucket"]), Key=entry["key"], CopySource=source)
        progress.advance(note=entry["key"])
    progress.end()
    return len(entries)
