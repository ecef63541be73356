"""`make dev`: the whole local stack in one command.

MariaDB / Redis checked (infra/local/services.sh starts them), database created and migrated,
demo tenant seeded, an AWS emulator started (moto server, unless AWS_ENDPOINT_URL points at one
such as LocalStack), queues and buckets created on it, the API served by `chalice local` on
http://127.0.0.1:8000 and the local worker polling queues / firing schedules.  Ctrl-C stops all.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pymysql

from chalicelib.platform.config import DbTarget, reset_settings, settings

ROOT = Path(__file__).resolve().parents[2]
API_PORT = int(os.environ.get("API_PORT", "8000"))
MOTO_PORT = int(os.environ.get("MOTO_PORT", "5000"))
IYZICO_PORT = int(os.environ.get("IYZICO_PORT", "8767"))
# The local WebSocket endpoint (infra/local/ws_server.py) and its management API, where the
# live area's LocalSender posts (WS_LOCAL_URL).
WS_PORT = int(os.environ.get("WS_PORT", "8001"))
WS_API_PORT = int(os.environ.get("WS_API_PORT", "8002"))
# The ML service (ml_container/, its own virtualenv .venv-ml: TensorFlow never enters the API's).
ML_PORT = int(os.environ.get("ML_PORT", "8010"))


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait_port(port: int, name: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _port_open(port):
            return
        time.sleep(0.2)
    raise SystemExit(f"dev: {name} did not start on port {port}")


def ensure_database() -> None:
    target = DbTarget.parse(settings().database_url)
    conn = pymysql.connect(host=target.host, port=target.port, user=target.user, password=target.password)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS `{target.database}` "
                    "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.close()
    from infra.migrations.runner import upgrade_to_head

    upgrade_to_head(settings().database_url)
    print(f"dev: database {target.database} migrated")


def start_emulator(children: list[subprocess.Popen]) -> None:
    if os.environ.get("AWS_ENDPOINT_URL"):
        print(f"dev: using the AWS endpoint {os.environ['AWS_ENDPOINT_URL']}")
        return
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{MOTO_PORT}"
    if not _port_open(MOTO_PORT):
        children.append(subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(MOTO_PORT)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait_port(MOTO_PORT, "moto server")
    reset_settings()
    print(f"dev: moto server on {os.environ['AWS_ENDPOINT_URL']}")


def ensure_aws_resources() -> None:
    from infra.local.aws_resources import create_local_resources

    print(f"dev: AWS resources ready: {', '.join(create_local_resources())}")


def start_iyzico_sandbox(children: list[subprocess.Popen]) -> str | None:
    """The local iyzico sandbox on :8767 (HTTPS, local CA), posting its webhooks to our API for
    the demo tenant; skipped when IYZICO_BASE_URL points at a real iyzico.  Sets IYZICO_BASE_URL
    and IYZICO_CA_FILE for the API and worker started after it."""
    if os.environ.get("IYZICO_BASE_URL"):
        print(f"dev: using iyzico at {os.environ['IYZICO_BASE_URL']}")
        return None
    from infra.local.fakes.local_ca import ensure_ca
    from infra.local.seed_demo import SLUG

    ca = ensure_ca()
    children.append(subprocess.Popen([
        sys.executable, "-m", "infra.local.fakes.iyzico", "--port", str(IYZICO_PORT),
        "--webhook-url", f"http://127.0.0.1:{API_PORT}/api/payment/webhooks/iyzico/{SLUG}"], cwd=ROOT))
    _wait_port(IYZICO_PORT, "iyzico sandbox")
    base_url = f"https://127.0.0.1:{IYZICO_PORT}"
    os.environ["IYZICO_BASE_URL"] = base_url
    # The bank page sends the browser back to the local API, which speaks plain HTTP.
    os.environ.setdefault("PUBLIC_API_URL", f"http://127.0.0.1:{API_PORT}")
    os.environ["IYZICO_CA_FILE"] = str(ca.ca_cert)
    reset_settings()
    print(f"dev: iyzico sandbox on {base_url} (CA {os.environ['IYZICO_CA_FILE']})")
    return base_url


def start_ml_service(children: list[subprocess.Popen], tenant_id: int) -> bool:
    """The ML service on :8010 from .venv-ml (skipped when ML_SERVICE_URL points at one), consuming
    the events queue, then a first training of the demo tenant in the background (a tenant with too
    few customers gets its popularity fallback, marked as such)."""
    if os.environ.get("ML_SERVICE_URL"):
        print(f"dev: using the ML service at {os.environ['ML_SERVICE_URL']}")
        return False
    ml_python = os.environ.get("ML_PYTHON") or str(ROOT / ".venv-ml" / "bin" / "python")
    if not Path(ml_python).exists():
        raise SystemExit(f"dev: {ml_python} is missing: run `make dev` (it builds .venv-ml) or set ML_PYTHON")
    from chalicelib.platform.queue import queue_url

    env = {**os.environ, "DATABASE_URL": settings().database_url, "REDIS_URL": settings().redis_url,
           "ML_SERVICE_TOKEN": settings().ml_service_token, "ML_EVENTS_QUEUE_URL": queue_url("events"),
           "ML_MODELS_BUCKET": f"{settings().bucket_prefix}-ml-models"}
    children.append(subprocess.Popen([ml_python, "-m", "uvicorn", "huglu_ml.main:app", "--host", "127.0.0.1",
                                      "--port", str(ML_PORT), "--log-level", "warning"], cwd=ROOT / "ml_container",
                                     env=env))
    _wait_port(ML_PORT, "the ML service", seconds=90)
    os.environ["ML_SERVICE_URL"] = f"http://127.0.0.1:{ML_PORT}"
    reset_settings()
    subprocess.Popen([ml_python, "-m", "huglu_ml.trainer", "--tenant", str(tenant_id)], cwd=ROOT / "ml_container",
                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"dev: ML service on {os.environ['ML_SERVICE_URL']} (training the demo tenant in the background)")
    return True


def print_payments_help(base_url: str) -> None:
    ca = os.environ["IYZICO_CA_FILE"]
    print(f"iyzico sandbox      : {base_url}  (trust: --cacert {ca})")
    print("  test cards        : 5528790000000008 / 5890040000000016 pay; 4111111111111129 no funds;")
    print("                      4129111111111111 do not honour; 4124111111111116 bad CVC; 4121111111111119 fraud;")
    print("                      4131111111111117 3DS mdStatus 0; 4151111111111112 3DS init fails;")
    print("                      5406670000000009 pays but cannot be refunded (any future expiry, CVC 123)")
    print("  installments      : GET /api/payment/installments?bin=552879&amount=1249.90 (signed in)")
    print(f"  3-D Secure        : curl --cacert {ca} -X POST {base_url}/_fake/3ds/<paymentId>/complete")
    print(f"  checkout form     : open the paymentPageUrl, or POST {base_url}/_fake/checkoutform/<token>/pay")
    print(f"  inspect / faults  : GET {base_url}/_fake/requests · /_fake/webhooks · POST /_fake/fail "
          "{\"path\",\"mode\":\"status_500\"}")


def main() -> int:
    os.chdir(ROOT)
    os.environ.setdefault("STAGE", "local")
    os.environ.setdefault("WS_LOCAL_URL", f"http://127.0.0.1:{WS_API_PORT}")  # for chalice local and the worker
    children: list[subprocess.Popen] = []
    try:
        ensure_database()
        start_emulator(children)
        ensure_aws_resources()
        if not os.environ.get("MAPS_BASE_URL"):  # real Google when set; the local fake otherwise
            children.append(subprocess.Popen([sys.executable, "-m", "infra.local.fakes.google_geocoding",
                                              "--port", "8765"], cwd=ROOT))
            _wait_port(8765, "fake Google geocoder")
        from infra.local.seed_demo import CREDENTIALS, seed

        credentials = seed()
        if not os.environ.get("CARRIER_BASE_URL"):  # a real carrier integration when set; the local fake otherwise
            # The fake posts signed tracking webhooks to our API, with the demo tenant's key as the
            # header a real carrier subscription would be registered with.
            children.append(subprocess.Popen([
                sys.executable, "-m", "infra.local.fakes.carrier", "--port", "8766",
                "--webhook-url", f"http://127.0.0.1:{API_PORT}/api/shipping/webhooks/{{carrier}}",
                "--webhook-header", f"X-API-Key={credentials['api_key']}"], cwd=ROOT))
            _wait_port(8766, "fake carrier")
        if not os.environ.get("EXPO_PUSH_URL"):  # Expo's push API when set; the local fake otherwise (issue 13)
            children.append(subprocess.Popen([sys.executable, "-m", "infra.local.fakes.expo_push", "--port", "8768"],
                                             cwd=ROOT))
            _wait_port(8768, "fake Expo push service")
        if not os.environ.get("NETGSM_URL"):  # the Netgsm fake answers when SMS_PROVIDER=netgsm
            children.append(subprocess.Popen([sys.executable, "-m", "infra.local.fakes.sms_gateway", "--port", "8769"],
                                             cwd=ROOT))
            _wait_port(8769, "fake Netgsm SMS gateway")
        sandbox = start_iyzico_sandbox(children)
        ml_started = start_ml_service(children, int(credentials["tenant_id"]))
        chalice = str(Path(sys.executable).with_name("chalice"))  # the venv's console script
        children.append(subprocess.Popen([chalice, "local", "--no-autoreload", "--host", "127.0.0.1",
                                          "--port", str(API_PORT), "--stage", "dev"], cwd=ROOT))
        children.append(subprocess.Popen([sys.executable, "-m", "infra.local.worker"], cwd=ROOT))
        if not os.environ.get("WS_ENDPOINT_URL"):  # the admin panel's WebSocket API, played locally
            children.append(subprocess.Popen([sys.executable, "-m", "infra.local.ws_server", "--port", str(WS_PORT),
                                              "--api-port", str(WS_API_PORT)], cwd=ROOT))
            # Its plain-HTTP management port: a bare connect to the WebSocket port would log a
            # failed handshake with a traceback.
            _wait_port(WS_API_PORT, "the local WebSocket server")
        _wait_port(API_PORT, "the API")
        print("\n" + "=" * 72)
        print(f"Huğlu Commerce API on http://127.0.0.1:{API_PORT}   (OpenAPI: /api/openapi.json)")
        print(f"demo tenant API key : {credentials['api_key']}")
        print(f"admin login         : {credentials['admin']['email']} / {credentials['admin']['password']}")
        print(f"customer login      : {credentials['customer']['email']} / {credentials['customer']['password']}")
        print(f"catalogue           : {json.dumps(credentials['catalog'], default=str, ensure_ascii=False)}")
        print(f"written to          : {CREDENTIALS}")
        print(f"try: curl -H 'X-API-Key: {credentials['api_key']}' http://127.0.0.1:{API_PORT}/api/products")
        if not os.environ.get("CARRIER_BASE_URL"):
            print("fake carrier        : curl -X POST http://127.0.0.1:8766/_fake/shipments/<tracking>/advance")
        if not os.environ.get("WS_ENDPOINT_URL"):
            print(f"live users (staff)  : ws://127.0.0.1:{WS_PORT}/?key=<api key>&token=<staff access token>")
        if ml_started:
            print(f"ML service          : http://127.0.0.1:{ML_PORT}/health  (make ml-eval: the models vs baselines)")
        if sandbox:
            print_payments_help(sandbox)
        print("=" * 72 + "\n", flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(1)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    sys.exit(main())
