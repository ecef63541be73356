"""HTTP routes of the accounts area (U1, U3, U4, U5, U7): registration and verification,
login / refresh / logout, sessions, password reset and change.  Profile routes are in
profile_routes.py; 2FA and biometric login in security_routes.py."""
from __future__ import annotations

from chalicelib.platform.db import get_db
from chalicelib.platform.routing import PUBLIC, USER, Call, Router

from . import recovery, registration, service
from .schemas import (
    AcceptedOut,
    ChangePasswordIn,
    ForgotIn,
    LoginIn,
    LoginOut,
    RefreshIn,
    RegisterIn,
    ResendIn,
    ResetIn,
    RevokedOut,
    SessionList,
    TokensOut,
    VerificationOut,
    VerifyIn,
)

router = Router(tag="accounts")


def _client(call: Call, device_name: str | None = None) -> service.Client:
    return service.Client(device_name=device_name, user_agent=call.header("user-agent"), ip=call.ctx.client_ip)


@router.post("/api/users", auth=PUBLIC, body=RegisterIn, response=VerificationOut, status=202,
             rate_limit=(10, 900))
def register(call: Call) -> VerificationOut:
    """Start a registration: a 6-digit code goes to the e-mail or phone.  The answer is the
    same whether or not the identifier already has an account."""
    b: RegisterIn = call.body
    reg = registration.Registration(email=b.email, phone=b.phone, password=b.password, first_name=b.first_name,
                                    last_name=b.last_name, language=b.language,
                                    marketing_consent=b.marketing_consent)
    return VerificationOut.model_validate(registration.start(get_db(), call.tenant.id, reg))


@router.post("/api/users/verify", auth=PUBLIC, body=VerifyIn, response=TokensOut, status=201, rate_limit=(30, 900))
def verify_registration(call: Call) -> TokensOut:
    """Finish a registration with the code: creates the account and signs in."""
    result = registration.verify(get_db(), call.tenant.id, call.body.verification_id, call.body.code, _client(call))
    return TokensOut.model_validate(result)


@router.post("/api/users/verify/resend", auth=PUBLIC, body=ResendIn, response=VerificationOut, status=202,
             rate_limit=(5, 900))
def resend_code(call: Call) -> VerificationOut:
    """Send a new code for a pending registration (the old one stops working).  The answer is
    the same whether or not the identifier already has an account; a verification that has
    expired or is used up is a 400 `verification_expired` (start the registration again)."""
    return VerificationOut.model_validate(registration.resend(get_db(), call.tenant.id, call.body.verification_id))


@router.post("/api/users/login", auth=PUBLIC, body=LoginIn, response=LoginOut, rate_limit=(20, 900), errors=(429,))
def login(call: Call) -> LoginOut:
    """Sign in with e-mail or phone and password.  Returns tokens, or a second-factor challenge
    when the account has 2FA.  Repeated failures lock the identifier for 15 minutes."""
    b: LoginIn = call.body
    result = service.login(get_db(), call.tenant.id, email=b.email, phone=b.phone, password=b.password,
                           client=_client(call, b.device_name))
    return LoginOut.model_validate(result)


@router.post("/api/auth/refresh", auth=PUBLIC, body=RefreshIn, response=TokensOut)
def refresh(call: Call) -> TokensOut:
    """Exchange a refresh token for new tokens.  Reusing an old refresh token revokes the session."""
    return TokensOut.model_validate(service.refresh(get_db(), call.tenant.id, call.body.refresh_token, _client(call)))


@router.post("/api/auth/logout", auth=USER, status=204)
def logout(call: Call) -> None:
    """End this session (its refresh tokens and its access tokens)."""
    service.logout(get_db(), call.tenant.id, call.principal.user_id, call.principal.session_id)


@router.get("/api/auth/sessions", auth=USER, response=SessionList)
def list_sessions(call: Call) -> SessionList:
    """The signed-in user's sessions (devices), newest activity first; `current` marks this one."""
    p = call.principal
    return SessionList(items=service.list_sessions(call.tenant.id, p.user_id, p.session_id))  # type: ignore[arg-type]


@router.delete("/api/auth/sessions/{session_key}", auth=USER, status=204)
def revoke_session(call: Call) -> None:
    """Sign one device out."""
    service.revoke_session(get_db(), call.tenant.id, call.principal.user_id, call.path["session_key"])


@router.post("/api/auth/sessions/revoke-others", auth=USER, response=RevokedOut)
def revoke_other_sessions(call: Call) -> RevokedOut:
    """Sign out every other device."""
    p = call.principal
    return RevokedOut(revoked=service.revoke_all_sessions(get_db(), call.tenant.id, p.user_id,
                                                          except_session=p.session_id))


@router.post("/api/auth/password/forgot", auth=PUBLIC, body=ForgotIn, response=AcceptedOut, status=202,
             rate_limit=(5, 900))
def forgot_password(call: Call) -> AcceptedOut:
    """Send a single-use reset link (e-mail) or link by SMS.  Always 202, and the address or
    number always gets one message (a notice when no active account uses it), so neither the
    answer nor its timing tells whether an account exists."""
    recovery.forgot(get_db(), call.tenant, email=call.body.email, phone=call.body.phone)
    return AcceptedOut()


@router.post("/api/auth/password/reset", auth=PUBLIC, body=ResetIn, status=204, rate_limit=(10, 900))
def reset_password(call: Call) -> None:
    """Set a new password with the link's token; every session of the account ends."""
    recovery.reset(get_db(), call.tenant.id, call.body.token, call.body.new_password)


@router.post("/api/auth/password/change", auth=USER, body=ChangePasswordIn, status=204)
def change_password(call: Call) -> None:
    """Change the password (current one required); other devices are signed out."""
    p = call.principal
    recovery.change(get_db(), call.tenant.id, p.user_id, p.session_id, call.body.current_password,
                    call.body.new_password)
