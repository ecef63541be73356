"""schemathesis over the whole OpenAPI document as anonymous, customer and admin.

Bounded here (FUZZ_EXAMPLES positive + negative examples per operation, 6 by default) so it
fits `make test`; `make fuzz` runs the same with 100.  Fails listing every distinct cause.
FUZZ_TAGS=catalog,cart narrows a run to some areas' operations (OpenAPI tags) while working.
"""
from __future__ import annotations

import os

import pytest

from tests.fuzz.runner import examples_per_operation, fuzz


def _wanted(operation):  # type: ignore[no-untyped-def]
    tags = {t for t in os.environ.get("FUZZ_TAGS", "").split(",") if t}
    return not tags or bool(tags & set(operation.tags or ()))


@pytest.mark.parametrize("role", ["anonymous", "customer", "admin"])
def test_no_server_errors_and_every_response_as_documented(world, role):  # type: ignore[no-untyped-def]
    report = fuzz(world.schema, role, getattr(world, role), examples=examples_per_operation(), include=_wanted)
    print(report.summary())
    assert not report.findings, report.summary()
