"""Admin access rules that need no database: catalogue texts, input contracts, grant checks."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.admin_access.catalogue import DESCRIPTIONS, catalogue
from chalicelib.admin_access.schemas import ApiKeyRotateIn, RoleCreateIn, UserCreateIn, UserUpdateIn
from chalicelib.admin_access.service import require_grantable
from chalicelib.platform import permissions as perm
from chalicelib.platform.errors import Forbidden


def test_every_permission_has_a_turkish_and_english_description():
    assert set(DESCRIPTIONS) == {perm.ALL, *perm.CATALOGUE}, "describe new permissions in admin_access/catalogue.py"
    assert all(d["tr"] and d["en"] for d in DESCRIPTIONS.values())
    assert [c["name"] for c in catalogue()] == [perm.ALL, *perm.CATALOGUE]


def test_default_admin_role_reads_but_does_not_write_roles_and_keys():
    admin = set(perm.DEFAULT_ROLES["admin"][1])
    assert {perm.ROLES_READ, perm.API_KEYS_READ, perm.USERS_WRITE} <= admin
    assert not {perm.ROLES_WRITE, perm.API_KEYS_WRITE, perm.ALL} & admin


@pytest.mark.parametrize("name", ["ab", "depo_2", "a" * 50])
def test_role_names_accepted(name):
    assert RoleCreateIn(name=name, permissions=[]).name == name


@pytest.mark.parametrize("name", ["a", "2depo", "Depo", "depo-x", "depö", "a" * 51, "_x"])
def test_role_names_refused(name):
    with pytest.raises(ValidationError):
        RoleCreateIn(name=name, permissions=[])


def test_permissions_are_deduplicated_and_star_absorbs_the_rest():
    assert RoleCreateIn(name="ab", permissions=["users.read", "users.read"]).permissions == ["users.read"]
    assert RoleCreateIn(name="ab", permissions=["users.read", "*"]).permissions == ["*"]
    with pytest.raises(ValidationError):
        RoleCreateIn(name="ab", permissions=["users.delete"])


@pytest.mark.parametrize(("password", "ok"), [
    ("Kamp-2024-x", True), ("çadır12345", True), ("kisa12", False), ("yalnizcaharf", False), ("1234567890", False),
])
def test_password_policy(password, ok):
    body = {"email": "a@b.co", "password": password, "roles": ["editor"]}
    if ok:
        UserCreateIn.model_validate(body)
    else:
        with pytest.raises(ValidationError) as err:
            UserCreateIn.model_validate(body)
        assert err.value.errors()[0]["loc"] == ("password",)


def test_updates_need_something_and_rotation_grace_is_bounded():
    with pytest.raises(ValidationError):
        UserUpdateIn.model_validate({})
    assert ApiKeyRotateIn().grace_seconds == 24 * 3600
    with pytest.raises(ValidationError):
        ApiKeyRotateIn(grace_seconds=30 * 86400 + 1)


def test_grant_checks():
    require_grantable({"*"}, {"*", "users.read"})
    require_grantable({"users.read", "users.write"}, {"users.read"})
    require_grantable({"users.read"}, set())
    for held, wanted in (({"users.read"}, {"*"}), ({"users.read"}, {"users.write"})):
        with pytest.raises(Forbidden) as err:
            require_grantable(held, wanted)
        assert err.value.details["reason"] == "beyond_own_permissions"
