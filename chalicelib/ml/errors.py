"""Errors of the ML area and their messages (joined to the platform catalogue on import).

The HTTP client translates every transport failure into MlUnavailable (`raise ... from exc`), so
nothing above it knows about sockets; a 4xx answer of the service becomes MlRefused with the
service's own code kept in the details.
"""
from __future__ import annotations

from chalicelib.platform import i18n
from chalicelib.platform.errors import ApiError, BadRequest, NotFound, ServiceUnavailable

MESSAGES: dict[str, dict[str, str]] = {
    "ml_unavailable": {
        "tr": "Makine öğrenmesi servisine şu anda ulaşılamıyor; biraz sonra yeniden deneyin.",
        "en": "The machine-learning service is unavailable right now; try again shortly.",
    },
    "ml_refused": {
        "tr": "Makine öğrenmesi servisi isteği kabul etmedi.",
        "en": "The machine-learning service refused the request.",
    },
    "anomaly_not_found": {
        "tr": "Anomali bulunamadı.",
        "en": "Anomaly not found.",
    },
    "product_required": {
        "tr": "Bu öneri türü bir ürün ister (product_id).",
        "en": "This kind of recommendation needs a product (product_id).",
    },
    "device_required": {
        "tr": "Oturum açmamış istemciler X-Device-Id başlığını göndermelidir.",
        "en": "Clients that are not signed in must send the X-Device-Id header.",
    },
}

i18n.register(messages=MESSAGES)


class MlUnavailable(ServiceUnavailable):
    """The service did not answer in time, answered 5xx, or the circuit is open."""

    code = "ml_unavailable"


class MlRefused(ApiError):
    """The service answered 4xx (an unknown model version, a bad request it caught)."""

    status, code = 400, "ml_refused"


class AnomalyNotFound(NotFound):
    code = "anomaly_not_found"


class ProductRequired(BadRequest):
    code = "product_required"


class DeviceRequired(BadRequest):
    code = "device_required"
