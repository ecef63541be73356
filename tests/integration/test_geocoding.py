"""The maps adapter over real HTTP: against the local Google Geocoding fake (which must speak
Google's protocol) and against small servers that misbehave the ways a network does."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from chalicelib.adapters.maps import GeocodingError, GoogleGeocoder
from chalicelib.addresses.provinces import PROVINCES
from infra.local.fakes import google_geocoding as fake

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fake_google() -> Iterator[tuple[fake.FakeGeocodingServer, str]]:
    server, base_url = fake.start()
    yield server, base_url
    server.shutdown()
    server.server_close()


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("application/json")
        return json.loads(response.read())


@pytest.fixture
def canned() -> Iterator[Callable[[int, bytes], str]]:
    """Start a server answering every request with one fixed (status, body)."""
    servers: list[ThreadingHTTPServer] = []

    def start(status: int, body: bytes) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


# -- the fake speaks Google's protocol ----------------------------------------------------------
def test_fake_answers_in_googles_json_shape(fake_google):
    _, base_url = fake_google
    body = _get_json(f"{base_url}/maps/api/geocode/json?address=Moda+Cad.+5%2C+Kad%C4%B1k%C3%B6y%2C+%C4%B0stanbul"
                     "&region=tr&language=tr&key=dev-key")
    assert body["status"] == "OK"
    result = body["results"][0]
    assert result["formatted_address"] == "Kadıköy/İstanbul, Türkiye"
    assert set(result["geometry"]["location"]) == {"lat", "lng"}
    assert result["geometry"]["location_type"] == "APPROXIMATE"
    assert result["place_id"] and "administrative_area_level_2" in result["types"]
    assert {"long_name": "Türkiye", "short_name": "TR", "types": ["country", "political"]} in (
        result["address_components"])


def test_fake_statuses(fake_google):
    _, base_url = fake_google
    path = f"{base_url}/maps/api/geocode/json"
    assert _get_json(f"{path}?address=Atlantis&key=dev-key") == {"results": [], "status": "ZERO_RESULTS"}
    denied = _get_json(f"{path}?address=Konya&key=wrong")
    assert denied["status"] == "REQUEST_DENIED" and denied["error_message"] and denied["results"] == []
    assert _get_json(f"{path}?address=Konya")["status"] == "REQUEST_DENIED"
    assert _get_json(f"{path}?key=dev-key")["status"] == "INVALID_REQUEST"


def test_fake_knows_every_province_and_the_listed_districts(fake_google):
    _, base_url = fake_google
    geocoder = GoogleGeocoder(base_url, "dev-key")
    assert set(fake.PROVINCES) == {p.name for p in PROVINCES}
    for province in ("Düzce", "Iğdır", "Şanlıurfa", "ISTANBUL"):
        assert geocoder.geocode(f"Cumhuriyet Cad. 1, {province}, Türkiye") is not None, province
    huglu = geocoder.geocode("Huğlu Mahallesi, Beyşehir, Konya, Türkiye")
    assert huglu is not None and huglu.formatted_address == "Huğlu, Beyşehir/Konya, Türkiye"
    cankaya = geocoder.geocode("Atatürk Bulvarı 1, Çankaya, Ankara, Türkiye")
    assert cankaya is not None and cankaya.formatted_address == "Çankaya/Ankara, Türkiye"


# -- the adapter maps Google's answers to ours ---------------------------------------------------
def test_ok_becomes_a_geo_result_with_decimal_coordinates(fake_google):
    server, base_url = fake_google
    result = GoogleGeocoder(base_url, "dev-key").geocode("Moda Cad. 5, Kadıköy, İstanbul, Türkiye")
    assert result is not None
    assert result.lat == Decimal("40.990300") and result.lng == Decimal("29.029000")
    assert isinstance(result.lat, Decimal) and result.lat.as_tuple().exponent == -6
    assert result.place_id == "fake-istanbul-kadikoy" and result.precision == "APPROXIMATE"
    assert server.queries[-1] == "Moda Cad. 5, Kadıköy, İstanbul, Türkiye"


def test_zero_results_is_none(fake_google):
    assert GoogleGeocoder(fake_google[1], "dev-key").geocode("Nowhere Street, Atlantis") is None


def test_refusals_are_errors_that_need_a_fix_before_retrying(fake_google):
    with pytest.raises(GeocodingError) as denied:
        GoogleGeocoder(fake_google[1], "not-the-key").geocode("Konya")
    assert denied.value.reason == "request_denied" and not denied.value.retryable
    with pytest.raises(GeocodingError) as invalid:
        GoogleGeocoder(fake_google[1], "dev-key").geocode("")
    assert invalid.value.reason == "invalid_request" and not invalid.value.retryable


@pytest.mark.parametrize(
    ("status", "body", "reason", "retryable"),
    [
        (200, b'{"results": [], "status": "OVER_QUERY_LIMIT"}', "over_query_limit", True),
        (200, b'{"results": [], "status": "UNKNOWN_ERROR"}', "unknown_error", True),
        (200, b'{"results": [{}], "status": "OK"}', "malformed_response", True),
        (200, b"<html>not json</html>", "malformed_response", True),
        (500, b"{}", "http_500", True),
        (403, b"{}", "http_403", False),
    ],
)
def test_quota_server_and_protocol_failures(canned, status, body, reason, retryable):
    with pytest.raises(GeocodingError) as exc:
        GoogleGeocoder(canned(status, body), "k").geocode("Konya")
    assert (exc.value.reason, exc.value.retryable) == (reason, retryable)


def test_unreachable_geocoder_is_a_retryable_error_without_the_url():
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(GeocodingError) as exc:
        GoogleGeocoder(f"http://127.0.0.1:{port}", "secret-key").geocode("Moda Cad. 5, Kadıköy")
    assert exc.value.retryable and exc.value.reason.startswith("unreachable")
    # Neither the key nor the customer's address may reach a log through the exception.
    assert exc.value.__cause__ is None and exc.value.__suppress_context__
    assert "secret-key" not in str(exc.value) and "Moda" not in str(exc.value)


def test_a_geocoder_that_does_not_answer_times_out():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection (kernel backlog) but never answers
    try:
        started = time.monotonic()
        with pytest.raises(GeocodingError) as exc:
            GoogleGeocoder(f"http://127.0.0.1:{listener.getsockname()[1]}", "k", timeout=0.3).geocode("Konya")
        assert exc.value.reason == "timeout" and exc.value.retryable
        assert time.monotonic() - started < 2
    finally:
        listener.close()


def test_default_timeout_is_two_seconds():
    assert GoogleGeocoder().timeout == 2.0


# -- `make dev` runs the fake as a module -------------------------------------------------------
def test_fake_runs_from_the_command_line():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "infra.local.fakes.google_geocoding", "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                body = _get_json(f"http://127.0.0.1:{port}/maps/api/geocode/json?address=Konya&key=dev-key")
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.1)
        assert body["status"] == "OK" and body["results"][0]["formatted_address"] == "Konya, Türkiye"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
