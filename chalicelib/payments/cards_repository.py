"""SQL of saved cards (payment_cards, migration 0012): iyzico's keys and what may be shown of a
card - never its number.  Every statement names the tenant and the user; repositories never commit.

The customer's e-mail (sent to iyzico's card storage) is read from `users`, a declared read
model (platform/tables.py).
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform.db import Session, UnitOfWork

_SHOWN = "id, alias, bin_number, last4, association, family, bank_name, created_at"


def user_email(session: Session, tenant_id: int, user_id: int) -> str | None:
    value = session.scalar("SELECT email FROM users WHERE tenant_id = %s AND id = %s", (tenant_id, user_id))
    return None if value is None else str(value)


def card_user_key(session: Session, tenant_id: int, user_id: int) -> str | None:
    """The user's iyzico card user key: the one their first saved card got."""
    value = session.scalar("""SELECT card_user_key FROM payment_cards
                               WHERE tenant_id = %s AND user_id = %s ORDER BY id LIMIT 1""", (tenant_id, user_id))
    return None if value is None else str(value)


def list_cards(session: Session, tenant_id: int, user_id: int) -> list[dict[str, Any]]:
    return session.all(f"""SELECT {_SHOWN} FROM payment_cards
                            WHERE tenant_id = %s AND user_id = %s ORDER BY id DESC""", (tenant_id, user_id))


def get_card(session: Session, tenant_id: int, user_id: int, card_id: int) -> dict[str, Any] | None:
    return session.one(f"""SELECT {_SHOWN}, card_user_key, card_token FROM payment_cards
                            WHERE tenant_id = %s AND user_id = %s AND id = %s""", (tenant_id, user_id, card_id))


def find_by_token(session: Session, tenant_id: int, user_id: int, card_token: str) -> int | None:
    value = session.scalar("""SELECT id FROM payment_cards WHERE tenant_id = %s AND user_id = %s AND card_token = %s""",
                           (tenant_id, user_id, card_token))
    return None if value is None else int(value)


def insert_card(uow: UnitOfWork, tenant_id: int, user_id: int, *, card_user_key: str, card_token: str,
                alias: str | None, bin_number: str | None, last4: str | None, association: str | None,
                family: str | None, bank_name: str | None) -> int:
    return uow.insert("""INSERT INTO payment_cards (tenant_id, user_id, card_user_key, card_token, alias, bin_number,
                                                    last4, association, family, bank_name)
                         VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                      (tenant_id, user_id, card_user_key, card_token, alias, bin_number, last4, association, family,
                       bank_name))


def delete_card(uow: UnitOfWork, tenant_id: int, user_id: int, card_id: int) -> bool:
    return uow.execute("DELETE FROM payment_cards WHERE tenant_id = %s AND user_id = %s AND id = %s",
                       (tenant_id, user_id, card_id)) == 1
