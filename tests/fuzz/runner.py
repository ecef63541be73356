"""Drive schemathesis over every operation of the OpenAPI document and collect what breaks.

One runner for both uses: the bounded pass inside `make test` (tests/fuzz/test_fuzz_api.py)
and the deep pass of `make fuzz` (FUZZ_EXAMPLES=100).  Instead of stopping at the first failing
example (hypothesis would then shrink it, which costs minutes per failure), every failure is
recorded with the server-side exception behind it, so one run reports every distinct cause.

Checks (the issue's contract): no 5xx, responses conform to their documented schema, every
status is documented, and the content type is the documented one.
"""
from __future__ import annotations

import logging
import os
import traceback
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from jsonschema import Draft202012Validator
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]


def examples_per_operation() -> int:
    return int(os.environ.get("FUZZ_EXAMPLES", "6"))


@dataclass
class Finding:
    role: str
    operation: str
    mode: str
    check: str
    message: str
    request: str
    cause: str = ""

    def key(self) -> tuple[str, str, str]:
        """Findings with one key are one bug seen many times."""
        return (self.operation, self.check, self.cause or (self.message.splitlines() or [""])[0][:160])


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    requests: int = 0
    operations: int = 0

    def distinct(self) -> dict[tuple[str, str, str], list[Finding]]:
        groups: dict[tuple[str, str, str], list[Finding]] = {}
        for finding in self.findings:
            groups.setdefault(finding.key(), []).append(finding)
        return groups

    def summary(self) -> str:
        lines = [f"{self.requests} requests over {self.operations} operations, {len(self.findings)} failures, "
                 f"{len(self.distinct())} distinct"]
        for (operation, check, cause), group in sorted(self.distinct().items()):
            first = group[0]
            lines.append(f"- [{check}] {operation} ×{len(group)} ({first.role}, {first.mode}): {cause}")
            lines.append(f"    e.g. {first.request[:400]}")
        return "\n".join(lines)


class _ServerErrors(logging.Handler):
    """Keeps the exception behind each 500 (the app logs it before answering)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.last: str = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/chalicelib/" in f.filename]
            where = f" at {frames[-1].filename.split('/chalicelib/')[-1]}:{frames[-1].lineno}" if frames else ""
            self.last = f"{type(exc).__name__}: {str(exc)[:160]}{where}"


def _describe(case: Any) -> str:
    parts = [f"{case.method} {case.formatted_path}"]
    if case.query:
        parts.append(f"query={case.query!r}")
    if case.headers:
        shown = {k: v for k, v in case.headers.items() if k.lower() not in ("authorization", "x-api-key")}
        if shown:
            parts.append(f"headers={shown!r}")
    if not isinstance(case.body, NotSet):
        parts.append(f"body={case.body!r}"[:600])
    return " ".join(parts)


_TRIM = " \t\n\r\x0b\x0c"


def _as_the_server_reads(value: Any) -> Any:
    """Text fields (platform/fields.py Line/Text) are NFC-normalised and trimmed of ASCII
    whitespace before validation, the way pydantic's own strip_whitespace works."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip(_TRIM)
    if isinstance(value, dict):
        return {key: _as_the_server_reads(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_the_server_reads(item) for item in value]
    return value


class _TrimmedBodies:
    """Tells a negative case that is only 'invalid' by surrounding whitespace (a 101-character
    name with a trailing space, whose trimmed text is within maxLength 100) from real drift."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._document = {k: v for k, v in document.items() if k != "$schema"}

    def valid_once_trimmed(self, case: Any) -> bool:
        if isinstance(case.body, NotSet) or _as_the_server_reads(case.body) == case.body:
            return False
        pointer = "/".join(["#", "paths", case.operation.path.replace("~", "~0").replace("/", "~1"),
                            case.method.lower(), "requestBody", "content", "application~1json", "schema"])
        validator = Draft202012Validator({**self._document, "$ref": pointer})
        return validator.is_valid(_as_the_server_reads(case.body))


def _object_in_query(case: Any) -> bool:
    """A query value that never reaches the wire as written: an object is sent as other keys
    (form, explode) and an empty list as nothing, so the server sees the parameter absent, which
    is valid: 'accepted' is no drift."""
    return any(isinstance(value, dict) or value == [] for value in (case.query or {}).values())


def fuzz(schema: Any, role: str, headers_for: Callable[[], dict[str, str]], *, examples: int,
         include: Callable[[Any], bool] = lambda op: True) -> Report:
    """Run `examples` positive and `examples` negative cases per operation as `role`."""
    report = Report()
    trimmed = _TrimmedBodies(schema.raw_schema)
    capture = _ServerErrors()
    logger = logging.getLogger("huglu")
    logger.addHandler(capture)
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            if not include(operation):
                continue
            report.operations += 1
            headers = headers_for()  # a fresh session per operation: a fuzzed logout can't blind the rest
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _fuzz_operation(operation, mode, role, headers, examples, report, capture, trimmed)
    finally:
        logger.removeHandler(capture)
    return report


def _fuzz_operation(operation: Any, mode: GenerationMode, role: str, headers: dict[str, str], examples: int,
                    report: Report, capture: _ServerErrors, trimmed: _TrimmedBodies) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=os.environ.get("FUZZ_SEED") is None)
    def probe(case: Any) -> None:
        capture.last = ""
        response = case.call(headers=headers)
        report.requests += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - schemathesis' FailureGroup is a BaseExceptionGroup;
            # every failure is recorded, none stops the run
            for failure in getattr(exc, "exceptions", None) or [exc]:
                title = getattr(failure, "title", type(failure).__name__)
                message = getattr(failure, "message", str(failure))
                if title == "Schema-violating request accepted" and (
                        trimmed.valid_once_trimmed(case) or _object_in_query(case)):
                    continue
                report.findings.append(Finding(
                    role=role, operation=label, mode=mode.value, check=str(title), message=str(message),
                    request=_describe(case) + f" → {response.status_code} {response.content[:300].decode('utf-8', 'replace')}",
                    cause=capture.last if response.status_code >= 500 else _first_line(message),
                ))

    try:
        probe()
    except Unsatisfiable:
        if mode is not GenerationMode.NEGATIVE:
            raise  # an operation with no inputs has nothing to negate; anything else is our bug


def _first_line(message: str) -> str:
    return (message or "").strip().splitlines()[0][:200] if message else ""
