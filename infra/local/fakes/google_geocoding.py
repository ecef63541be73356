"""A local Google Maps Geocoding API: same URL, parameters, statuses and JSON shape.

    GET /maps/api/geocode/json?address=...&key=...[&region=tr&language=tr]

It knows the centre of each of the 81 provinces and a handful of districts and towns, and
answers OK with the most specific place it recognises in the address, ZERO_RESULTS for an
address it cannot place, REQUEST_DENIED for a missing or wrong key and INVALID_REQUEST without
an address, each with HTTP 200 as Google does.  Coordinates are approximate town centres: good
enough to see an address land in the right place, not for routing.

    python -m infra.local.fakes.google_geocoding --port 8765     # for make dev
    server, base_url = start()                                   # in tests; server.shutdown()
"""
from __future__ import annotations

import argparse
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from chalicelib.platform.text import fold, slugify
from infra.local.fakes import serve_until_interrupted

PATH = "/maps/api/geocode/json"
DEFAULT_KEY = "dev-key"

# Province centres (the provincial capital), by name.
PROVINCES: dict[str, tuple[float, float]] = {
    "Adana": (37.0000, 35.3213), "Adıyaman": (37.7648, 38.2786), "Afyonkarahisar": (38.7507, 30.5567),
    "Ağrı": (39.7191, 43.0503), "Amasya": (40.6499, 35.8353), "Ankara": (39.9334, 32.8597),
    "Antalya": (36.8969, 30.7133), "Artvin": (41.1828, 41.8183), "Aydın": (37.8560, 27.8416),
    "Balıkesir": (39.6484, 27.8826), "Bilecik": (40.1506, 29.9792), "Bingöl": (38.8847, 40.4939),
    "Bitlis": (38.4006, 42.1095), "Bolu": (40.7350, 31.6061), "Burdur": (37.7203, 30.2908),
    "Bursa": (40.1826, 29.0665), "Çanakkale": (40.1553, 26.4142), "Çankırı": (40.6013, 33.6134),
    "Çorum": (40.5506, 34.9556), "Denizli": (37.7765, 29.0864), "Diyarbakır": (37.9144, 40.2306),
    "Edirne": (41.6818, 26.5623), "Elazığ": (38.6810, 39.2264), "Erzincan": (39.7500, 39.5000),
    "Erzurum": (39.9000, 41.2700), "Eskişehir": (39.7767, 30.5206), "Gaziantep": (37.0662, 37.3833),
    "Giresun": (40.9128, 38.3895), "Gümüşhane": (40.4386, 39.5086), "Hakkari": (37.5833, 43.7333),
    "Hatay": (36.2021, 36.1603), "Isparta": (37.7648, 30.5566), "Mersin": (36.8000, 34.6333),
    "İstanbul": (41.0082, 28.9784), "İzmir": (38.4192, 27.1287), "Kars": (40.6167, 43.1000),
    "Kastamonu": (41.3887, 33.7827), "Kayseri": (38.7312, 35.4787), "Kırklareli": (41.7333, 27.2167),
    "Kırşehir": (39.1425, 34.1709), "Kocaeli": (40.7654, 29.9408), "Konya": (37.8667, 32.4833),
    "Kütahya": (39.4167, 29.9833), "Malatya": (38.3552, 38.3095), "Manisa": (38.6191, 27.4289),
    "Kahramanmaraş": (37.5858, 36.9371), "Mardin": (37.3212, 40.7245), "Muğla": (37.2153, 28.3636),
    "Muş": (38.9462, 41.7539), "Nevşehir": (38.6939, 34.6857), "Niğde": (37.9667, 34.6833),
    "Ordu": (40.9839, 37.8764), "Rize": (41.0201, 40.5234), "Sakarya": (40.7806, 30.4033),
    "Samsun": (41.2928, 36.3313), "Siirt": (37.9333, 41.9500), "Sinop": (42.0231, 35.1531),
    "Sivas": (39.7477, 37.0179), "Tekirdağ": (40.9833, 27.5167), "Tokat": (40.3167, 36.5500),
    "Trabzon": (41.0015, 39.7178), "Tunceli": (39.1079, 39.5401), "Şanlıurfa": (37.1591, 38.7969),
    "Uşak": (38.6823, 29.4082), "Van": (38.4891, 43.4089), "Yozgat": (39.8181, 34.8147),
    "Zonguldak": (41.4564, 31.7987), "Aksaray": (38.3687, 34.0370), "Bayburt": (40.2552, 40.2249),
    "Karaman": (37.1759, 33.2287), "Kırıkkale": (39.8468, 33.5153), "Batman": (37.8812, 41.1351),
    "Şırnak": (37.5164, 42.4611), "Bartın": (41.6344, 32.3375), "Ardahan": (41.1105, 42.7022),
    "Iğdır": (39.9237, 44.0450), "Yalova": (40.6500, 29.2667), "Karabük": (41.2061, 32.6204),
    "Kilis": (36.7184, 37.1212), "Osmaniye": (37.0742, 36.2478), "Düzce": (40.8438, 31.1565),
}


@dataclass(frozen=True)
class Place:
    """A district (ilçe) or, with `district` set, a town or neighbourhood inside one."""

    name: str
    province: str
    lat: float
    lng: float
    district: str | None = None


PLACES: tuple[Place, ...] = (
    Place("Kadıköy", "İstanbul", 40.9903, 29.0290),
    Place("Beşiktaş", "İstanbul", 41.0430, 29.0094),
    Place("Üsküdar", "İstanbul", 41.0260, 29.0150),
    Place("Fatih", "İstanbul", 41.0186, 28.9397),
    Place("Şişli", "İstanbul", 41.0600, 28.9870),
    Place("Çankaya", "Ankara", 39.9179, 32.8627),
    Place("Keçiören", "Ankara", 39.9800, 32.8650),
    Place("Yenimahalle", "Ankara", 39.9700, 32.8100),
    Place("Konak", "İzmir", 38.4120, 27.1380),
    Place("Karşıyaka", "İzmir", 38.4550, 27.1100),
    Place("Bornova", "İzmir", 38.4700, 27.2200),
    Place("Nilüfer", "Bursa", 40.2140, 28.9560),
    Place("Osmangazi", "Bursa", 40.1950, 29.0600),
    Place("Muratpaşa", "Antalya", 36.8840, 30.7040),
    Place("Selçuklu", "Konya", 37.8950, 32.4900),
    Place("Meram", "Konya", 37.8400, 32.4400),
    Place("Karatay", "Konya", 37.8700, 32.5200),
    Place("Beyşehir", "Konya", 37.6770, 31.7250),
    Place("Hüyük", "Konya", 37.9530, 31.5960),
    Place("Huğlu", "Konya", 37.5960, 31.6200, district="Beyşehir"),
)

_PROVINCE_BY_KEY = {fold(name): name for name in PROVINCES}


def _components(address: str) -> list[str]:
    """Folded address parts, split on commas and the 'ilçe/il' slash Turkish addresses use."""
    return [part for chunk in address.replace("/", ",").split(",") if (part := fold(chunk))]


def _find_province(parts: Sequence[str], text: str) -> str | None:
    # The il is usually near the end: scanning backwards keeps an "Ankara Caddesi" in the
    # street line from beating the "İstanbul" written after it.
    for part in reversed(parts):
        if part in _PROVINCE_BY_KEY:
            return _PROVINCE_BY_KEY[part]
    return next((name for key, name in _PROVINCE_BY_KEY.items() if f" {key} " in text), None)


def _find_place(parts: Sequence[str], text: str, province: str | None) -> Place | None:
    candidates = [p for p in PLACES if province is None or p.province == province]
    # Towns before districts: "Huğlu, Beyşehir, Konya" is Huğlu.
    candidates.sort(key=lambda p: p.district is None)
    for place in candidates:
        key = fold(place.name)
        if key in parts or f" {key} " in text:
            return place
    return None


def lookup(address: str) -> list[dict[str, Any]]:
    """Google-shaped results for `address`: the most specific known place, or []."""
    parts = _components(address)
    text = f" {' '.join(parts)} "
    province = _find_province(parts, text)
    place = _find_place(parts, text, province)
    if place is not None:
        return [_place_result(place)]
    if province is not None:
        lat, lng = PROVINCES[province]
        return [_result(f"{province}, Türkiye", (lat, lng), [(province, "administrative_area_level_1")],
                        "administrative_area_level_1")]
    return []


def _place_result(place: Place) -> dict[str, Any]:
    chain: list[tuple[str, str]] = []
    if place.district is not None:
        chain.append((place.name, "locality"))
        chain.append((place.district, "administrative_area_level_2"))
        formatted = f"{place.name}, {place.district}/{place.province}, Türkiye"
    else:
        chain.append((place.name, "administrative_area_level_2"))
        formatted = f"{place.name}/{place.province}, Türkiye"
    chain.append((place.province, "administrative_area_level_1"))
    return _result(formatted, (place.lat, place.lng), chain, chain[0][1])


def _result(formatted: str, point: tuple[float, float], chain: list[tuple[str, str]], kind: str) -> dict[str, Any]:
    lat, lng = point
    components = [{"long_name": name, "short_name": name, "types": [level, "political"]} for name, level in chain]
    components.append({"long_name": "Türkiye", "short_name": "TR", "types": ["country", "political"]})
    return {
        "address_components": components,
        "formatted_address": formatted,
        "geometry": {
            "location": {"lat": lat, "lng": lng},
            # Google calls a town or province centre APPROXIMATE; ROOFTOP needs a real building.
            "location_type": "APPROXIMATE",
            "viewport": {"northeast": {"lat": lat + 0.05, "lng": lng + 0.05},
                         "southwest": {"lat": lat - 0.05, "lng": lng - 0.05}},
        },
        "place_id": "fake-" + slugify(" ".join(name for name, _ in reversed(chain))),
        "types": [kind, "political"],
    }


def answer(query: dict[str, list[str]], api_key: str) -> dict[str, Any]:
    """The JSON body Google would send for these query parameters."""
    key = (query.get("key") or [""])[-1]
    if not key:
        return {"error_message": "You must use an API key to authenticate each request to Google Maps Platform APIs.",
                "results": [], "status": "REQUEST_DENIED"}
    if key != api_key:
        return {"error_message": "The provided API key is invalid.", "results": [], "status": "REQUEST_DENIED"}
    address = (query.get("address") or [""])[-1].strip()
    if not address:
        return {"error_message": "Invalid request. Missing the 'address', 'components', 'latlng' or 'place_id' "
                "parameter.", "results": [], "status": "INVALID_REQUEST"}
    results = lookup(address)
    return {"results": results, "status": "OK" if results else "ZERO_RESULTS"}


class FakeGeocodingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], api_key: str = DEFAULT_KEY) -> None:
        super().__init__(address, _Handler)
        self.api_key = api_key
        self.queries: list[str] = []  # addresses asked about, so tests can see whether we were called
        self._lock = threading.Lock()

    def record(self, address: str) -> None:
        with self._lock:
            self.queries.append(address)


class _Handler(BaseHTTPRequestHandler):
    server: FakeGeocodingServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        if url.path != PATH:
            self._send(404, {"error_message": "Not found", "status": "NOT_FOUND"})
            return
        query = parse_qs(url.query)
        self.server.record((query.get("address") or [""])[-1])
        self._send(200, answer(query, self.server.api_key))

    def _send(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body, ensure_ascii=False, indent=3).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        pass  # quiet: the query string holds the key and customers' addresses


def start(port: int = 0, *, host: str = "127.0.0.1", api_key: str = DEFAULT_KEY) -> tuple[FakeGeocodingServer, str]:
    """Serve in a background thread; returns the server and its base URL (MAPS_BASE_URL).
    Stop it with `server.shutdown(); server.server_close()`."""
    server = FakeGeocodingServer((host, port), api_key)
    threading.Thread(target=server.serve_forever, name="fake-google-geocoding", daemon=True).start()
    bound_host, bound_port = server.server_address[:2]
    return server, f"http://{bound_host!s}:{bound_port}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--key", default=os.environ.get("MAPS_API_KEY", DEFAULT_KEY), help="the API key to accept")
    args = parser.parse_args(argv)
    server = FakeGeocodingServer((args.host, args.port), args.key)
    return serve_until_interrupted(server, f"fake Google Geocoding API on http://{args.host}:{args.port}{PATH}")


if __name__ == "__main__":
    raise SystemExit(main())
