"""Address use cases (A1–A4): list, read, create, update, delete, make default.

Service functions take the database and plain values (tenant first, then the signed-in user)
and return plain dicts shaped like `schemas.AddressOut`.  Records use the API's field names;
`_columns` / `_fields` translate to and from the table, sealing and opening the phone, tax
number and TCKN on the way (crypto.seal with a per-field associated datum).

Geocoding runs *before* the transaction: an HTTP call of up to 2 s must not hold the owner's
row lock.  Whatever the geocoder does, the address is saved: without coordinates and with
`geocode_status` pending (try again later) or failed (fix the configuration, then try again);
a retry job can select them through ix_geocode_status.  Coordinates the user picked on the map
are kept as they are ("manual") and never sent to the geocoder.
"""
from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.platform.crypto import open_sealed, seal
from chalicelib.platform.db import Database, Session, UnitOfWork
from chalicelib.platform.errors import Conflict, NotFound
from chalicelib.platform.logging import get_logger

from . import repository as repo
from . import rules
from .errors import AddressLimitReached, AddressRuleError

if TYPE_CHECKING:
    from chalicelib.adapters.maps import Geocoder

MAX_ADDRESSES_PER_USER = 20
# geocode_status values (column comment in migration 0003).
GEOCODED, MANUAL, NOT_FOUND, PENDING, FAILED = "ok", "manual", "not_found", "pending", "failed"
# Associated data of each sealed column: a ciphertext moved to another column fails to open.
PHONE_FIELD, TAX_NUMBER_FIELD, NATIONAL_ID_FIELD = "address.phone", "address.tax_number", "address.national_id"
# Stored / plain field names that map 1:1 onto columns.
_PLAIN = ("title", "first_name", "last_name", "company_name", "tax_office", "il", "ilce", "mahalle",
          "address_line", "posta_kodu")
_UPDATE_ATTEMPTS = 3

log = get_logger("addresses")


@dataclass(frozen=True)
class Location:
    lat: Decimal | None
    lng: Decimal | None
    place_id: str | None
    status: str
    precision: str | None = None

    def columns(self) -> dict[str, Any]:
        return {"lat": self.lat, "lng": self.lng, "place_id": self.place_id,
                "geocode_status": self.status, "geocode_precision": self.precision}


class _ChangedMeanwhile(Exception):
    """The address changed between the read an update was planned on and the row lock."""


# -- reads ----------------------------------------------------------------------------------
# On the writer: a customer adding an address and going straight to checkout must see it,
# which a lagging read replica cannot promise.
def list_addresses(db: Database, tenant_id: int, user_id: int, address_type: str | None = None) -> list[dict[str, Any]]:
    return [view(row) for row in repo.list_for_user(db.session(), tenant_id, user_id, address_type)]


def get_address(db: Database, tenant_id: int, user_id: int, address_id: int) -> dict[str, Any]:
    return view(_owned(db.session(), tenant_id, user_id, address_id))


def order_snapshot(session: Session, tenant_id: int, user_id: int, address_id: int) -> dict[str, Any]:
    """What an order keeps of an address (orders.shipping_address / billing_address): the
    address as it is now, so later edits or deletion don't rewrite history.  Phone, VKN and TCKN
    stay sealed (base64 of the AES-GCM blob, same field names as here); the masked forms are
    alongside for display.  Another user's or tenant's id → 404.  Every value is JSON's own
    (text, integer, null): the order stores the snapshot as JSON and shows it as it was read."""
    row = repo.get_for_snapshot(session, tenant_id, user_id, address_id)
    if row is None:
        raise NotFound()
    return {
        "address_id": row["id"], "type": row["address_type"], "billing_kind": row["entity_type"],
        **{name: row[name] for name in _PLAIN},
        "country_code": row["country_code"],
        **_masked(row),
        "sealed": {name: base64.b64encode(row[column]).decode() for name, column in
                   (("phone", "phone_enc"), ("tax_number", "tax_number_enc"), ("national_id", "national_id_enc"))
                   if row[column] is not None},
    }


# -- writes ---------------------------------------------------------------------------------
def create_address(db: Database, tenant_id: int, user_id: int, fields: dict[str, Any], sent: set[str],
                   geocoder: Geocoder | None = None) -> dict[str, Any]:
    """The first address of a type becomes its default.  At most MAX_ADDRESSES_PER_USER."""
    record = _checked(fields, sent)
    if repo.count_for_user(db.session(), tenant_id, user_id) >= MAX_ADDRESSES_PER_USER:
        raise AddressLimitReached(MAX_ADDRESSES_PER_USER)  # refuse before paying for a geocode
    values = {**_columns(record), **_locate(record, geocoder).columns()}

    def work(uow: UnitOfWork) -> dict[str, Any]:
        _lock_owner(uow, tenant_id, user_id)
        if repo.count_for_user(uow, tenant_id, user_id) >= MAX_ADDRESSES_PER_USER:
            raise AddressLimitReached(MAX_ADDRESSES_PER_USER)
        is_default = not repo.has_default(uow, tenant_id, user_id, record["type"])
        address_id = repo.insert(uow, tenant_id, user_id, {**values, "is_default": is_default})
        row = _owned(uow, tenant_id, user_id, address_id)
        uow.commit()
        return row

    return view(db.transaction(work))


def update_address(db: Database, tenant_id: int, user_id: int, address_id: int, changes: dict[str, Any],
                   geocoder: Geocoder | None = None) -> dict[str, Any]:
    """Partial update, held to the same rules as a create.  A changed location is geocoded again
    unless the user sent new coordinates; a changed type moves the default flag along."""
    for _ in range(_UPDATE_ATTEMPTS):
        current = _fields(_owned(db.session(), tenant_id, user_id, address_id))
        record = _checked({**current, **changes}, set(changes))
        location = _relocate(current, record, geocoder)
        try:
            row = db.transaction(_update_work(tenant_id, user_id, address_id, current, record, location))
        except _ChangedMeanwhile:
            continue  # plan again on the version that won
        return view(row)
    raise Conflict()


def _update_work(tenant_id: int, user_id: int, address_id: int, current: dict[str, Any], record: dict[str, Any],
                 location: Location | None) -> Callable[[UnitOfWork], dict[str, Any]]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        _lock_owner(uow, tenant_id, user_id)
        row = _owned(uow, tenant_id, user_id, address_id)
        if _fields(row) != current:
            raise _ChangedMeanwhile()
        changed = {name for name in record if record[name] != current[name]}
        values = _columns(record, only=changed)
        if location is not None:
            values.update(location.columns())
        old_type, new_type = row["address_type"], record["type"]
        if new_type != old_type:
            values["is_default"] = not repo.has_default(uow, tenant_id, user_id, new_type)
        repo.update(uow, tenant_id, user_id, address_id, values)
        if new_type != old_type and row["is_default"]:
            _promote_newest(uow, tenant_id, user_id, old_type)
        row = _owned(uow, tenant_id, user_id, address_id)
        uow.commit()
        return row

    return work


def delete_address(db: Database, tenant_id: int, user_id: int, address_id: int) -> None:
    """Deleting the default promotes the newest remaining address of that type."""

    def work(uow: UnitOfWork) -> None:
        _lock_owner(uow, tenant_id, user_id)
        row = _owned(uow, tenant_id, user_id, address_id)
        repo.delete(uow, tenant_id, user_id, address_id)
        if row["is_default"]:
            _promote_newest(uow, tenant_id, user_id, row["address_type"])
        uow.commit()

    db.transaction(work)


def make_default(db: Database, tenant_id: int, user_id: int, address_id: int) -> dict[str, Any]:
    """Make the address the default of its type; the previous default is cleared in the same
    transaction (under the owner lock, so two concurrent calls leave exactly one default)."""

    def work(uow: UnitOfWork) -> dict[str, Any]:
        _lock_owner(uow, tenant_id, user_id)
        row = _owned(uow, tenant_id, user_id, address_id)
        if not row["is_default"]:
            repo.clear_default(uow, tenant_id, user_id, row["address_type"])
            repo.set_default(uow, tenant_id, user_id, address_id)
            row = _owned(uow, tenant_id, user_id, address_id)
        uow.commit()
        return row

    return view(db.transaction(work))


def erase_user_addresses(uow: UnitOfWork, tenant_id: int, user_id: int) -> int:
    """KVKK erasure on account deletion (accounts.profile.delete_account): every address of the
    user goes, inside the caller's transaction.  The users row is anonymised rather than deleted,
    so the foreign key's ON DELETE CASCADE never fires; this does the erasing.  The caller
    already holds the users row, so rows are locked in the usual order (users, then addresses)."""
    return repo.delete_all_for_user(uow, tenant_id, user_id)


# -- helpers --------------------------------------------------------------------------------
def _owned(session: Session, tenant_id: int, user_id: int, address_id: int) -> dict[str, Any]:
    # Another user's or tenant's id is indistinguishable from a missing one: 404, never 403.
    row = repo.get(session, tenant_id, user_id, address_id)
    if row is None:
        raise NotFound()
    return row


def _lock_owner(uow: UnitOfWork, tenant_id: int, user_id: int) -> None:
    if not repo.lock_owner(uow, tenant_id, user_id):
        raise NotFound()


def _promote_newest(uow: UnitOfWork, tenant_id: int, user_id: int, address_type: str) -> None:
    newest = repo.newest_id(uow, tenant_id, user_id, address_type)
    if newest is not None:
        repo.set_default(uow, tenant_id, user_id, newest)


def _checked(record: dict[str, Any], sent: set[str]) -> dict[str, Any]:
    cleaned, problems = rules.check(record, sent)
    if problems:
        raise AddressRuleError(problems)
    return cleaned


def _relocate(current: dict[str, Any], record: dict[str, Any], geocoder: Geocoder | None) -> Location | None:
    """The new location of an updated address, or None to keep the stored one.

    Coordinates equal to the stored ones count as not sent: a client echoing a geocoded point
    back with a new street must not pin the old point as the user's choice.
    """
    coordinates_changed = (record["lat"], record["lng"]) != (current["lat"], current["lng"])
    moved = any(record[name] != current[name] for name in rules.LOCATION_FIELDS)
    if coordinates_changed or moved:
        return _locate(record, geocoder) if coordinates_changed else _geocode(record, geocoder)
    return None


def _locate(record: dict[str, Any], geocoder: Geocoder | None) -> Location:
    if record["lat"] is not None:
        return Location(record["lat"], record["lng"], None, MANUAL)
    return _geocode(record, geocoder)


def _geocode(record: dict[str, Any], geocoder: Geocoder | None) -> Location:
    # Imported here: reads never pay for urllib and the adapter, and the function's cold start
    # stays the platform plus this area.
    from chalicelib.adapters.maps import GeocodingError
    from chalicelib.adapters.maps import geocoder as default_geocoder

    try:
        result = (geocoder or default_geocoder()).geocode(rules.location_text(record), region="tr")
    except GeocodingError as exc:
        # The reason only: the address is personal data.
        log.warning("geocoding failed; address saved without coordinates",
                    extra={"reason": exc.reason, "retryable": exc.retryable})
        return Location(None, None, None, PENDING if exc.retryable else FAILED)
    if result is None:
        return Location(None, None, None, NOT_FOUND)
    return Location(result.lat, result.lng, result.place_id, GEOCODED, result.precision)


def _columns(record: dict[str, Any], only: set[str] | None = None) -> dict[str, Any]:
    """API-named record → column values (sealing the sensitive ones); `only` limits the fields."""
    names = set(record) if only is None else only
    values: dict[str, Any] = {name: record[name] for name in _PLAIN if name in names}
    if "type" in names:
        values["address_type"] = record["type"]
    if "billing_kind" in names:
        values["entity_type"] = record["billing_kind"]
    if "phone" in names:
        values["phone"] = rules.mask_phone(record["phone"])
        values["phone_enc"] = seal(record["phone"], PHONE_FIELD)
    if "tax_number" in names:
        values["tax_number_enc"] = _seal_optional(record["tax_number"], TAX_NUMBER_FIELD)
    if "national_id" in names:
        values["national_id_enc"] = _seal_optional(record["national_id"], NATIONAL_ID_FIELD)
    return values


def _seal_optional(value: str | None, field: str) -> bytes | None:
    return None if value is None else seal(value, field)


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    """Stored row → API-named record with the sealed values opened (for merging updates)."""
    return {
        "type": row["address_type"],
        "billing_kind": row["entity_type"],
        **{name: row[name] for name in _PLAIN},
        "phone": open_sealed(row["phone_enc"], PHONE_FIELD),
        "tax_number": open_sealed(row["tax_number_enc"], TAX_NUMBER_FIELD),
        "national_id": open_sealed(row["national_id_enc"], NATIONAL_ID_FIELD),
        "lat": row["lat"],
        "lng": row["lng"],
    }


def view(row: dict[str, Any]) -> dict[str, Any]:
    """Stored row → what the owner is shown (schemas.AddressOut): sensitive values masked."""
    return {
        "id": row["id"],
        "type": row["address_type"],
        "billing_kind": row["entity_type"],
        "is_default": bool(row["is_default"]),
        **{name: row[name] for name in _PLAIN},
        **_masked(row),
        "country_code": row["country_code"],
        "lat": row["lat"],
        "lng": row["lng"],
        "geocode_status": row["geocode_status"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def _masked(row: dict[str, Any]) -> dict[str, Any]:
    """phone_masked (kept masked beside the sealed phone), tax_number_masked, national_id_masked
    (opened to be masked; only the masked form leaves this area)."""
    tax_number = open_sealed(row["tax_number_enc"], TAX_NUMBER_FIELD)
    national_id = open_sealed(row["national_id_enc"], NATIONAL_ID_FIELD)
    return {
        "phone_masked": row["phone"],
        "tax_number_masked": rules.mask_digits(tax_number, 3) if tax_number else None,
        "national_id_masked": rules.mask_digits(national_id, 2) if national_id else None,
    }
