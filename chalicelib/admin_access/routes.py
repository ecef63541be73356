"""HTTP routes of the admin-access area: /api/admin/permissions, /roles, /users, /api-keys.

Every route is ADMIN with a permission; every write is audited in its own transaction.

Cold start: this Lambda imports only the platform and this area (tests/e2e/test_package.py).
The accounts and tenants services it calls for user creation, session revocation and key
storage are imported inside the functions that use them, so listing roles never pays for them.
"""
from __future__ import annotations

from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.routing import ADMIN, Call, Router

from . import keys_service, service, users_service
from .schemas import (
    ApiKeyCreateIn,
    ApiKeyIssuedOut,
    ApiKeyList,
    ApiKeyRevokeQuery,
    ApiKeyRotatedOut,
    ApiKeyRotateIn,
    PermissionList,
    RoleCreateIn,
    RoleList,
    RoleOut,
    RoleUpdateIn,
    UserCreateIn,
    UserDetailOut,
    UserListQuery,
    UserPage,
    UserUpdateIn,
)

router = Router(tag="admin_access")


def _actor(call: Call) -> service.Actor:
    return service.Actor(user_id=call.principal.user_id, session_id=call.principal.session_id)


# -- permissions and roles ---------------------------------------------------------------------
@router.get("/api/admin/permissions", auth=ADMIN, permission=perm.ROLES_READ, response=PermissionList)
def list_permissions(call: Call) -> PermissionList:
    """The permission catalogue, each with a Turkish and English description."""
    return PermissionList.model_validate({"items": service.permission_catalogue()})


@router.get("/api/admin/roles", auth=ADMIN, permission=perm.ROLES_READ, response=RoleList)
def list_roles(call: Call) -> RoleList:
    """Every role of the tenant with its permissions and how many users hold it."""
    return RoleList.model_validate({"items": service.list_roles(get_db(), call.tenant.id)})


@router.post("/api/admin/roles", auth=ADMIN, permission=perm.ROLES_WRITE, body=RoleCreateIn, response=RoleOut,
             status=201, errors=(403, 409))
def create_role(call: Call) -> RoleOut:
    """Create a role.  Only permissions the caller holds can be granted ('*' only by a '*' holder)."""
    body: RoleCreateIn = call.body
    return RoleOut.model_validate(service.create_role(get_db(), call.tenant.id, _actor(call), name=body.name,
                                                      description=body.description, permissions=body.permissions))


@router.put("/api/admin/roles/{role_id}", auth=ADMIN, permission=perm.ROLES_WRITE, body=RoleUpdateIn,
            response=RoleOut, errors=(403, 404, 409))
def update_role(call: Call) -> RoleOut:
    """Change a role's name (not a system role's), description or permissions; fields left out
    keep their value, `"description": null` clears it (null elsewhere is a 400).  Removing
    permissions ends the members' sessions; the tenant always keeps an active '*' holder."""
    changes = call.body.changes()
    return RoleOut.model_validate(
        service.update_role(get_db(), call.tenant.id, _actor(call), call.path["role_id"], changes))


@router.delete("/api/admin/roles/{role_id}", auth=ADMIN, permission=perm.ROLES_WRITE, status=204,
               errors=(403, 404, 409))
def delete_role(call: Call) -> None:
    """Delete a custom role nobody holds (409 for system roles and roles in use)."""
    service.delete_role(get_db(), call.tenant.id, _actor(call), call.path["role_id"])


# -- users -------------------------------------------------------------------------------------
@router.get("/api/admin/users", auth=ADMIN, permission=perm.USERS_READ, query=UserListQuery, response=UserPage)
def list_users(call: Call) -> UserPage:
    """Staff and customers, newest first; filter by text, role, status and staff flag."""
    return UserPage.model_validate(users_service.list_users(get_db(), call.tenant.id, call.query))


@router.get("/api/admin/users/{user_id}", auth=ADMIN, permission=perm.USERS_READ, response=UserDetailOut,
            errors=(404,))
def get_user(call: Call) -> UserDetailOut:
    """A user's profile, roles, effective permissions and last sign-in."""
    return UserDetailOut.model_validate(users_service.get_user(get_db(), call.tenant.id, call.path["user_id"]))


@router.post("/api/admin/users", auth=ADMIN, permission=perm.USERS_WRITE, body=UserCreateIn,
             response=UserDetailOut, status=201, errors=(403, 409))
def create_user(call: Call) -> UserDetailOut:
    """Create a staff user with roles and an initial password (10+ characters, letters and
    digits, at most 72 bytes in UTF-8)."""
    body: UserCreateIn = call.body
    view = users_service.create_staff(
        get_db(), call.tenant.id, _actor(call), email=body.email, password=body.password,
        first_name=body.first_name, last_name=body.last_name, language=body.language, roles=body.roles)
    return UserDetailOut.model_validate(view)


@router.put("/api/admin/users/{user_id}", auth=ADMIN, permission=perm.USERS_WRITE, body=UserUpdateIn,
            response=UserDetailOut, errors=(403, 404, 409))
def update_user(call: Call) -> UserDetailOut:
    """Change roles, status or names; fields left out keep their value, null is a 400.
    Disabling or a role change ends the user's sessions."""
    changes = call.body.changes()
    return UserDetailOut.model_validate(
        users_service.update_user(get_db(), call.tenant.id, _actor(call), call.path["user_id"], changes))


# -- API keys ----------------------------------------------------------------------------------
@router.get("/api/admin/api-keys", auth=ADMIN, permission=perm.API_KEYS_READ, response=ApiKeyList)
def list_api_keys(call: Call) -> ApiKeyList:
    """The tenant's API keys (name, prefix, status, expiry); never a key or its hash."""
    return ApiKeyList.model_validate({"items": keys_service.list_keys(get_db(), call.tenant.id)})


@router.post("/api/admin/api-keys", auth=ADMIN, permission=perm.API_KEYS_WRITE, body=ApiKeyCreateIn,
             response=ApiKeyIssuedOut, status=201)
def create_api_key(call: Call) -> ApiKeyIssuedOut:
    """Issue a key.  The response is the only place the key ever appears: store it now."""
    body: ApiKeyCreateIn = call.body
    return ApiKeyIssuedOut.model_validate(
        keys_service.create_key(get_db(), call.tenant.id, _actor(call), name=body.name, expires_at=body.expires_at))


@router.post("/api/admin/api-keys/{key_id}/rotate", auth=ADMIN, permission=perm.API_KEYS_WRITE,
             body=ApiKeyRotateIn, response=ApiKeyRotatedOut, status=201, errors=(404, 409))
def rotate_api_key(call: Call) -> ApiKeyRotatedOut:
    """Issue a successor with the same name; the old key keeps working for the grace period."""
    body: ApiKeyRotateIn = call.body
    result = keys_service.rotate_key(get_db(), call.tenant.id, _actor(call), call.path["key_id"],
                                     grace_seconds=body.grace_seconds, expires_at=body.expires_at)
    return ApiKeyRotatedOut.model_validate(result)


@router.delete("/api/admin/api-keys/{key_id}", auth=ADMIN, permission=perm.API_KEYS_WRITE,
               query=ApiKeyRevokeQuery, status=204, errors=(404, 409))
def revoke_api_key(call: Call) -> None:
    """Revoke a key now.  The key this request uses needs ?force=true."""
    keys_service.revoke_key(get_db(), call.tenant.id, call.path["key_id"],
                            current_key_id=call.tenant.api_key_id, force=call.query.force)
