"""SMS: the `SmsSender` interface and its Amazon SNS implementation (direct publish to a phone
number, no topic).

Messages are marked Transactional (codes and alerts: SNS routes them for reliability rather
than cost) and carry the configured sender id where the destination country supports one.
"""
from __future__ import annotations

from typing import Protocol

from chalicelib.platform.aws import client
from chalicelib.platform.config import settings

from . import DeliveryError, provider_error_code


class SmsSender(Protocol):
    def send(self, to_e164: str, text: str) -> str:
        """Send one SMS to an E.164 number (+905321234567); returns the provider's message id,
        raises DeliveryError."""
        ...


class SnsSmsSender:
    """`SmsSender` over SNS Publish(PhoneNumber=...), through the shared boto3 client."""

    def __init__(self, sender_id: str | None = None) -> None:
        self.sender_id = sender_id or settings().sms_sender_id

    def send(self, to_e164: str, text: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError  # lazy: boto3 only where used

        try:
            response = client("sns").publish(
                PhoneNumber=to_e164,
                Message=text,
                MessageAttributes={
                    "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": self.sender_id},
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise DeliveryError("sns", provider_error_code(exc)) from exc
        return str(response["MessageId"])


_sender: SmsSender | None = None


def sms_sender() -> SmsSender:
    """The process-wide SmsSender (created on first use)."""
    global _sender
    if _sender is None:
        _sender = SnsSmsSender()
    return _sender


def reset_sms_sender() -> None:
    global _sender
    _sender = None
