"""HTTP routes of the accounts area: /api/users/login, /api/auth/refresh, /api/auth/logout,
/api/users/profile."""
from __future__ import annotations

from chalicelib.platform.db import get_db
from chalicelib.platform.routing import PUBLIC, USER, Call, Router

from . import service
from .schemas import LoginIn, RefreshIn, TokensOut, UserOut

router = Router(tag="accounts")


def _client(call: Call, device_name: str | None = None) -> service.Client:
    return service.Client(device_name=device_name, user_agent=call.header("user-agent"), ip=call.ctx.client_ip)


@router.post("/api/users/login", auth=PUBLIC, body=LoginIn, response=TokensOut, rate_limit=(20, 900))
def login(call: Call) -> TokensOut:
    """Sign in with e-mail and password; returns an access token and a rotating refresh token."""
    body: LoginIn = call.body
    result = service.login(get_db(), call.tenant.id, body.email, body.password, _client(call, body.device_name))
    return TokensOut.model_validate(result)


@router.post("/api/auth/refresh", auth=PUBLIC, body=RefreshIn, response=TokensOut)
def refresh(call: Call) -> TokensOut:
    """Exchange a refresh token for new tokens.  Reusing an old refresh token revokes the session."""
    return TokensOut.model_validate(service.refresh(get_db(), call.tenant.id, call.body.refresh_token, _client(call)))


@router.post("/api/auth/logout", auth=USER, status=204)
def logout(call: Call) -> None:
    """Revoke this session's refresh tokens."""
    service.logout(get_db(), call.tenant.id, call.principal.user_id, call.principal.session_id)


@router.get("/api/users/profile", auth=USER, response=UserOut)
def profile(call: Call) -> UserOut:
    """The signed-in user's profile."""
    return UserOut.model_validate(service.profile(get_db(), call.tenant.id, call.principal.user_id))
