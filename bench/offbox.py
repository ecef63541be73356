"""Waits on services that run off this box in production, inside a timed call, so a case can
report its figures with them set aside (in AWS, SQS runs off the box and iyzico is iyzico's; here
moto and the iyzico sandbox share the two cores).

    aside = offbox.Waits(emulator=offbox.outbox_publishes(), sandbox=offbox.iyzico_calls())
    Plan(..., aside=aside)           # aside() → {"emulator": ns, "sandbox": ns} since the last
                                     #   read, and resets

Each timer wraps one boundary in this bench process only - the outbox's SendMessageBatch
(platform.outbox._publish, which bench/profile.py times as "sqs: outbox publish") and the iyzico
adapter's HTTPS exchange (adapters.iyzico._SafeTransport.connect: request, iyzico's work and the
answer); nothing in the application knows.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

Timer = Callable[[], int]


class Waits:
    def __init__(self, **timers: Timer) -> None:
        self.timers = timers

    def __call__(self) -> dict[str, int]:
        return {name: read() for name, read in self.timers.items()}


def _wrap(owner: Any, name: str) -> Timer:
    spent = [0]
    original = getattr(getattr(owner, name), "__wrapped__", getattr(owner, name))

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter_ns()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter_ns() - started

    timed.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(owner, name, timed)

    def read() -> int:
        value, spent[0] = spent[0], 0
        return value

    return read


def outbox_publishes() -> Timer:
    from chalicelib.platform import outbox

    return _wrap(outbox, "_publish")


def iyzico_calls() -> Timer:
    from chalicelib.adapters import iyzico

    return _wrap(iyzico._SafeTransport, "connect")
