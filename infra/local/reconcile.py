"""Prove a tenant's wallet ledger from the shell (issue 11 item 9): every balance equals its lines,
pending amounts equal the pending holds, every entry and all the tenant's lines sum to zero,
running balances add up, no customer below zero (chalicelib/wallet ledger.reconcile).

    make reconcile TENANT=kamp-dunyasi
    python -m infra.local.reconcile --tenant kamp-dunyasi

Prints the report as JSON.  Exit status: 0 every invariant holds, 1 one is broken (the problems
are listed), 2 no such tenant.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from chalicelib.platform.db import get_db
from chalicelib.wallet import api as wallet

OK, BROKEN, UNKNOWN_TENANT = 0, 1, 2


def reconcile(slug: str) -> tuple[int, dict]:
    session = get_db().session()
    tenant_id = session.scalar("SELECT id FROM tenants WHERE slug = %s", (slug,))
    if tenant_id is None:
        return UNKNOWN_TENANT, {"tenant": slug, "error": "no such tenant"}
    report = wallet.reconcile(session, int(tenant_id))
    return (OK if report.ok else BROKEN), {
        "tenant": slug, "tenant_id": int(tenant_id), "ok": report.ok, "accounts": report.accounts,
        "entries": report.entries, "lines": report.lines, "pending_holds": report.pending_holds,
        "customer_total": format(report.customer_total, "f"), "problems": report.problems}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Prove a tenant's wallet ledger")
    parser.add_argument("--tenant", required=True, help="the tenant's slug")
    args = parser.parse_args(argv)
    status, shown = reconcile(args.tenant)
    print(json.dumps(shown, ensure_ascii=False, indent=2))
    return status


if __name__ == "__main__":
    sys.exit(main())
