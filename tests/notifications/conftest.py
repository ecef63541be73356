"""Fixtures of the notification-channel tests: the local Expo push service and Netgsm SMS gateway
(real HTTP servers speaking their protocols, infra/local/fakes/), pointed at by configuration."""
from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def expo() -> Iterator[Any]:
    from chalicelib.adapters import push
    from infra.local.fakes import expo_push

    server, url = expo_push.start()
    old = os.environ.get("EXPO_PUSH_URL")
    os.environ["EXPO_PUSH_URL"] = url
    push.reset_push_sender()
    yield server
    server.shutdown()
    server.server_close()
    if old is None:
        os.environ.pop("EXPO_PUSH_URL", None)
    else:
        os.environ["EXPO_PUSH_URL"] = old
    push.reset_push_sender()


@pytest.fixture(scope="module")
def netgsm() -> Iterator[Any]:
    from chalicelib.adapters import sms
    from infra.local.fakes import sms_gateway

    server, url = sms_gateway.start()
    saved = {k: os.environ.get(k) for k in ("NETGSM_URL", "SMS_PROVIDER")}
    os.environ.update({"NETGSM_URL": url, "SMS_PROVIDER": "netgsm"})
    sms.reset_sms_sender()
    yield server
    server.shutdown()
    server.server_close()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    sms.reset_sms_sender()


@pytest.fixture
def rate_limits() -> Iterator[Any]:
    """Set NOTIFY_RATE_LIMITS for one test: rate_limits("sms=1/60")."""
    from chalicelib.notifications import delivery

    old = os.environ.get("NOTIFY_RATE_LIMITS")

    def set_(value: str) -> None:
        os.environ["NOTIFY_RATE_LIMITS"] = value
        delivery.rates.cache_clear()

    yield set_
    if old is None:
        os.environ.pop("NOTIFY_RATE_LIMITS", None)
    else:
        os.environ["NOTIFY_RATE_LIMITS"] = old
    delivery.rates.cache_clear()
