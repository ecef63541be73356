"""Fixtures and helpers shared by test_mfa.py and test_biometric.py.

`security_client` is the one place that decides which app the security tests drive: today an
app of the accounts area's two routers; once app.py registers security_routes it can simply
return the shared `client` fixture.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest

from tests.conftest import Api, TenantInfo, make_user


@pytest.fixture
def security_client(client: Any) -> Iterator[Any]:
    """The whole app (app.py)."""
    yield client


@pytest.fixture
def sapi(security_client: Any, tenant: TenantInfo) -> Api:
    """The tenant's API on the security app, anonymous."""
    return Api(security_client, tenant.api_key)


class Account:
    """A user of the test tenant plus the helpers a test needs to act as them."""

    def __init__(self, api: Api, tenant: TenantInfo, *, roles: list[str] | None = None) -> None:
        self.api = api
        self.tenant = tenant
        self.user_id, self.email, self.password = make_user(tenant, roles=roles)
        self.secret: str | None = None
        self.recovery_codes: list[str] = []
        self._last_step = 0

    def password_step(self, api: Api | None = None) -> Any:
        return (api or self.api).post("/api/users/login", {"email": self.email, "password": self.password})

    def sign_in(self) -> str:
        """Password only (no 2FA yet): the access token."""
        response = self.password_step()
        assert response.status_code == 200 and "access_token" in response.json, response.body
        return response.json["access_token"]  # type: ignore[no-any-return]

    def code(self, steps_ahead: int = 0) -> str:
        """The TOTP code of a step relative to now (may already be spent: see next_code)."""
        assert self.secret is not None
        return pyotp.TOTP(self.secret).at(time.time() + 30 * steps_ahead)

    def next_code(self) -> str:
        """A code the server has not seen: each step's code works once, so successive calls take
        successive steps of the accepted window (now-1, now, now+1).  Near a step change it waits
        for the change, so a code made for now-1 cannot fall out of the window before it is
        checked; a fourth code within one step waits for the next step."""
        assert self.secret is not None
        while True:
            now = time.time()
            current, into = divmod(now, 30)
            step = max(int(current) - 1, self._last_step + 1)
            if into > 28 or step > current + 1:
                time.sleep(30 - into + 0.05)
                continue
            self._last_step = step
            return pyotp.TOTP(self.secret).generate_otp(step)

    def wrong_code(self) -> str:
        """A well-formed code that is right for none of the accepted steps."""
        window = {self.code(k) for k in (-2, -1, 0, 1, 2)}
        return next(c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c not in window)

    def enable_2fa(self, token: str) -> list[str]:
        setup = self.api.post("/api/auth/2fa/setup", token=token)
        assert setup.status_code == 200, setup.body
        self.secret = setup.json["secret"]
        confirm = self.api.post("/api/auth/2fa/confirm", {"code": self.next_code()}, token=token)
        assert confirm.status_code == 200, confirm.body
        self.recovery_codes = confirm.json["recovery_codes"]
        return self.recovery_codes


def amr(access_token: str) -> tuple[str, ...]:
    from chalicelib.platform.auth import decode_access_token

    return decode_access_token(access_token).amr
