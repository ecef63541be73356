"""A log call's `extra` may not take a request or a queue consumer down."""
from __future__ import annotations

import io
import json
import logging
import sys

from chalicelib.platform.logging import get_logger


def test_extra_keys_that_name_logrecord_attributes_are_kept_renamed(monkeypatch):
    log = get_logger("tests.extra")
    log.setLevel(logging.INFO)  # the suite runs at WARNING; production logs INFO
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    log.info("invoice ready", extra={"created": True, "name": "x", "order_id": 7})
    line = json.loads(out.getvalue().strip().splitlines()[-1])
    assert line["created_"] is True and line["name_"] == "x" and line["order_id"] == 7
    assert line["message"] == "invoice ready" and line["logger"] == "huglu.tests.extra"


def test_the_root_logger_is_safe_too():
    assert type(get_logger()).__name__ == "_Logger" and type(get_logger("huglu")).__name__ == "_Logger"
