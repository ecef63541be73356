"""Model registry in S3: immutable versions per tenant and kind, and a champion / challenger alias.

Layout (bucket ``huglu-<stage>-ml-models``)::

    tenants/<tenant>/<kind>/<version>/files/...     what ``model.save(dir)`` wrote
    tenants/<tenant>/<kind>/<version>/metrics.json  written last: a version without it is incomplete
    tenants/<tenant>/<kind>/aliases.json            {"champion", "challenger", "history": [older champions]}

Only the service's trainer writes this bucket, so the joblib files in it are trusted; nothing a client
sends is ever unpickled. Versions are immutable, so a loaded model is cached in-process per
(tenant, kind, version) in a small LRU (memory stays bounded) and on local disk.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from huglu_ml.config import get_settings

log = logging.getLogger("huglu_ml.registry")

KINDS = ("recommender", "purchase", "segments", "anomaly_order", "anomaly_payment", "anomaly_login")
VERSION_RE = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")
HISTORY_KEEP = 20

# Primary metric per kind when the model does not name one (``model.primary_metric``): (candidates, higher is better).
PRIMARY_METRICS: dict[str, tuple[tuple[str, ...], bool]] = {
    "recommender": (("ndcg@10", "ndcg_at_10", "ndcg10", "NDCG@10"), True),
    "purchase": (("roc_auc", "roc-auc", "auc"), True),
    "segments": (("silhouette",), True),
    "anomaly": (("precision_at_k", "precision@k", "separation"), True),
}


class RegistryError(Exception):
    """A registry request that cannot be honoured (unknown version, nothing to roll back to)."""

    def __init__(self, code: str, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _load_class(kind: str) -> Callable[[Path], Any]:
    """Import the model module only when a model of that kind is first needed (TensorFlow is heavy)."""
    if kind in LOADERS:
        return LOADERS[kind]
    if kind == "recommender":
        from huglu_ml.recommender import Recommender

        return Recommender.load
    if kind == "purchase":
        from huglu_ml.purchase import PurchaseModel

        return PurchaseModel.load
    if kind == "segments":
        from huglu_ml.segments import SegmentModel

        return SegmentModel.load
    if kind.startswith("anomaly_"):
        from huglu_ml.anomaly import AnomalyModel

        return AnomalyModel.load
    raise RegistryError("unknown_kind", f"unknown model kind {kind!r}", 400)


# Tests may register loaders for stand-in models here (kind -> loader).
LOADERS: dict[str, Callable[[Path], Any]] = {}


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise RegistryError("unknown_kind", f"unknown model kind {kind!r}; one of {', '.join(KINDS)}", 400)
    return kind


def primary_metric(kind: str, metrics: dict[str, Any], named: str | None = None) -> tuple[str, float] | None:
    base = "anomaly" if kind.startswith("anomaly") else kind
    candidates, _ = PRIMARY_METRICS.get(base, ((), True))
    for name in ((named,) if named else ()) + candidates:
        value = metrics.get(name) if name else None
        if isinstance(value, int | float):
            return name, float(value)
    return None


def new_version(now: datetime | None = None) -> str:
    return f"{(now or datetime.now(UTC)).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


@lru_cache(maxsize=1)
def s3_client() -> Any:
    s = get_settings()
    return boto3.client("s3", endpoint_url=s.aws_endpoint_url, region_name=s.aws_region)


class Registry:
    def __init__(self, s3: Any | None = None, bucket: str | None = None, cache_size: int | None = None) -> None:
        settings = get_settings()
        self.s3 = s3 or s3_client()
        self.bucket = bucket or settings.models_bucket
        self.cache_size = cache_size or settings.model_cache_size
        self.disk = Path(tempfile.gettempdir()) / "huglu-ml-models" / self.bucket
        self._models: OrderedDict[tuple[int, str, str], Any] = OrderedDict()
        self._aliases: dict[tuple[int, str], tuple[float, dict[str, Any]]] = {}
        self._refreshing: set[tuple[int, str]] = set()
        self._loading: dict[tuple[int, str, str], Future[Any]] = {}
        self._loader = ThreadPoolExecutor(max_workers=2, thread_name_prefix="model-load")
        self._lock = threading.RLock()

    # ------------------------------------------------------------------------------------ keys
    @staticmethod
    def prefix(tenant_id: int, kind: str) -> str:
        return f"tenants/{int(tenant_id)}/{check_kind(kind)}/"

    def _get_json(self, key: str) -> Any | None:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        return json.loads(body)

    def _put_json(self, key: str, doc: Any) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=json.dumps(doc, default=str).encode(),
                           ContentType="application/json")

    def ping(self) -> bool:
        try:
            self.s3.head_bucket(Bucket=self.bucket)
            return True
        except Exception:  # noqa: BLE001 - health reports any failure as false
            return False

    # ---------------------------------------------------------------------------------- writes
    def save(self, tenant_id: int, kind: str, model: Any, *, rows: int, extra: dict[str, Any] | None = None) -> dict:
        """Upload a trained model as a new immutable version; returns its metadata (metrics.json)."""
        version = new_version()
        base = self.prefix(tenant_id, kind) + version + "/"
        with tempfile.TemporaryDirectory(prefix="huglu-ml-save-") as tmp:
            model.save(Path(tmp))
            for path in sorted(Path(tmp).rglob("*")):
                if path.is_file():
                    self.s3.upload_file(str(path), self.bucket, base + "files/" + path.relative_to(tmp).as_posix())
        metrics = {k: float(v) if isinstance(v, int | float) else v for k, v in dict(model.metrics or {}).items()}
        meta = {
            "tenant_id": int(tenant_id),
            "kind": kind,
            "version": version,
            "trained_at": datetime.now(UTC).isoformat(),
            "metrics": metrics,
            "primary_metric": getattr(model, "primary_metric", None),
            "rows": int(rows),
            "fallback": bool(getattr(model, "fallback", False)),
            "extra": extra or {},
        }
        self._put_json(base + "metrics.json", meta)
        return meta

    def aliases(self, tenant_id: int, kind: str, *, fresh: bool = False) -> dict[str, Any]:
        """The alias document; a cached copy older than ML_ALIAS_CACHE_S is refreshed in the background
        (stale-while-revalidate), so a request never waits on S3 for it once the tenant has been seen."""
        cache_key = (int(tenant_id), kind)
        cached = self._aliases.get(cache_key)
        ttl = get_settings().alias_cache_s
        if cached and not fresh and ttl > 0:  # ML_ALIAS_CACHE_S=0: always read S3 (tests)
            if time.monotonic() - cached[0] >= ttl and cache_key not in self._refreshing:
                self._refreshing.add(cache_key)
                threading.Thread(target=self._refresh_aliases, args=cache_key, daemon=True).start()
            return cached[1]
        return self._fetch_aliases(*cache_key)

    def _fetch_aliases(self, tenant_id: int, kind: str) -> dict[str, Any]:
        doc = self._get_json(self.prefix(tenant_id, kind) + "aliases.json") or {
            "champion": None, "challenger": None, "history": []}
        self._aliases[(tenant_id, kind)] = (time.monotonic(), doc)
        return doc

    def _refresh_aliases(self, tenant_id: int, kind: str) -> None:
        try:
            self._fetch_aliases(tenant_id, kind)
        except Exception:  # noqa: BLE001 - keep serving the cached aliases; the next request retries
            pass
        finally:
            self._refreshing.discard((tenant_id, kind))

    def _write_aliases(self, tenant_id: int, kind: str, doc: dict[str, Any]) -> dict[str, Any]:
        doc["history"] = doc.get("history", [])[-HISTORY_KEEP:]
        doc["updated_at"] = datetime.now(UTC).isoformat()
        self._put_json(self.prefix(tenant_id, kind) + "aliases.json", doc)
        self._aliases[(int(tenant_id), kind)] = (time.monotonic(), doc)
        return doc

    def activate(self, tenant_id: int, kind: str, version: str) -> dict[str, Any]:
        """Make ``version`` the champion; the previous champion goes on the history stack."""
        self.metadata(tenant_id, kind, version)  # raises when unknown
        doc = dict(self.aliases(tenant_id, kind, fresh=True))
        if doc.get("champion") != version:
            if doc.get("champion"):
                doc["history"] = [*doc.get("history", []), doc["champion"]]
            doc["champion"] = version
        if doc.get("challenger") == version:
            doc["challenger"] = None
        return self._write_aliases(tenant_id, kind, doc)

    def rollback(self, tenant_id: int, kind: str) -> dict[str, Any]:
        """Bring back the previous champion; the demoted one becomes the challenger."""
        doc = dict(self.aliases(tenant_id, kind, fresh=True))
        history = list(doc.get("history", []))
        if not history:
            raise RegistryError("nothing_to_roll_back", f"{kind} has no previous champion", 409)
        demoted, doc["champion"], doc["history"] = doc.get("champion"), history[-1], history[:-1]
        doc["challenger"] = demoted
        return self._write_aliases(tenant_id, kind, doc)

    def promote(self, tenant_id: int, kind: str, meta: dict[str, Any], mode: str = "auto") -> dict[str, Any]:
        """Apply the alias rule to a freshly saved version.

        ``auto``: champion only if its primary metric is not worse than the champion's (or there is no
        comparable champion), otherwise challenger. ``always``: champion. ``never``: challenger.
        """
        doc = self.aliases(tenant_id, kind, fresh=True)
        if mode == "always" or (mode == "auto" and self._not_worse(tenant_id, kind, meta, doc.get("champion"))):
            return self.activate(tenant_id, kind, meta["version"])
        doc = dict(doc)
        doc["challenger"] = meta["version"]
        return self._write_aliases(tenant_id, kind, doc)

    def _not_worse(self, tenant_id: int, kind: str, meta: dict[str, Any], champion: str | None) -> bool:
        if not champion:
            return True
        try:
            current = self.metadata(tenant_id, kind, champion)
        except RegistryError:
            return True
        if current.get("fallback") and not meta.get("fallback"):
            return True  # a real model always beats the popularity stand-in
        new = primary_metric(kind, meta.get("metrics", {}), meta.get("primary_metric"))
        old = primary_metric(kind, current.get("metrics", {}), new[0] if new else None)
        if new is None or old is None or new[0] != old[0]:
            return True  # nothing comparable: the newest data wins
        higher = PRIMARY_METRICS.get("anomaly" if kind.startswith("anomaly") else kind, ((), True))[1]
        return new[1] >= old[1] if higher else new[1] <= old[1]

    # ----------------------------------------------------------------------------------- reads
    def metadata(self, tenant_id: int, kind: str, version: str) -> dict[str, Any]:
        if not VERSION_RE.match(version or ""):
            raise RegistryError("unknown_version", f"no {kind} version {version!r}")
        meta = self._get_json(self.prefix(tenant_id, kind) + version + "/metrics.json")
        if meta is None:
            raise RegistryError("unknown_version", f"no {kind} version {version!r}")
        return meta

    def versions(self, tenant_id: int, kind: str) -> list[dict[str, Any]]:
        """Complete versions, newest first."""
        prefix = self.prefix(tenant_id, kind)
        found: list[str] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix,
                                                                     Delimiter="/"):
            found += [p["Prefix"][len(prefix):-1] for p in page.get("CommonPrefixes", [])]
        out = []
        for version in sorted((v for v in found if VERSION_RE.match(v)), reverse=True):
            meta = self._get_json(prefix + version + "/metrics.json")
            if meta is not None:
                out.append(meta)
        return out

    def load(self, tenant_id: int, kind: str, version: str) -> Any:
        cache_key = (int(tenant_id), kind, version)
        with self._lock:
            if cache_key in self._models:
                self._models.move_to_end(cache_key)
                return self._models[cache_key]
        directory = self._download(tenant_id, kind, version)
        model = _load_class(kind)(directory)
        with self._lock:
            self._models[cache_key] = model
            while len(self._models) > self.cache_size:
                self._models.popitem(last=False)
        return model

    def champion(self, tenant_id: int, kind: str) -> tuple[str, Any] | None:
        """(version, model) of the tenant's champion, or None when the tenant has none."""
        version = self.aliases(tenant_id, kind).get("champion")
        if not version:
            return None
        return version, self.load(tenant_id, kind, version)

    def champion_soon(self, tenant_id: int, kind: str, wait_s: float) -> tuple[str, Any] | None:
        """The champion for a request that must stay fast: a version not in memory yet is loaded in
        the background (a full-size recommender takes ~1.5 s from S3), the request waits at most
        `wait_s` and meanwhile gets the newest version of the tenant's model already in memory, or
        None (the caller answers popularity).  A new champion never costs a request a timeout."""
        version = self.aliases(tenant_id, kind).get("champion")
        if not version:
            return None
        key = (int(tenant_id), kind, version)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return version, self._models[key]
            loading = self._loading.get(key)
            if loading is None:
                loading = self._loading[key] = self._loader.submit(self._load_in_background, key)
        try:
            return version, loading.result(timeout=wait_s)
        except FutureTimeout:
            with self._lock:
                older = [(v, m) for (t, k, v), m in self._models.items() if t == key[0] and k == kind]
            return older[-1] if older else None

    def _load_in_background(self, key: tuple[int, str, str]) -> Any:
        try:
            return self.load(*key)
        finally:
            with self._lock:
                self._loading.pop(key, None)

    def warm(self, kind: str, limit: int | None = None) -> int:
        """Load the champions of `kind` of up to `limit` tenants (service start-up, in a thread), so
        the first requests after a restart find them in memory."""
        loaded = 0
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix="tenants/", Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                tenant = common["Prefix"].split("/")[1]
                if loaded >= (limit or self.cache_size) or not tenant.isdigit():
                    return loaded
                try:
                    if self.champion(int(tenant), kind) is not None:
                        loaded += 1
                except Exception:  # noqa: BLE001 - a tenant's broken version must not stop the others
                    log.exception("could not warm the %s of tenant %s", kind, tenant)
        return loaded

    def _download(self, tenant_id: int, kind: str, version: str) -> Path:
        self.metadata(tenant_id, kind, version)
        target = self.disk / str(int(tenant_id)) / kind / version
        if (target / ".complete").exists():
            return target
        base = self.prefix(tenant_id, kind) + version + "/files/"
        staging = Path(tempfile.mkdtemp(prefix="huglu-ml-load-"))
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=base):
            for obj in page.get("Contents", []):
                rel = obj["Key"][len(base):]
                if not rel or ".." in rel.split("/"):
                    continue
                dest = staging / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                self.s3.download_file(self.bucket, obj["Key"], str(dest))
        (staging / ".complete").touch()
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            staging.rename(target)
        except OSError:  # another thread won the race
            shutil.rmtree(staging, ignore_errors=True)
        return target

    def clear_cache(self) -> None:
        with self._lock:
            self._models.clear()
            self._aliases.clear()


_registry: Registry | None = None


def get_registry() -> Registry:
    global _registry
    if _registry is None:
        _registry = Registry()
    return _registry


def reset_registry() -> None:
    global _registry
    _registry = None
    s3_client.cache_clear()
