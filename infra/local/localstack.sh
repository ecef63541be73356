#!/usr/bin/env bash
# LocalStack's community runtime on this machine, without Docker, in its own Python 3.13
# virtualenv (requirements-localstack.txt says why each pin).
#
#   infra/local/localstack.sh run -- CMD...   start LocalStack, wait for its health endpoint,
#                                              run CMD with AWS_ENDPOINT_URL pointing at it,
#                                              stop LocalStack (always), exit with CMD's status
#   infra/local/localstack.sh serve           start it in the foreground (for `make dev` by hand)
#
# Lambda does not run in LocalStack without Docker: the code under test (or infra/local/worker.py)
# calls the handlers itself; LocalStack is only S3, SQS, SNS, SES and STS here.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="$ROOT/.venv-localstack"
PY313="${PY313:-$(command -v python3.13 || echo /root/.pyenv/versions/3.13.0/bin/python3.13)}"
PORT="${LOCALSTACK_PORT:-4566}"
STAMP="$VENV/.installed"
STATE="${LOCALSTACK_STATE:-$ROOT/.local/localstack}"

install() {
  if [ ! -x "$VENV/bin/python" ]; then
    [ -x "$PY313" ] || { echo "localstack: Python 3.13 not found (set PY313=/path/to/python3.13)" >&2; exit 2; }
    "$PY313" -m venv "$VENV"
  fi
  if [ ! -f "$STAMP" ] || [ "$ROOT/requirements-localstack.txt" -nt "$STAMP" ]; then
    "$VENV/bin/python" -m pip install -q -r "$ROOT/requirements-localstack.txt" 2>&1 | grep -v "^WARNING: Location" || true
    touch "$STAMP"
  fi
}

runtime_env() {
  # GATEWAY_LISTEN: loopback only.  DNS_ADDRESS=0: no DNS server (port 53, upstream lookups).
  # DISABLE_EVENTS: no analytics calls out.  Its state and caches live under .local/.
  mkdir -p "$STATE"
  export GATEWAY_LISTEN="127.0.0.1:$PORT" SERVICES="s3,sqs,sns,ses,sts" DNS_ADDRESS=0 DISABLE_EVENTS=1 \
    SKIP_SSL_CERT_DOWNLOAD=1 LOCALSTACK_VOLUME_DIR="$STATE" FILESYSTEM_ROOT="$STATE/fs" \
    SQS_ENDPOINT_STRATEGY=path
}

healthy() {
  "$VENV/bin/python" - "$PORT" <<'PY' 2>/dev/null
import json, sys, urllib.request
body = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_localstack/health", timeout=2))
assert all(body["services"].get(s) in ("available", "running") for s in ("s3", "sqs", "sns", "ses", "sts")), body
PY
}

case "${1:-}" in
  serve)
    install; runtime_env
    cd "$STATE" && exec "$VENV/bin/python" -m localstack.runtime.main
    ;;
  run)
    shift; [ "${1:-}" = "--" ] && shift
    install
    if healthy; then
      echo "localstack: something already answers on 127.0.0.1:$PORT (set LOCALSTACK_PORT)" >&2; exit 2
    fi
    ( runtime_env; cd "$STATE" && exec "$VENV/bin/python" -m localstack.runtime.main ) >"$ROOT/.local/localstack.log" 2>&1 &
    pid=$!
    stop() { kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; true; }
    trap stop EXIT INT TERM
    started=$(date +%s)
    until healthy; do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "localstack: the runtime exited; its log (.local/localstack.log) ends:" >&2
        tail -20 "$ROOT/.local/localstack.log" >&2; exit 1
      fi
      [ $(( $(date +%s) - started )) -lt 90 ] || { echo "localstack: not healthy within 90 s" >&2; exit 1; }
      sleep 0.5
    done
    echo "localstack: up on 127.0.0.1:$PORT after $(( $(date +%s) - started )) s"
    status=0
    AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" "$@" || status=$?
    exit "$status"
    ;;
  *)
    sed -n '2,12p' "$0" >&2; exit 2
    ;;
esac
