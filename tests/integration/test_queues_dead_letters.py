"""Every async source has a dead-letter queue, a failing message reaches it after
MAX_RECEIVE_COUNT receives (real SQS semantics on the emulator), and staff can see why and put it
back (chalicelib/system/dead_letters.py, GET/POST /api/admin/queues...).

The static checks walk the code, not a list: any queue a handler consumes or a producer names
(queue.send, outbox.add(queue=...), on_sqs_message(queue=...)) must be declared in
infra/resources.QUEUES, which is what gives it a DLQ in the template and on the emulator."""
from __future__ import annotations

import ast
import importlib
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from chalicelib.platform import queue
from chalicelib.platform.aws import client
from chalicelib.system import dead_letters
from infra import resources
from infra.local import worker

from ..conftest import Api, TenantInfo, login, make_user

ROOT = Path(__file__).resolve().parents[2]


# -- static: every queue named in code is declared (and so has a DLQ) -------------------------
def _queue_expressions() -> list[tuple[str, int, str, ast.expr]]:
    """(module, line, how, expression) for every queue name a producer or consumer passes."""
    found = []
    for path in sorted((ROOT / "chalicelib").rglob("*.py")) + sorted((ROOT / "functions").glob("*.py")):
        if path.parts[-2:] in {("platform", "queue.py"), ("platform", "outbox.py")}:
            continue  # the helpers themselves: `queue` there is a parameter
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = getattr(func.value, "id", "") if isinstance(func, ast.Attribute) else ""
            if name == "send" and owner == "queue" and node.args:
                found.append((module, node.lineno, "queue.send", node.args[0]))
            for kw in node.keywords:
                if kw.arg == "queue" and name in {"on_sqs_message", "add", "send"}:
                    found.append((module, node.lineno, f"{name}(queue=)", kw.value))
                if kw.arg == "queues" and name == "add_to_each":  # a module-level tuple of queue names
                    found.append((module, node.lineno, f"{name}(queues=)", kw.value))
    return found


def _resolve(module: str, expression: ast.expr) -> str:
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return expression.value
    namespace = vars(importlib.import_module(module))
    return str(eval(compile(ast.Expression(expression), module, "eval"), dict(namespace)))  # noqa: S307 - names of our modules


def _resolve_all(module: str, expression: ast.expr) -> list[str]:
    """One queue name, or each of a module-level tuple of them (outbox.add_to_each)."""
    if isinstance(expression, ast.Constant):
        return [_resolve(module, expression)]
    namespace = vars(importlib.import_module(module))
    value = eval(compile(ast.Expression(expression), module, "eval"), dict(namespace))  # noqa: S307 - our modules
    return [str(v) for v in value] if isinstance(value, (tuple, list)) else [str(value)]


def test_every_queue_the_code_names_is_declared_with_a_dead_letter_queue():
    expressions = _queue_expressions()
    assert len(expressions) >= 10
    undeclared = []
    for module, line, how, expression in expressions:
        try:
            names = _resolve_all(module, expression)
        except Exception as exc:  # noqa: BLE001 - reported below
            undeclared.append(f"{module}:{line} {how}: {ast.unparse(expression)} is not a module-level name ({exc})")
            continue
        undeclared += [f"{module}:{line} {how}: queue {name!r} is not in infra/resources.QUEUES"
                       for name in names if name not in resources.QUEUES]
    assert not undeclared, "\n".join(undeclared)


def test_the_template_gives_every_queue_a_redrive_and_every_async_function_a_dlq():
    from infra.functions import discover
    from infra.template import build_template

    template = build_template(discover())
    res = template["Resources"]
    sqs = {k: v for k, v in res.items() if v["Type"] == "AWS::SQS::Queue"}
    for fid, fn in res.items():
        if fn["Type"] != "AWS::Serverless::Function":
            continue
        events = fn["Properties"].get("Events", {}).values()
        for event in events:
            if event["Type"] == "SQS":
                source = sqs[event["Properties"]["Queue"]["Fn::GetAtt"][0]]
                redrive = source["Properties"]["RedrivePolicy"]
                assert redrive["maxReceiveCount"] == resources.MAX_RECEIVE_COUNT, fid
                assert redrive["deadLetterTargetArn"]["Fn::GetAtt"][0] in sqs, fid
        if any(e["Type"] in {"Schedule", "S3"} for e in events):
            # Asynchronous invocations: Lambda retries twice, then only a DLQ keeps the event.
            target = fn["Properties"]["DeadLetterQueue"]["TargetArn"]["Fn::GetAtt"][0]
            assert target in sqs, fid
    names = [json.dumps(q["Properties"]["QueueName"]) for q in sqs.values()]
    assert len(names) == len(set(names)), "two queues share a physical name"


def test_the_emulator_queues_redrive_to_their_dlqs():
    sqs = client("sqs")
    for short in resources.QUEUES:
        url = sqs.get_queue_url(QueueName=queue.queue_name(short))["QueueUrl"]
        policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
                            ["Attributes"]["RedrivePolicy"])
        assert policy["deadLetterTargetArn"].endswith(f":{queue.queue_name(short)}-dlq"), short
        assert int(policy["maxReceiveCount"]) == resources.MAX_RECEIVE_COUNT, short


# -- dynamic: a failing message ends in the DLQ, staff see why and redrive it ------------------
@pytest.fixture
def short_queue() -> Any:
    """A queue of this test with a DLQ and a 1 s visibility timeout (real SQS semantics, fast)."""
    sqs, short = client("sqs"), f"t-{uuid.uuid4().hex[:12]}"
    dlq_url = sqs.create_queue(QueueName=queue.queue_name(short) + "-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=queue.queue_name(short), Attributes={
        "VisibilityTimeout": "1",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(resources.MAX_RECEIVE_COUNT)}),
    })["QueueUrl"]
    yield short
    for u in (url, dlq_url):
        sqs.delete_queue(QueueUrl=u)


def _consumer(short: str, handle: Any) -> worker.Consumer:
    return worker.Consumer(queue.queue_name(short), lambda event, _ctx: queue.consume(short, event, handle), 10)


def _drive(short: str, handle: Any) -> int:
    """Poll like Lambda's event source mapping until a receive comes back empty."""
    received, consumer = 0, _consumer(short, handle)
    while got := worker.poll(consumer, wait_seconds=1):
        received += got
    return received


def _drive_until_dead(short: str, handle: Any, dead: int, *, within_s: float = 60) -> int:
    """Poll (each failed message comes back after the 1 s visibility timeout) until `dead`
    messages are in the DLQ; the number of deliveries the handler saw."""
    received, consumer, deadline = 0, _consumer(short, handle), time.monotonic() + within_s
    while dead_letters.counts(short)["dead_lettered"] < dead:
        assert time.monotonic() < deadline, f"not dead-lettered within {within_s} s ({received} deliveries)"
        received += worker.poll(consumer, wait_seconds=1)
    return received


def _boom(message: dict[str, Any]) -> None:
    raise KeyError("order 42 is missing")


def test_a_message_failing_every_time_reaches_the_dlq_after_max_receive_count(short_queue: str, tenant: TenantInfo):
    message_id = queue.send(short_queue, {"type": "OrderPaid", "tenant_id": tenant.id, "order_id": 42})
    other = queue.send(short_queue, {"type": "OrderPaid", "tenant_id": tenant.id + 1, "order_id": 7})

    received = _drive_until_dead(short_queue, _boom, 2)

    assert received == 2 * resources.MAX_RECEIVE_COUNT  # each delivered exactly MAX_RECEIVE_COUNT times
    counts = dead_letters.counts(short_queue)
    assert counts["visible"] == 0 and counts["in_flight"] == 0 and counts["dead_lettered"] == 2
    letters = dead_letters.peek(short_queue, tenant_id=tenant.id)
    assert [x.body["id"] for x in letters if x.body] == [message_id]  # the other tenant's stays out of sight
    letter = letters[0].public()
    assert letter["event_type"] == "OrderPaid" and letter["tenant_id"] == tenant.id
    assert letter["first_failure"].startswith("KeyError: ") and letter["failures"] == resources.MAX_RECEIVE_COUNT
    assert letter["receive_count"] >= 1 and letter["sent_at"].endswith("Z")
    # Peeking consumed nothing.
    assert len(dead_letters.peek(short_queue)) == 2 and dead_letters.counts(short_queue)["dead_lettered"] == 2

    dry = dead_letters.redrive(short_queue, tenant_id=tenant.id, dry_run=True)
    assert [x.body["id"] for x in dry if x.body] == [message_id] and dead_letters.counts(short_queue)["visible"] == 0
    moved = dead_letters.redrive(short_queue, tenant_id=tenant.id)
    assert len(moved) == 1
    handled: list[str] = []
    _drive(short_queue, lambda m: handled.append(m["id"]))
    assert handled == [message_id]  # back on the queue, with its id: the fix goes through once
    assert [x.body["id"] for x in dead_letters.peek(short_queue) if x.body] == [other]


def test_the_redrive_command_lists_then_moves(short_queue: str, capsys: pytest.CaptureFixture[str]):
    from infra.local import redrive

    sent = [queue.send(short_queue, {"type": "Ping", "n": n}) for n in range(3)]
    _drive_until_dead(short_queue, _boom, 3)
    assert redrive.main([short_queue, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would move 3" in out and "KeyError" in out and dead_letters.counts(short_queue)["dead_lettered"] == 3
    assert redrive.main([short_queue, "--max", "2"]) == 0
    assert "moved 2" in capsys.readouterr().out
    counts = dead_letters.counts(short_queue)
    assert counts["visible"] == 2 and counts["dead_lettered"] == 1
    assert redrive.main(["no-such-queue-" + uuid.uuid4().hex[:6]]) == 2
    assert len(sent) == 3


# -- HTTP: the staff view ----------------------------------------------------------------------
def test_staff_view_counts_peeks_and_redrives_audited(short_queue: str, admin_api: Api, tenant: TenantInfo,
                                                      db: Any, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DEAD_LETTER_QUEUES", ",".join([*resources.QUEUES, short_queue]))
    mine = queue.send(short_queue, {"type": "OrderPaid", "tenant_id": tenant.id})
    queue.send(short_queue, {"type": "OrderPaid", "tenant_id": tenant.id + 1})
    _drive_until_dead(short_queue, _boom, 2)

    listed = admin_api.get("/api/admin/queues")
    assert listed.status_code == 200, listed.json_body
    rows = {row["name"]: row for row in listed.json_body["items"]}
    assert set(resources.QUEUES) <= set(rows) and rows[short_queue]["dead_lettered"] == 2

    page = admin_api.get(f"/api/admin/queues/{short_queue}/dead-letters")
    assert page.status_code == 200
    (item,) = page.json_body["items"]
    assert item["tenant_id"] == tenant.id and item["first_failure"].startswith("KeyError")
    assert admin_api.get("/api/admin/queues/nope/dead-letters").status_code == 404

    done = admin_api.post(f"/api/admin/queues/{short_queue}/redrive", {})
    assert done.status_code == 200 and done.json_body["moved"] == 1
    assert dead_letters.counts(short_queue)["visible"] == 1  # only this tenant's message came back
    (row,) = db.session().all("SELECT action, entity_id, after_data FROM admin_logs WHERE tenant_id = %s AND action = %s",
                      (tenant.id, "queue.redrive"))
    assert row["entity_id"] == short_queue and json.loads(row["after_data"])["moved"] == 1
    assert mine


def test_a_tenant_admin_without_the_platform_permission_is_refused(api: Api, tenant: TenantInfo):
    _, email, password = make_user(tenant, roles=["admin"])
    api.token = login(api, email, password)["access_token"]
    assert api.get("/api/admin/queues").status_code == 403
    assert api.post("/api/admin/queues/notifications/redrive", {}).status_code == 403
