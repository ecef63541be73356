"""The wait on the AWS emulator inside a timed call, so a case can report its figures with the
emulator's share set aside (in AWS, SQS runs off this box; here moto shares its two cores).

    aside = offbox.outbox_publishes()   # install once per case; Plan(aside=aside)
    aside()                             # → ns spent in the outbox's SendMessageBatch calls since
                                        #   the last read, and resets

Wraps platform.outbox._publish in this bench process only, the boundary bench/profile.py times
as "sqs: outbox publish"; nothing in the application knows.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def outbox_publishes() -> Callable[[], int]:
    from chalicelib.platform import outbox

    spent = [0]
    original = getattr(outbox._publish, "__wrapped__", outbox._publish)

    def timed(events: list[dict[str, Any]]) -> list[int]:
        started = time.perf_counter_ns()
        try:
            return original(events)
        finally:
            spent[0] += time.perf_counter_ns() - started

    timed.__wrapped__ = original  # type: ignore[attr-defined]
    outbox._publish = timed  # type: ignore[assignment]

    def read() -> int:
        value, spent[0] = spent[0], 0
        return value

    return read
