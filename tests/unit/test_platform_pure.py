"""Pure platform pieces: language negotiation, messages, config parsing, gzip, path ids, worker
schedule parsing."""
from __future__ import annotations

import base64
import gzip
import json

import pytest
from pydantic import BaseModel, Field, ValidationError

from chalicelib.platform import i18n
from chalicelib.platform.config import DbTarget, reset_settings, settings
from chalicelib.platform.context import RequestContext
from chalicelib.platform.errors import NotFound, validation_details
from chalicelib.platform.http import error_response, gzip_if_worthwhile
from chalicelib.platform.routing import _path_values
from infra.local.worker import interval_seconds


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "tr"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("de-DE,de;q=0.9,en;q=0.5", "en"),
        ("en;q=0.4,tr;q=0.8", "tr"),
        ("fr", "tr"),
        ("tr-TR", "tr"),
        ("en;q=abc", "en"),
    ],
)
def test_accept_language_negotiation(header, expected):
    assert i18n.negotiate(header, "tr") == expected


def test_every_message_exists_in_both_languages():
    for code, texts in i18n.MESSAGES.items():
        assert set(texts) == {"tr", "en"}, code
        assert all(texts.values()), code


def test_message_parameters_are_filled():
    assert i18n.message("rate_limited", "en", retry_after=12) == "Too many requests. Please try again in 12 seconds."


def test_validation_details_name_fields_in_turkish():
    class M(BaseModel):
        name: str = Field(min_length=3)
        qty: int

    with pytest.raises(ValidationError) as info:
        M.model_validate({"name": "a", "qty": "x"})
    fields = {f["field"]: f["message"] for f in validation_details(info.value, "tr")["fields"]}
    assert fields == {"name": "Çok kısa.", "qty": "Tam sayı olmalıdır."}


def test_error_response_shape_and_language():
    response = error_response(NotFound(), RequestContext(request_id="r1", lang="en"))
    assert response.status_code == 404
    assert json.loads(response.body) == {"error": {"code": "not_found", "message": "The resource was not found.",
                                                   "details": None}}


def test_unknown_exception_is_a_generic_500():
    response = error_response(KeyError("users.password_hash"), RequestContext(request_id="r1", lang="tr"))
    assert response.status_code == 500
    assert "password_hash" not in response.body


def test_database_url_parsing():
    target = DbTarget.parse("mysql+pymysql://app:s%40cret@db.internal:3307/huglu?connect_timeout=3")
    assert (target.user, target.password, target.host, target.port, target.database) == (
        "app", "s@cret", "db.internal", 3307, "huglu")
    assert target.params == {"connect_timeout": "3"}
    with pytest.raises(ValueError):
        DbTarget.parse("postgres://x/y")


def test_production_refuses_development_secrets(monkeypatch):
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.delenv("JWT_SECRET", raising=False)
    reset_settings()
    try:
        with pytest.raises(RuntimeError):
            settings()
    finally:
        monkeypatch.undo()
        reset_settings()


def test_bcrypt_cost_defaults_to_12(monkeypatch):
    monkeypatch.delenv("BCRYPT_ROUNDS")
    reset_settings()
    try:
        assert settings().bcrypt_rounds == 12
    finally:
        monkeypatch.undo()
        reset_settings()


def _proxy_response(body: str) -> dict:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body}


def test_gzip_only_when_accepted_and_large():
    big = json.dumps({"items": ["Şişme Yatak"] * 500})
    event = {"headers": {"Accept-Encoding": "gzip, br"}}
    out = gzip_if_worthwhile(event, _proxy_response(big), 1024)
    assert out["isBase64Encoded"] and out["headers"]["Content-Encoding"] == "gzip"
    assert gzip.decompress(base64.b64decode(out["body"])).decode() == big
    assert "isBase64Encoded" not in gzip_if_worthwhile({"headers": {}}, _proxy_response(big), 1024)
    assert "isBase64Encoded" not in gzip_if_worthwhile(event, _proxy_response('{"a":1}'), 1024)


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "1.5", "99999999999999999999"])
def test_bad_path_ids_are_404(raw):
    with pytest.raises(NotFound):
        _path_values({"product_id": raw})


def test_path_ids_become_ints():
    assert _path_values({"product_id": "42", "slug": "kamp"}) == {"product_id": 42, "slug": "kamp"}


def test_schedule_expressions():
    assert interval_seconds("rate(1 hour)") == 3600
    assert interval_seconds("rate(5 minutes)") == 300
    assert interval_seconds("cron(0 3 * * ? *)") is None


def test_one_error_code_means_one_thing() -> None:
    """platform/i18n.register refuses a code registered again with other texts (two areas
    answering one code differently), and accepts the same registration twice."""
    import pytest

    from chalicelib.platform import i18n

    texts = {"tr": "Deneme.", "en": "Trial."}
    i18n.register(messages={"test_only_code": texts})
    i18n.register(messages={"test_only_code": dict(texts)})
    with pytest.raises(ValueError, match="test_only_code"):
        i18n.register(messages={"test_only_code": {"tr": "Başka.", "en": "Other."}})
    with pytest.raises(ValueError, match="test_only_type"):
        i18n.register(field_messages_tr={"test_only_type": "Bir."})
        i18n.register(field_messages_tr={"test_only_type": "İki."})
