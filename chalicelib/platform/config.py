"""All settings, read from the environment in one place, with working local defaults.

Read lazily through `settings()` (cached) so importing a module never touches os.environ;
tests call `reset_settings()` after changing the environment.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qs, unquote, urlparse

DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789abcdef"
DEV_API_KEY_PEPPER = "dev-only-api-key-pepper"
# 32 zero-ish bytes, base64: development and tests only (production refuses them).
DEV_DATA_KEYS = "dev1:ZGV2LW9ubHktZGF0YS1rZXktMzItYnl0ZXMtbG9uZyE="
DEV_DATA_HASH_KEY = "ZGV2LW9ubHktbG9va3VwLWhhc2gta2V5LTMyLWJ5dGVzIQ=="
DEV_IYZICO_API_KEY = "sandbox-dev-api-key"
DEV_IYZICO_SECRET_KEY = "sandbox-dev-secret-key"
# The same default as ml_container/huglu_ml/config.py; production refuses it on first use
# (chalicelib/ml/client.py), as the iyzico keys.
DEV_ML_SERVICE_TOKEN = "dev-ml-token"
# Stages that talk to the local iyzico sandbox by default (make dev, the tests).
_LOCAL_STAGES = {"local", "test"}
_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass(frozen=True)
class DbTarget:
    host: str
    port: int
    user: str
    password: str
    database: str
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, url: str) -> DbTarget:
        """mysql://user:pass@host:port/db?connect_timeout=5 (also mysql+pymysql://)."""
        parts = urlparse(url)
        if not parts.scheme.startswith("mysql"):
            raise ValueError(f"unsupported database URL scheme: {parts.scheme}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
            user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""),
            database=(parts.path or "/").lstrip("/"),
            params=query,
        )


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    stage: str
    database_url: str
    database_read_url: str | None
    redis_url: str
    aws_endpoint_url: str | None
    aws_region: str
    jwt_secret: str
    jwt_issuer: str
    access_token_seconds: int
    refresh_token_seconds: int
    api_key_pepper: str
    rate_limit_default: int
    rate_limit_window_seconds: int
    rate_limit_ip_multiplier: int
    tenant_cache_seconds: int
    compress_min_bytes: int
    default_language: str
    queue_prefix: str
    bucket_prefix: str
    log_level: str
    bcrypt_rounds: int
    data_keys: str
    data_key_id: str
    data_hash_key: str
    maps_base_url: str
    maps_api_key: str
    mail_from: str
    sms_sender_id: str
    # iyzico (adapters/iyzico.py).  Local/test stages default to the local sandbox
    # (infra/local/fakes/iyzico.py) and its CA; elsewhere to iyzico's sandbox and the system trust store.
    # Production refuses the development key and secret when the adapter first reads them
    # (adapters/iyzico.credentials()), so a deployment without payments still starts.
    iyzico_api_key: str = DEV_IYZICO_API_KEY
    iyzico_secret_key: str = DEV_IYZICO_SECRET_KEY
    iyzico_base_url: str = "https://sandbox-api.iyzipay.com"
    iyzico_ca_file: str | None = None
    iyzico_timeout_seconds: float = 10.0
    # Our API's public address (https://api.example.com), where a bank sends the customer's browser
    # back after 3-D Secure; unset, the request's Host is used with https (payments/card_routes.py).
    public_api_url: str | None = None
    # Live users (chalicelib/live): how long a presence lives without a heartbeat (the app beats
    # every 30 s), and where pushes to the admin panel's WebSockets go: the API Gateway
    # WebSocket API's management endpoint (https://{api-id}.execute-api.{region}.amazonaws.com/{stage})
    # in AWS; unset, the local WebSocket server of `make dev` (infra/local/ws_server.py).
    live_presence_ttl_seconds: int = 90
    ws_endpoint_url: str | None = None
    ws_local_url: str = "http://127.0.0.1:8002"
    # The ML service (ml_container/, chalicelib/ml): its base URL, the shared token it requires
    # (X-Service-Token) and how long the API waits for an answer before falling back to popularity.
    ml_service_url: str = "http://127.0.0.1:8010"
    ml_service_token: str = DEV_ML_SERVICE_TOKEN
    ml_timeout_ms: int = 300

    @property
    def is_production(self) -> bool:
        return self.stage in {"prod", "production"}


def _load() -> Settings:
    env = os.environ.get
    stage = env("STAGE", "local")
    settings = Settings(
        stage=stage,
        database_url=env("DATABASE_URL", "mysql://root@127.0.0.1:3306/huglu"),
        database_read_url=env("DATABASE_READ_URL") or None,
        redis_url=env("REDIS_URL", "redis://127.0.0.1:6379/0"),
        aws_endpoint_url=env("AWS_ENDPOINT_URL") or None,
        aws_region=env("AWS_REGION", env("AWS_DEFAULT_REGION", "eu-central-1")),
        jwt_secret=env("JWT_SECRET", DEV_JWT_SECRET),
        jwt_issuer=env("JWT_ISSUER", "huglu-commerce"),
        access_token_seconds=_int("ACCESS_TOKEN_SECONDS", 900),
        refresh_token_seconds=_int("REFRESH_TOKEN_SECONDS", 30 * 24 * 3600),
        api_key_pepper=env("API_KEY_PEPPER", DEV_API_KEY_PEPPER),
        rate_limit_default=_int("RATE_LIMIT_DEFAULT", 100),
        rate_limit_window_seconds=_int("RATE_LIMIT_WINDOW_SECONDS", 900),
        rate_limit_ip_multiplier=_int("RATE_LIMIT_IP_MULTIPLIER", 20),
        tenant_cache_seconds=_int("TENANT_CACHE_SECONDS", 10),
        compress_min_bytes=_int("COMPRESS_MIN_BYTES", 1024),
        default_language=env("DEFAULT_LANGUAGE", "tr"),
        queue_prefix=env("QUEUE_PREFIX", f"huglu-{stage}"),
        bucket_prefix=env("BUCKET_PREFIX", f"huglu-{stage}"),
        log_level=env("LOG_LEVEL", "INFO"),
        bcrypt_rounds=_int("BCRYPT_ROUNDS", 12),
        data_keys=env("DATA_KEYS", DEV_DATA_KEYS),
        data_key_id=env("DATA_KEY_ID", "dev1"),
        data_hash_key=env("DATA_HASH_KEY", DEV_DATA_HASH_KEY),
        maps_base_url=env("MAPS_BASE_URL", "http://127.0.0.1:8765"),
        maps_api_key=env("MAPS_API_KEY", "dev-key"),
        mail_from=env("MAIL_FROM", "no-reply@huglu.local"),
        sms_sender_id=env("SMS_SENDER_ID", "HUGLU"),
        iyzico_api_key=env("IYZICO_API_KEY", DEV_IYZICO_API_KEY),
        iyzico_secret_key=env("IYZICO_SECRET_KEY", DEV_IYZICO_SECRET_KEY),
        iyzico_base_url=env("IYZICO_BASE_URL")
        or ("https://127.0.0.1:8767" if stage in _LOCAL_STAGES else "https://sandbox-api.iyzipay.com"),
        iyzico_ca_file=env("IYZICO_CA_FILE")
        or (os.path.join(_REPO_ROOT, ".local", "tls", "ca.pem") if stage in _LOCAL_STAGES else None),
        iyzico_timeout_seconds=float(env("IYZICO_TIMEOUT_SECONDS") or 10),
        public_api_url=(env("PUBLIC_API_URL") or "").rstrip("/") or None,
        live_presence_ttl_seconds=_int("LIVE_PRESENCE_TTL_SECONDS", 90),
        ws_endpoint_url=(env("WS_ENDPOINT_URL") or "").rstrip("/") or None,
        ws_local_url=(env("WS_LOCAL_URL") or "http://127.0.0.1:8002").rstrip("/"),
        ml_service_url=(env("ML_SERVICE_URL") or "http://127.0.0.1:8010").rstrip("/"),
        ml_service_token=env("ML_SERVICE_TOKEN") or DEV_ML_SERVICE_TOKEN,
        ml_timeout_ms=_int("ML_TIMEOUT_MS", 300),
    )
    if settings.is_production and settings.bcrypt_rounds < 12:
        raise RuntimeError("BCRYPT_ROUNDS below 12 is for tests only")
    if settings.is_production and (
        settings.jwt_secret == DEV_JWT_SECRET
        or settings.api_key_pepper == DEV_API_KEY_PEPPER
        or settings.data_keys == DEV_DATA_KEYS
        or settings.data_hash_key == DEV_DATA_HASH_KEY
        or settings.maps_api_key == "dev-key"
    ):
        # Refuse to run production with the development secrets baked into this file.
        raise RuntimeError("JWT_SECRET, API_KEY_PEPPER, DATA_KEYS, DATA_HASH_KEY and MAPS_API_KEY must be set in production")
    return settings


@lru_cache(maxsize=1)
def settings() -> Settings:
    return _load()


def reset_settings() -> None:
    settings.cache_clear()
