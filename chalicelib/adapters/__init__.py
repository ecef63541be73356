"""Adapters: our small interfaces in front of external systems (e-mail, SMS, maps, later push,
payments, ...).  Each module holds one interface and its real client; the local fake speaks the
real protocol, so the real code path runs in `make dev` and the tests.  For mail (SES) and SMS
(SNS) that fake is the AWS emulator (moto server / LocalStack) behind AWS_ENDPOINT_URL.

Provider exceptions never leave an adapter: mail and SMS raise `DeliveryError`, `from` the
original so the cause stays in the traceback for whoever debugs it.
"""
from __future__ import annotations


class DeliveryError(Exception):
    """A provider refused or failed to take a message.

    `provider` is the service ("ses", "sns"); `code` is the provider's error code (or the
    exception class for network failures).  The message names neither the recipient nor the
    content, so it is safe to log.
    """

    def __init__(self, provider: str, code: str) -> None:
        self.provider = provider
        self.code = code
        super().__init__(f"{provider} delivery failed: {code}")


def provider_error_code(exc: BaseException) -> str:
    """The error code of a botocore ClientError, else the exception's class name."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(exc).__name__
