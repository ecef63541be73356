"""SMS: the `SmsSender` interface, its Amazon SNS implementation (direct publish to a phone
number, no topic) and a Turkish gateway, Netgsm, over its REST v2 HTTP API.  SMS_PROVIDER
("sns", the default, or "netgsm") picks one.

SNS: messages are marked Transactional (codes and alerts: SNS routes them for reliability
rather than cost) and carry the configured sender id where the destination country supports one.

Netgsm REST v2 (Netgsm's published API; infra/local/fakes/sms_gateway.py speaks it):

    POST {NETGSM_URL}/sms/rest/v2/send     Authorization: Basic base64(usercode:password)
        {"msgheader": "<approved sender name>", "encoding": "TR", "iysfilter": "0"|"11"|"12",
         "messages": [{"msg": "...", "no": "5321234567"}]}
        200 {"code": "00", "jobid": "...", "description": "queued"}     accepted
        otherwise {"code": "<code>", "description": ...}:
            20 text problem / too long, 30 bad credentials or no API access, 40 unknown msgheader,
            50 / 51 İYS-controlled sending not set up, 70 bad parameters,
            80 sending limit exceeded, 85 duplicate limit (same number, same minute),
            100 / 101 system error.
    iysfilter: "0" informational (transactional, not checked against İYS), "11" commercial to
    individuals (BIREYSEL), "12" commercial to merchants (TACIR).  Netgsm drops a commercial
    message to a number without İYS consent; ours are sent only with our own consent record too.
    Numbers go without "+90": the gateway takes Turkish numbers only; others fail as code 70.
"""
from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request
from functools import lru_cache
from typing import Any, Protocol

from chalicelib.platform.aws import client
from chalicelib.platform.config import settings

from . import DeliveryError, provider_error_code


class SmsSender(Protocol):
    def send(self, to_e164: str, text: str) -> str:
        """Send one SMS to an E.164 number (+905321234567); returns the provider's message id,
        raises DeliveryError."""
        ...


# Codes worth trying again later (limits, the gateway's own trouble); the rest fail the message.
NETGSM_RETRYABLE = frozenset({"80", "85", "100", "101"})


def provider_name() -> str:
    """SMS_PROVIDER: "sns" (default) or "netgsm"."""
    name = (os.environ.get("SMS_PROVIDER") or "sns").strip().lower()
    if name not in {"sns", "netgsm"}:
        raise RuntimeError(f"SMS_PROVIDER must be sns or netgsm, not {name!r}")
    return name


@lru_cache(maxsize=1)
def _netgsm_config() -> tuple[str, str, str, str, float]:
    """NETGSM_URL (the local fake in local/test stages), NETGSM_USERCODE, NETGSM_PASSWORD,
    NETGSM_MSGHEADER (else SMS_SENDER_ID), timeout.  Production refuses the development login."""
    env = os.environ.get
    local = settings().stage in {"local", "test"}
    cfg = ((env("NETGSM_URL") or ("http://127.0.0.1:8769" if local else "https://api.netgsm.com.tr")).rstrip("/"),
           env("NETGSM_USERCODE") or "dev-netgsm-user", env("NETGSM_PASSWORD") or "dev-netgsm-password",
           env("NETGSM_MSGHEADER") or settings().sms_sender_id, float(env("NETGSM_TIMEOUT_SECONDS") or 10))
    if settings().is_production and cfg[1] == "dev-netgsm-user":
        raise RuntimeError("NETGSM_USERCODE and NETGSM_PASSWORD must be set in production")
    return cfg


class NetgsmSmsSender:
    """`SmsSender` over Netgsm's REST v2 send.  `commercial` sends with iysfilter 11 (İYS-checked
    by Netgsm as well); transactional messages go with 0."""

    def __init__(self, commercial: bool = False) -> None:
        self.base_url, self.usercode, self.password, self.header, self.timeout = _netgsm_config()
        self.commercial = commercial

    def send(self, to_e164: str, text: str) -> str:
        if not to_e164.startswith("+90"):
            raise DeliveryError("netgsm", "70")  # the gateway reaches Turkish numbers only
        body = {"msgheader": self.header, "encoding": "TR", "iysfilter": "11" if self.commercial else "0",
                "messages": [{"msg": text, "no": to_e164[3:]}]}
        auth = base64.b64encode(f"{self.usercode}:{self.password}".encode()).decode()
        request = urllib.request.Request(
            self.base_url + "/sms/rest/v2/send", data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            method="POST", headers={"Content-Type": "application/json; charset=utf-8", "Authorization": f"Basic {auth}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                answer: Any = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                answer = json.loads(exc.read() or b"{}")
            except ValueError:
                answer = {}
            code = str(answer.get("code") or f"http_{exc.code}") if isinstance(answer, dict) else f"http_{exc.code}"
            raise DeliveryError("netgsm", code) from exc
        except (OSError, ValueError) as exc:
            raise DeliveryError("netgsm", type(exc).__name__) from exc
        if not isinstance(answer, dict) or str(answer.get("code")) != "00" or not answer.get("jobid"):
            code = str(answer.get("code") or "bad_response") if isinstance(answer, dict) else "bad_response"
            raise DeliveryError("netgsm", code)
        return str(answer["jobid"])


def is_retryable(error: DeliveryError) -> bool:
    """Whether a failed SMS is worth another try (a limit or the provider's trouble)."""
    if error.provider == "netgsm":
        return error.code in NETGSM_RETRYABLE or error.code.startswith("http_5") or error.code in {
            "http_429", "URLError", "TimeoutError", "ConnectionRefusedError", "RemoteDisconnected"}
    return error.code in {"Throttling", "ThrottlingException", "InternalError", "ServiceUnavailable",
                          "EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"}


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
        _sender = NetgsmSmsSender() if provider_name() == "netgsm" else SnsSmsSender()
    return _sender


def marketing_sms_sender() -> SmsSender:
    """The sender for commercial SMS: through Netgsm flagged commercial (iysfilter 11), else the
    same sender as transactional messages."""
    if provider_name() == "netgsm":
        return NetgsmSmsSender(commercial=True)
    return sms_sender()


def reset_sms_sender() -> None:
    global _sender
    _sender = None
    _netgsm_config.cache_clear()
