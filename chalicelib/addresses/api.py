"""What the addresses area publishes to other areas (issue 10 item 1).

    order_snapshot(session, tenant_id, user_id, address_id)   what an order keeps of an address
                                     (sealed phone / VKN / TCKN, masked forms beside); 404 for another user's
    erase_user_addresses(uow, tenant_id, user_id)              KVKK erasure on account deletion → how many

Everything else under chalicelib/addresses/ is private.  The service (geocoding adapter,
repository, sealing) is imported on first call: the checkout and the account deletion, its only
callers, imported it inside their functions before.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.platform.db import Session, UnitOfWork

__all__ = ["erase_user_addresses", "order_snapshot"]


def order_snapshot(session: Session, tenant_id: int, user_id: int, address_id: int) -> dict[str, Any]:
    from . import service  # lazy: see the module docstring

    return service.order_snapshot(session, tenant_id, user_id, address_id)


def erase_user_addresses(uow: UnitOfWork, tenant_id: int, user_id: int) -> int:
    from . import service

    return service.erase_user_addresses(uow, tenant_id, user_id)
