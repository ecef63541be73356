"""Settings from the environment, read once (never at import time of other modules).

The same code runs against real AWS, LocalStack or moto: only ``AWS_ENDPOINT_URL`` changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("ML_DATA_DIR") or PACKAGE_ROOT / "data")


@dataclass(frozen=True)
class Settings:
    service_token: str
    database_url: str
    redis_url: str
    aws_endpoint_url: str | None
    aws_region: str
    models_bucket: str
    events_queue_url: str | None
    data_dir: Path
    model_cache_size: int
    answer_cache_s: float
    alias_cache_s: float
    load_wait_s: float  # how long a request waits for a champion still loading (then: the older one / popularity)
    ws_interval_s: float
    train_mode: str  # "process" (default: training memory leaves with the child) | "thread"
    anomaly_alert_kinds: tuple[str, ...]
    min_lines: int
    min_customers: int


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


DEV_TOKEN = "dev-ml-token"  # make dev and the tests; the API's config has the same default


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Build the settings once per process; tests call ``get_settings.cache_clear()`` after changing env."""
    stage = _env("STAGE", "dev")
    token = _env("ML_SERVICE_TOKEN", DEV_TOKEN)
    if stage in {"prod", "production"} and token == DEV_TOKEN:  # as the API refuses its development secrets
        raise RuntimeError("ML_SERVICE_TOKEN must be set in production")
    return Settings(
        service_token=token,
        database_url=_env("DATABASE_URL", "mysql://root@127.0.0.1:3306/huglu"),
        redis_url=_env("REDIS_URL", "redis://127.0.0.1:6379/0"),
        aws_endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
        aws_region=_env("AWS_DEFAULT_REGION", "eu-central-1"),
        models_bucket=_env("ML_MODELS_BUCKET", f"huglu-{stage}-ml-models"),
        events_queue_url=os.environ.get("ML_EVENTS_QUEUE_URL") or None,
        data_dir=Path(_env("ML_DATA_DIR", str(DATA_DIR))),
        model_cache_size=int(_env("ML_MODEL_CACHE_SIZE", "6")),
        answer_cache_s=float(_env("ML_ANSWER_CACHE_S", "2")),
        alias_cache_s=float(_env("ML_ALIAS_CACHE_S", "10")),
        load_wait_s=float(_env("ML_LOAD_WAIT_S", "0.1")),
        ws_interval_s=float(_env("ML_WS_INTERVAL_S", "5")),
        train_mode=_env("ML_TRAIN_MODE", "process"),
        anomaly_alert_kinds=("order", "payment", "login"),
        min_lines=int(_env("ML_MIN_LINES", "50")),
        min_customers=int(_env("ML_MIN_CUSTOMERS", "20")),
    )
