"""Create a tenant (with its default roles, an API key and optionally an admin) in one command:

    python -m infra.local.tenants create --slug kamp-dunyasi --name "Kamp Dünyası" \
        --origin http://localhost:3000 --admin-email admin@kampdunyasi.test

The API key is printed once; only its hash is stored.
"""
from __future__ import annotations

import argparse
import json
import secrets

from chalicelib.accounts.service import create_user
from chalicelib.platform.db import get_db
from chalicelib.tenants.service import create_tenant


def create(slug: str, name: str, origins: list[str], admin_email: str | None, admin_password: str | None,
           language: str = "tr", settings: dict | None = None) -> dict:
    db = get_db()
    created = create_tenant(db, slug=slug, name=name, default_language=language, cors_origins=origins,
                            settings=settings)
    result: dict = {"tenant_id": created.tenant_id, "slug": slug, "api_key": created.api_key}
    if admin_email:
        password = admin_password or secrets.token_urlsafe(12)
        create_user(db, created.tenant_id, email=admin_email, password=password, first_name="Admin",
                    last_name=name, language=language, roles=["super_admin"])
        result["admin"] = {"email": admin_email.lower(), "password": password}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="Manage tenants")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("create", help="create a tenant with default roles and an API key")
    c.add_argument("--slug", required=True)
    c.add_argument("--name", required=True)
    c.add_argument("--origin", action="append", default=[], help="allowed CORS origin (repeatable)")
    c.add_argument("--admin-email")
    c.add_argument("--admin-password")
    c.add_argument("--language", default="tr", choices=["tr", "en"])
    args = parser.parse_args()
    print(json.dumps(create(args.slug, args.name, args.origin, args.admin_email, args.admin_password,
                            args.language), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
