"""The local iyzico sandbox (infra/local/fakes/iyzico.py) for a test module: started on a free
port with the development keys, and IYZICO_BASE_URL / IYZICO_CA_FILE pointing the adapter at it
(the code under test uses iyzico.gateway(), which reads the settings on every call); the
environment as it was afterwards."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def running_sandbox() -> Iterator[tuple[Any, str]]:
    """(server, "127.0.0.1:<port>"): server.ca_file is the CA it is trusted through."""
    from chalicelib.platform.config import DEV_IYZICO_API_KEY, DEV_IYZICO_SECRET_KEY, reset_settings
    from infra.local.fakes import iyzico as fake

    server, host = fake.start(api_key=DEV_IYZICO_API_KEY, secret_key=DEV_IYZICO_SECRET_KEY)
    saved = {k: os.environ.get(k) for k in ("IYZICO_BASE_URL", "IYZICO_CA_FILE")}
    os.environ.update(IYZICO_BASE_URL=f"https://{host}", IYZICO_CA_FILE=str(server.ca_file))
    reset_settings()
    try:
        yield server, host
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()
        server.shutdown()
        server.server_close()
