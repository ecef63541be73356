"""Maps: the `Geocoder` interface and its Google Maps Geocoding API implementation.

    GET {MAPS_BASE_URL}/maps/api/geocode/json?address=...&region=tr&language=tr&key=...

Production points MAPS_BASE_URL at https://maps.googleapis.com; `make dev` and the tests point
it at infra/local/fakes/google_geocoding.py, which speaks the same protocol.  Only the standard
library is used (urllib, 2 s timeout), so the addresses Lambda carries no HTTP client package.

Google's statuses become ours: OK → GeoResult, ZERO_RESULTS → None, anything else (and every
network or protocol failure) → GeocodingError.  Error messages never contain the request URL:
it carries the API key and the customer's address.
"""
from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from chalicelib.platform.config import settings

TIMEOUT_SECONDS = 2.0
COORDINATE_PLACES = Decimal("0.000001")  # addresses.lat / lng are DECIMAL(9,6)

# Google statuses after which asking again later can succeed; the others need a fix first
# (a valid key, a well-formed request).
_RETRYABLE_STATUSES = {"OVER_QUERY_LIMIT", "OVER_DAILY_LIMIT", "UNKNOWN_ERROR"}


@dataclass(frozen=True)
class GeoResult:
    lat: Decimal
    lng: Decimal
    formatted_address: str
    place_id: str | None
    precision: str  # Google's location_type: ROOFTOP, RANGE_INTERPOLATED, GEOMETRIC_CENTER, APPROXIMATE


class GeocodingError(Exception):
    """The geocoder could not answer.  `reason` is a short code safe to log (no URL, no address);
    `retryable` says whether asking again later may succeed without anyone fixing anything."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        self.reason = reason
        self.retryable = retryable
        super().__init__(f"geocoding failed: {reason}")


class Geocoder(Protocol):
    def geocode(self, address_text: str, region: str = "tr") -> GeoResult | None:
        """The best match for a one-line address, None when nothing matches; raises GeocodingError."""
        ...


class GoogleGeocoder:
    """`Geocoder` over the Google Maps Geocoding API (or anything speaking its protocol).

    Without arguments it reads MAPS_BASE_URL / MAPS_API_KEY from the settings on every call, so
    a configuration change (or a test's `reset_settings()`) takes effect at once.
    """

    def __init__(self, base_url: str | None = None, api_key: str | None = None,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        self._base_url = base_url
        self._api_key = api_key
        self.timeout = timeout

    def geocode(self, address_text: str, region: str = "tr") -> GeoResult | None:
        cfg = settings()
        base_url = (self._base_url or cfg.maps_base_url).rstrip("/")
        query = urllib.parse.urlencode({"address": address_text, "region": region, "language": region,
                                        "key": self._api_key or cfg.maps_api_key})
        return _parse(self._fetch(f"{base_url}/maps/api/geocode/json?{query}"))

    def _fetch(self, url: str) -> dict[str, Any]:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        # `from None` below: the original exception's text can include the URL (key and address).
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:  # before URLError: it is a subclass
            raise GeocodingError(f"http_{exc.code}", retryable=exc.code >= 500 or exc.code == 429) from None
        except urllib.error.URLError as exc:  # connect failures; a connect timeout arrives wrapped here
            cause = exc.reason if isinstance(exc.reason, BaseException) else exc
            raise GeocodingError(_network_reason(cause), retryable=True) from None
        except (OSError, http.client.HTTPException) as exc:  # read timeout, reset or garbled response
            raise GeocodingError(_network_reason(exc), retryable=True) from None
        try:
            data = json.loads(body, parse_float=Decimal)
        except ValueError:
            raise GeocodingError("malformed_response", retryable=True) from None
        if not isinstance(data, dict):
            raise GeocodingError("malformed_response", retryable=True)
        return data


def _network_reason(exc: BaseException) -> str:
    return "timeout" if isinstance(exc, TimeoutError) else f"unreachable_{type(exc).__name__}"


def _parse(data: dict[str, Any]) -> GeoResult | None:
    status = data.get("status")
    if status == "ZERO_RESULTS":
        return None
    if status != "OK":
        reason = str(status or "no_status").lower()
        raise GeocodingError(reason, retryable=status in _RETRYABLE_STATUSES)
    try:
        best = data["results"][0]
        location = best["geometry"]["location"]
        return GeoResult(
            lat=Decimal(str(location["lat"])).quantize(COORDINATE_PLACES),
            lng=Decimal(str(location["lng"])).quantize(COORDINATE_PLACES),
            formatted_address=str(best.get("formatted_address") or ""),
            place_id=best.get("place_id"),
            precision=str(best["geometry"].get("location_type") or "APPROXIMATE"),
        )
    except (KeyError, IndexError, TypeError, ArithmeticError):
        raise GeocodingError("malformed_response", retryable=True) from None


_geocoder: Geocoder | None = None


def geocoder() -> Geocoder:
    """The process-wide Geocoder (created on first use)."""
    global _geocoder
    if _geocoder is None:
        _geocoder = GoogleGeocoder()
    return _geocoder
