"""Addresses over HTTP (A1–A4): CRUD and defaults for delivery and corporate billing addresses,
validation in the one error shape, ownership (404, never 403), encryption at rest, geocoding
through the local Google fake, and concurrent default changes."""
from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.platform.config import reset_settings
from chalicelib.platform.crypto import CryptoError, open_sealed
from chalicelib.platform.db import get_db
from infra.local.fakes import google_geocoding
from tests.conftest import Api, TenantInfo, login, make_user
from tests.e2e.test_pipeline import assert_error_shape
from tests.helpers import simultaneously

DELIVERY = {
    "type": "delivery", "title": "Ev", "first_name": "Ayşe", "last_name": "Yılmaz", "phone": "0532 123 45 67",
    "il": "istanbul", "ilce": "Kadıköy", "mahalle": "Caferağa", "address_line": "Moda Cad. No 5 D 3",
    "posta_kodu": "34710",
}
CORPORATE = {
    "type": "billing", "billing_kind": "corporate", "title": "İş", "first_name": "Mehmet", "last_name": "Demir",
    "phone": "+90 542 987 65 43", "company_name": "Huğlu Av Tüfekleri Kooperatifi", "tax_office": "Beyşehir",
    "tax_number": "4540536920", "il": "Konya", "ilce": "Beyşehir", "mahalle": "Huğlu",
    "address_line": "Huğlu Mahallesi Atatürk Cad. No 1", "posta_kodu": "42700",
}


# -- fixtures -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def geocoder() -> Iterator[google_geocoding.FakeGeocodingServer]:
    """The local Google Geocoding fake, with MAPS_BASE_URL / MAPS_API_KEY pointing at it."""
    server, base_url = google_geocoding.start()
    saved = {name: os.environ.get(name) for name in ("MAPS_BASE_URL", "MAPS_API_KEY")}
    os.environ["MAPS_BASE_URL"] = base_url
    os.environ["MAPS_API_KEY"] = google_geocoding.DEFAULT_KEY
    reset_settings()
    yield server
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    reset_settings()
    server.shutdown()
    server.server_close()


@pytest.fixture
def addresses_client(client: Any, geocoder: Any) -> Iterator[Any]:
    """The whole app (app.py), with the fake geocoder running."""
    yield client


class Customer(Api):
    """An Api signed in as one customer, who is also known by id (to read raw rows)."""

    def __init__(self, client: Any, api_key: str, user_id: int, token: str) -> None:
        super().__init__(client, api_key)
        self.user_id = user_id
        self.token = token


def signed_in(client: Any, addresses_client: Any, tenant: TenantInfo) -> Customer:
    """A new customer of `tenant`, signed in through app.py, calling the addresses app."""
    user_id, email, password = make_user(tenant)
    token = login(Api(client, tenant.api_key), email, password)["access_token"]
    return Customer(addresses_client, tenant.api_key, user_id, token)


@pytest.fixture
def me(client, addresses_client, tenant) -> Customer:
    return signed_in(client, addresses_client, tenant)


def create(api: Api, body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    response = api.post("/api/addresses", {**body, **changes})
    assert response.status_code == 201, response.body
    return response.json


def raw_row(address_id: int) -> dict[str, Any]:
    row = get_db().session().one("SELECT * FROM addresses WHERE id = %s", (address_id,))
    assert row is not None
    return row


def count_rows(user_id: int) -> int:
    return int(get_db().session().scalar("SELECT COUNT(*) FROM addresses WHERE user_id = %s", (user_id,)))


def defaults(user_id: int, address_type: str) -> list[int]:
    rows = get_db().session().all(
        "SELECT id FROM addresses WHERE user_id = %s AND address_type = %s AND is_default = 1", (user_id, address_type))
    return [r["id"] for r in rows]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- create / read ------------------------------------------------------------------------------
def test_create_delivery_address_normalises_geocodes_and_becomes_default(me: Customer, geocoder):
    body = create(me, DELIVERY)
    assert body["il"] == "İstanbul" and body["ilce"] == "Kadıköy" and body["type"] == "delivery"
    assert body["phone_masked"] == "+90 532 *** ** 67"
    assert body["is_default"] is True and body["billing_kind"] == "individual"
    assert body["geocode_status"] == "ok"
    assert Decimal(body["lat"]) == Decimal("40.9903") and Decimal(body["lng"]) == Decimal("29.029")
    assert geocoder.queries[-1] == "Moda Cad. No 5 D 3, Caferağa, Kadıköy, İstanbul, 34710, Türkiye"
    assert body["tax_number_masked"] is None and body["national_id_masked"] is None

    fetched = me.get(f"/api/addresses/{body['id']}")
    assert fetched.status_code == 200 and fetched.json == body
    listed = me.get("/api/addresses")
    assert listed.status_code == 200 and listed.json == {"items": [body]}
    assert raw_row(body["id"])["place_id"] == "fake-istanbul-kadikoy"


def test_the_full_phone_never_appears_in_a_response(me: Customer):
    created = me.post("/api/addresses", DELIVERY)
    for response in (created, me.get(f"/api/addresses/{created.json['id']}"), me.get("/api/addresses")):
        assert b"1234567" not in response.body and b"123 45 67" not in response.body


def test_corporate_billing_address_round_trip(me: Customer, geocoder):
    body = create(me, CORPORATE)
    assert body["type"] == "billing" and body["billing_kind"] == "corporate"
    assert body["company_name"] == "Huğlu Av Tüfekleri Kooperatifi" and body["tax_office"] == "Beyşehir"
    assert body["tax_number_masked"] == "*******920"
    assert body["is_default"] is True  # the first billing address, whatever the delivery ones do
    assert body["geocode_status"] == "ok" and raw_row(body["id"])["place_id"] == "fake-konya-beysehir-huglu"
    delivery = create(me, DELIVERY)
    assert delivery["is_default"] is True  # defaults are per type
    assert me.get("/api/addresses?type=billing").json["items"] == [body]
    assert [a["id"] for a in me.get("/api/addresses?type=delivery").json["items"]] == [delivery["id"]]
    assert_error_shape(me.get("/api/addresses?type=home"), 400, "validation_failed")


def test_user_picked_coordinates_are_kept_and_not_geocoded(me: Customer, geocoder):
    asked = len(geocoder.queries)
    body = create(me, DELIVERY, lat=40.987654321, lng="29.0361")
    assert len(geocoder.queries) == asked
    assert body["geocode_status"] == "manual"
    assert Decimal(body["lat"]) == Decimal("40.987654") and Decimal(body["lng"]) == Decimal("29.0361")
    assert raw_row(body["id"])["place_id"] is None


# -- sensitive data at rest ---------------------------------------------------------------------
def test_tax_number_and_phone_are_sealed_at_rest(me: Customer):
    body = create(me, CORPORATE)
    row = raw_row(body["id"])
    stored = b"".join(bytes(row[c] or b"") for c in ("tax_number_enc", "phone_enc")) + row["phone"].encode()
    assert b"4540536920" not in stored and b"5429876543" not in stored
    assert row["phone"] == "+90 542 *** ** 43"
    assert open_sealed(row["tax_number_enc"], "address.tax_number") == "4540536920"
    assert open_sealed(row["phone_enc"], "address.phone") == "+905429876543"
    with pytest.raises(CryptoError):  # bound to its column: a tax number cannot pass for a phone
        open_sealed(row["tax_number_enc"], "address.phone")


def test_individual_billing_may_carry_a_sealed_tckn(me: Customer):
    body = create(me, {**DELIVERY, "type": "billing", "national_id": "10000000146"})
    assert body["national_id_masked"] == "*********46"
    row = raw_row(body["id"])
    assert b"10000000146" not in bytes(row["national_id_enc"])
    assert open_sealed(row["national_id_enc"], "address.national_id") == "10000000146"


# -- validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({**DELIVERY, "il": "Atlantis"}, {"il": "province_unknown"}),
        ({**DELIVERY, "il": "Ankara", "ilce": "Çankaya"}, {"posta_kodu": "postcode_province_mismatch"}),
        ({**DELIVERY, "posta_kodu": "3471"}, {"posta_kodu": "postcode_invalid"}),
        ({**CORPORATE, "tax_number": "4540536921"}, {"tax_number": "tax_number_invalid"}),
        ({**DELIVERY, "type": "billing", "national_id": "17291716050"}, {"national_id": "national_id_invalid"}),
        ({k: v for k, v in CORPORATE.items() if k not in ("company_name", "tax_office", "tax_number")},
         {"company_name": "missing", "tax_office": "missing", "tax_number": "missing"}),
        ({**CORPORATE, "national_id": "10000000146"}, {"national_id": "not_applicable"}),
        ({**DELIVERY, "phone": "0212 123 45 67"}, {"phone": "phone_invalid"}),
        ({**DELIVERY, "lat": 41.0}, {"lng": "coordinates_incomplete"}),
        ({**DELIVERY, "lat": 91, "lng": 29}, {"lat": "less_than_equal"}),
        ({**DELIVERY, "type": "home", "surprise": 1}, {"type": "literal_error", "surprise": "extra_forbidden"}),
    ],
    ids=["bad-il", "postcode-mismatch", "postcode-format", "bad-vkn", "bad-tckn", "corporate-missing",
         "tckn-on-corporate", "landline", "half-coordinates", "lat-range", "bad-type-and-extra"],
)
def test_invalid_addresses_are_400_with_field_names_and_store_nothing(me: Customer, body, expected):
    error = assert_error_shape(me.post("/api/addresses", body), 400, "validation_failed")
    assert {f["field"]: f["type"] for f in error["details"]["fields"]} == expected
    assert all(f["message"] for f in error["details"]["fields"])
    assert count_rows(me.user_id) == 0
    assert b"4540536921" not in json.dumps(error).encode()  # never echoes the submitted values


def test_rule_messages_follow_accept_language(me: Customer):
    body = {**DELIVERY, "il": "Ankara", "ilce": "Çankaya"}
    tr = assert_error_shape(me.post("/api/addresses", body), 400, "validation_failed")
    assert tr["details"]["fields"][0]["message"] == "Posta kodu seçilen ile ait değil."
    en = assert_error_shape(me.post("/api/addresses", body, headers={"Accept-Language": "en"}), 400,
                            "validation_failed")
    assert en["details"]["fields"][0]["message"] == "A postcode in Ankara starts with 06."


# -- update -------------------------------------------------------------------------------------
def test_partial_update_changes_only_the_sent_fields(me: Customer, geocoder):
    body = create(me, DELIVERY)
    asked = len(geocoder.queries)
    renamed = me.put(f"/api/addresses/{body['id']}", {"title": "Yazlık"})
    assert renamed.status_code == 200, renamed.body
    assert renamed.json["title"] == "Yazlık" and len(geocoder.queries) == asked  # not moved: no geocode
    assert {k: v for k, v in renamed.json.items() if k not in ("title", "updated_at")} == {
        k: v for k, v in body.items() if k not in ("title", "updated_at")}
    assert open_sealed(raw_row(body["id"])["phone_enc"], "address.phone") == "+905321234567"


def test_moving_an_address_geocodes_it_again(me: Customer, geocoder):
    body = create(me, DELIVERY)
    moved = me.put(f"/api/addresses/{body['id']}", {"il": "ANKARA", "ilce": "Çankaya", "posta_kodu": "06420",
                                                    "lat": body["lat"], "lng": body["lng"]})
    assert moved.status_code == 200, moved.body
    # The old point sent back unchanged is not taken as the user's pin for the new place.
    assert moved.json["il"] == "Ankara" and moved.json["geocode_status"] == "ok"
    assert Decimal(moved.json["lat"]) == Decimal("39.9179")
    pinned = me.put(f"/api/addresses/{body['id']}", {"lat": "39.9", "lng": "32.85"})
    assert pinned.json["geocode_status"] == "manual" and Decimal(pinned.json["lat"]) == Decimal("39.9")


def test_updates_obey_the_same_rules_and_change_nothing_when_refused(me: Customer):
    body = create(me, DELIVERY)
    cases = [
        ({"il": "Ankara"}, {"posta_kodu": "postcode_province_mismatch"}),
        ({"first_name": None}, {"first_name": "null_not_allowed"}),
        ({"billing_kind": "corporate"}, {"billing_kind": "not_applicable"}),
        ({"phone": "123"}, {"phone": "phone_invalid"}),
    ]
    for change, expected in cases:
        error = assert_error_shape(me.put(f"/api/addresses/{body['id']}", change), 400, "validation_failed")
        assert {f["field"]: f["type"] for f in error["details"]["fields"]} == expected, change
    assert me.get(f"/api/addresses/{body['id']}").json == body


def test_switching_billing_to_individual_drops_the_company_data(me: Customer):
    body = create(me, CORPORATE)
    switched = me.put(f"/api/addresses/{body['id']}", {"billing_kind": "individual"})
    assert switched.status_code == 200, switched.body
    assert switched.json["company_name"] is None and switched.json["tax_number_masked"] is None
    row = raw_row(body["id"])
    assert row["entity_type"] == "individual" and row["tax_number_enc"] is None and row["tax_office"] is None


def test_changing_the_type_moves_the_default_along(me: Customer):
    first = create(me, DELIVERY)
    second = create(me, DELIVERY, title="İş")
    moved = me.put(f"/api/addresses/{first['id']}", {"type": "billing"})
    assert moved.status_code == 200 and moved.json["is_default"] is True  # first billing address
    assert defaults(me.user_id, "delivery") == [second["id"]]
    assert defaults(me.user_id, "billing") == [first["id"]]


# -- defaults and delete ------------------------------------------------------------------------
def test_make_default_switches_the_default_of_that_type_only(me: Customer):
    billing = create(me, CORPORATE)
    first = create(me, DELIVERY)
    second = create(me, DELIVERY, title="İş")
    assert second["is_default"] is False
    response = me.post(f"/api/addresses/{second['id']}/default")
    assert response.status_code == 200 and response.json["is_default"] is True
    assert me.get(f"/api/addresses/{first['id']}").json["is_default"] is False
    assert defaults(me.user_id, "delivery") == [second["id"]]
    assert defaults(me.user_id, "billing") == [billing["id"]]
    again = me.post(f"/api/addresses/{second['id']}/default")  # already the default: no change
    assert again.status_code == 200 and defaults(me.user_id, "delivery") == [second["id"]]
    assert [a["id"] for a in me.get("/api/addresses?type=delivery").json["items"]] == [second["id"], first["id"]]


def test_deleting_the_default_promotes_the_newest_other_address(me: Customer):
    first, second, third = (create(me, DELIVERY, title=t) for t in ("A", "B", "C"))
    response = me.delete(f"/api/addresses/{first['id']}")
    assert response.status_code == 204 and not response.body
    assert defaults(me.user_id, "delivery") == [third["id"]]
    assert_error_shape(me.get(f"/api/addresses/{first['id']}"), 404, "not_found")
    assert me.delete(f"/api/addresses/{second['id']}").status_code == 204  # not the default
    assert defaults(me.user_id, "delivery") == [third["id"]]
    assert me.delete(f"/api/addresses/{third['id']}").status_code == 204
    assert me.get("/api/addresses").json == {"items": []}
    assert_error_shape(me.delete(f"/api/addresses/{third['id']}"), 404, "not_found")


def test_at_most_twenty_addresses(me: Customer):
    for n in range(20):
        create(me, DELIVERY, title=f"Adres {n}", lat="41.0", lng="29.0")  # pinned: no geocoding needed
    error = assert_error_shape(me.post("/api/addresses", DELIVERY), 409, "address_limit_reached")
    assert error["details"] == {"limit": 20} and "20" in error["message"]
    assert count_rows(me.user_id) == 20


# -- ownership and authentication ---------------------------------------------------------------
def test_another_users_address_is_404_everywhere(me: Customer, client, addresses_client, tenant):
    mine = create(me, DELIVERY)
    other = signed_in(client, addresses_client, tenant)
    path = f"/api/addresses/{mine['id']}"
    for response in (other.get(path), other.put(path, {"title": "Benim"}), other.delete(path),
                     other.post(f"{path}/default")):
        assert_error_shape(response, 404, "not_found")
    assert other.get("/api/addresses").json == {"items": []}
    assert me.get(path).json == mine  # untouched


def test_another_tenants_address_is_404(me: Customer, client, addresses_client, other_tenant):
    mine = create(me, DELIVERY)
    stranger = signed_in(client, addresses_client, other_tenant)
    path = f"/api/addresses/{mine['id']}"
    for response in (stranger.get(path), stranger.put(path, {"title": "X"}), stranger.delete(path),
                     stranger.post(f"{path}/default")):
        assert_error_shape(response, 404, "not_found")
    assert me.get(path).json == mine


def test_without_a_token_is_401(addresses_client, tenant):
    anonymous = Api(addresses_client, tenant.api_key)
    assert_error_shape(anonymous.get("/api/addresses"), 401, "token_missing")
    assert_error_shape(anonymous.post("/api/addresses", DELIVERY), 401, "token_missing")
    assert_error_shape(anonymous.post("/api/addresses/1/default"), 401, "token_missing")


# -- geocoder failures never refuse an address --------------------------------------------------
@pytest.mark.parametrize(
    ("setting", "value", "status"),
    [("MAPS_BASE_URL", None, "pending"), ("MAPS_API_KEY", "revoked-key", "failed")],
    ids=["geocoder-down", "key-refused"],
)
def test_geocoder_failure_saves_the_address_without_coordinates(me: Customer, monkeypatch, capsys, setting, value,
                                                                 status):
    monkeypatch.setenv(setting, value or f"http://127.0.0.1:{closed_port()}")
    reset_settings()
    try:
        response = me.post("/api/addresses", DELIVERY)
    finally:
        monkeypatch.undo()
        reset_settings()
    assert response.status_code == 201, response.body
    assert response.json["lat"] is None and response.json["lng"] is None
    assert response.json["geocode_status"] == status and response.json["is_default"] is True
    row = raw_row(response.json["id"])
    assert row["lat"] is None and row["geocode_status"] == status
    logged = capsys.readouterr().out
    assert "geocoding failed" in logged
    assert "Moda" not in logged and "5321234567" not in logged  # the reason only, no personal data


# -- concurrency --------------------------------------------------------------------------------


def test_two_simultaneous_make_default_calls_leave_exactly_one_default(me: Customer):
    ids = [create(me, DELIVERY, title=f"Adres {n}", lat="41.0", lng="29.0")["id"] for n in range(4)]
    for a, b in [(ids[1], ids[2]), (ids[3], ids[0]), (ids[2], ids[3]), (ids[0], ids[1]), (ids[1], ids[3])]:
        first, second = simultaneously(lambda a=a: me.post(f"/api/addresses/{a}/default"),
                                         lambda b=b: me.post(f"/api/addresses/{b}/default"))
        assert (first.status_code, second.status_code) == (200, 200), (first.body, second.body)
        assert len(winner := defaults(me.user_id, "delivery")) == 1 and winner[0] in (a, b)


def test_simultaneous_first_addresses_make_exactly_one_default(me: Customer):
    results = simultaneously(*[lambda n=n: me.post("/api/addresses", {**DELIVERY, "title": f"E{n}", "lat": "41",
                                                                        "lng": "29"}) for n in range(3)])
    assert [r.status_code for r in results] == [201, 201, 201]
    assert sum(r.json["is_default"] for r in results) == 1
    assert len(defaults(me.user_id, "delivery")) == 1


# -- account deletion ---------------------------------------------------------------------------
def test_erasing_a_users_addresses_leaves_other_users_alone(me: Customer, client, addresses_client, tenant):
    from chalicelib.addresses.service import erase_user_addresses

    create(me, DELIVERY)
    create(me, CORPORATE)
    other = signed_in(client, addresses_client, tenant)
    kept = create(other, DELIVERY)

    def work(uow):
        erased = erase_user_addresses(uow, tenant.id, me.user_id)
        uow.commit()
        return erased

    assert get_db().transaction(work) == 2
    assert count_rows(me.user_id) == 0
    assert other.get("/api/addresses").json == {"items": [kept]}
