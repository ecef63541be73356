"""E-mail: the `Mailer` interface and its Amazon SES implementation.

SES's v1 `SendEmail` API: the sender (MAIL_FROM) must be a verified identity, address or
domain; infra/local/aws_resources.py verifies it on the emulator, the stack's operator in AWS.
"""
from __future__ import annotations

from typing import Any, Protocol

from chalicelib.platform.aws import client
from chalicelib.platform.config import settings

from . import DeliveryError, provider_error_code


class Mailer(Protocol):
    def send(self, to: str, subject: str, text: str, html: str | None = None) -> str:
        """Send one e-mail; returns the provider's message id, raises DeliveryError."""
        ...


class SesMailer:
    """`Mailer` over SES, through the shared boto3 client (so AWS_ENDPOINT_URL applies)."""

    def __init__(self, sender: str | None = None) -> None:
        self.sender = sender or settings().mail_from

    def send(self, to: str, subject: str, text: str, html: str | None = None) -> str:
        # Turkish text: every part declares UTF-8, or SES falls back to 7-bit ASCII.
        body: dict[str, Any] = {"Text": {"Data": text, "Charset": "UTF-8"}}
        if html is not None:
            body["Html"] = {"Data": html, "Charset": "UTF-8"}
        from botocore.exceptions import BotoCoreError, ClientError  # lazy: boto3 only where used

        try:
            response = client("ses").send_email(
                Source=self.sender,
                Destination={"ToAddresses": [to]},
                Message={"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": body},
            )
        except (ClientError, BotoCoreError) as exc:
            raise DeliveryError("ses", provider_error_code(exc)) from exc
        return str(response["MessageId"])


_mailer: Mailer | None = None


def mailer() -> Mailer:
    """The process-wide Mailer (created on first use, like the boto3 clients)."""
    global _mailer
    if _mailer is None:
        _mailer = SesMailer()
    return _mailer


def reset_mailer() -> None:
    """Forget the cached Mailer (tests change MAIL_FROM)."""
    global _mailer
    _mailer = None
