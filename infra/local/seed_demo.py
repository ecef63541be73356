"""Seed (or refresh) the demo tenant: Huğlu's outdoor catalogue, an admin and a customer.

Idempotent: re-running keeps the data; when `.dev/credentials.json` no longer works (a fresh
database, a lost file) it issues a new API key and resets the demo passwords, because only
hashes are stored and the old secrets cannot be recovered.
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from chalicelib.accounts import repository as accounts_repo
from chalicelib.accounts.service import create_user, set_password
from chalicelib.platform import tenancy
from chalicelib.platform.db import get_db
from chalicelib.platform.errors import Unauthorized
from chalicelib.tenants.service import create_api_key, create_tenant
from infra.local.seed_catalog import seed_catalog

SLUG = "huglu-demo"
ADMIN_EMAIL = "admin@huglu.local"
CUSTOMER_EMAIL = "musteri@huglu.local"
ORIGINS = ["http://localhost:3000", "http://127.0.0.1:3000", "http://localhost:8081", "http://localhost:19006"]
CREDENTIALS = Path(".dev/credentials.json")
# Payments (issue 12): the hosted checkout form by default, up to 6 installments, and the
# accounts a bank transfer goes to.  Added when missing; a setting changed by hand is kept.
DEMO_PAYMENTS = {"card_flow": "checkout_form", "max_installments": 6}
DEMO_BANK_ACCOUNTS = [{"bank": "Ziraat Bankası", "iban": "TR330006100519786457841326",
                       "account_holder": "Huğlu Av Tüfekleri Kooperatifi", "branch": "Hüyük"}]


def _key_works(raw: str | None, tenant_id: int) -> bool:
    if not raw:
        return False
    try:
        return tenancy.resolve(raw).id == tenant_id
    except Unauthorized:
        return False


def _ensure_user(tenant_id: int, email: str, roles: list[str] | None, first: str, last: str,
                 known: dict[str, Any] | None) -> dict[str, str]:
    db = get_db()
    user = accounts_repo.user_by_email(db.session(), tenant_id, email)
    if user is None:
        password = secrets.token_urlsafe(12)
        create_user(db, tenant_id, email=email, password=password, first_name=first, last_name=last, roles=roles)
        return {"email": email, "password": password}
    if known and known.get("email") == email and known.get("password"):
        from chalicelib.accounts.passwords import verify_password

        if verify_password(known["password"], user["password_hash"]):
            return {"email": email, "password": known["password"]}
    password = secrets.token_urlsafe(12)
    set_password(db, tenant_id, user["id"], password)
    return {"email": email, "password": password}


def _ensure_payment_settings(tenant_id: int) -> None:
    from chalicelib.platform.db import UnitOfWork
    from chalicelib.tenants.api import update_tenant

    def work(uow: UnitOfWork) -> None:
        raw = uow.scalar("SELECT settings FROM tenants WHERE id = %s FOR UPDATE", (tenant_id,))
        settings = json.loads(raw) if isinstance(raw, (str, bytes)) else dict(raw or {})
        payments = settings.get("payments")
        payments = payments if isinstance(payments, dict) else {}
        wallet = settings.get("wallet")
        wallet = wallet if isinstance(wallet, dict) else {}
        changed = {**settings, "payments": {**DEMO_PAYMENTS, **payments},
                   "wallet": {**wallet, "bank_accounts": wallet.get("bank_accounts") or DEMO_BANK_ACCOUNTS}}
        if changed != settings:
            update_tenant(uow, tenant_id, {"settings": changed})
            uow.commit()

    get_db().transaction(work)
    tenancy.forget_tenant(get_db().session(), tenant_id)  # the API reads settings through the tenant cache


def seed(products: int = 240) -> dict[str, Any]:
    db = get_db()
    previous: dict[str, Any] = json.loads(CREDENTIALS.read_text()) if CREDENTIALS.exists() else {}
    row = db.session().one("SELECT id FROM tenants WHERE slug = %s", (SLUG,))
    if row is None:
        created = create_tenant(db, slug=SLUG, name="Huğlu Av ve Outdoor", cors_origins=ORIGINS,
                                settings={"rate_limit": {"default": {"limit": 1000, "window": 900}}})
        tenant_id, api_key = created.tenant_id, created.api_key
    else:
        tenant_id = row["id"]
        api_key = previous.get("api_key")
        if not _key_works(api_key, tenant_id):
            _, api_key = create_api_key(db, tenant_id, name="dev")
    _ensure_payment_settings(tenant_id)
    admin = _ensure_user(tenant_id, ADMIN_EMAIL, ["super_admin"], "Mağaza", "Yöneticisi", previous.get("admin"))
    customer = _ensure_user(tenant_id, CUSTOMER_EMAIL, None, "Ayşe", "Yıldız", previous.get("customer"))
    count = db.session().scalar("SELECT COUNT(*) FROM products WHERE tenant_id = %s", (tenant_id,))
    seeded = None
    if not count:
        seeded = seed_catalog(db.connection(), tenant_id, products=products)
    from infra.local.seed_orders import seed_orders

    orders = seed_orders(db, tenant_id, CUSTOMER_EMAIL, ADMIN_EMAIL)
    from infra.local.seed_campaigns import seed_campaigns

    campaigns = seed_campaigns(db, tenant_id)
    credentials = {"api_key": api_key, "tenant_id": tenant_id, "admin": admin, "customer": customer}
    CREDENTIALS.parent.mkdir(exist_ok=True)
    CREDENTIALS.write_text(json.dumps(credentials, ensure_ascii=False, indent=2))
    CREDENTIALS.chmod(0o600)
    return {**credentials, "catalog": seeded or {"products": count}, "demo_orders": orders, "campaigns": campaigns}


if __name__ == "__main__":
    print(json.dumps(seed(), ensure_ascii=False, indent=2, default=str))
