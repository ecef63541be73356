"""The SAM template built from functions/ (infra/template.py): routes, triggers, queues, IAM.

The first test is the one that catches a new area whose routes are registered in app.py but
that has no functions/ module (or a functions/ module that forgot a blueprint): every route of
the whole app must be served by exactly one deployed function.
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from infra import resources as R  # noqa: E402
from infra.functions import BucketSource, Function, QueueSource, Schedule, discover, run_probe  # noqa: E402
from infra.template import bucket_id, build_template, function_id, queue_id, timeout_of  # noqa: E402

SAM_FUNCTION = "AWS::Serverless::Function"


@pytest.fixture(scope="module")
def functions() -> list[Function]:
    return discover(ROOT)


@pytest.fixture(scope="module")
def template(functions: list[Function]) -> dict[str, Any]:
    return build_template(functions)


@pytest.fixture(scope="module")
def whole_app() -> dict[str, Any]:
    """Routes and event sources of the full application (`from app import app`), as
    `chalice local` and the test client see it.  Read in a fresh interpreter: a process that
    imports app.py and a functions/ module gets the second app's routes wrong (Chalice consumes
    a blueprint's route options on the first registration), so this test must not depend on
    what else the test session imported."""
    return run_probe("app", ROOT)


def resources_of(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def events_of(template: dict[str, Any], kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (fid, event["Properties"])
        for fid, fn in resources_of(template, SAM_FUNCTION).items()
        for event in fn["Properties"].get("Events", {}).values()
        if event["Type"] == kind
    ]


# -- routes and triggers ----------------------------------------------------------------------
def test_every_route_of_the_app_is_served_by_exactly_one_function(template, whole_app):
    app_routes = {(path, method) for path, method in whole_app["routes"]}
    assert app_routes, "app.py serves no routes?"
    served = Counter((e["Path"], e["Method"].upper()) for _, e in events_of(template, "Api"))

    missing = sorted(app_routes - set(served))
    assert not missing, f"routes of app.py that no functions/ module serves: {missing}"
    twice = sorted(route for route, n in served.items() if n > 1)
    assert not twice, f"routes served by more than one function: {twice}"
    unknown = sorted(set(served) - app_routes)
    assert not unknown, f"routes deployed but not registered in app.py: {unknown}"
    # The CORS preflights are routes too: API Gateway needs an OPTIONS method per path.
    assert all((path, "OPTIONS") in served for path, _ in app_routes)


def test_every_event_source_of_the_app_is_deployed(template, whole_app):
    assert not whole_app["unsupported"], whole_app["unsupported"]
    schedules = {e["Schedule"] for _, e in events_of(template, "Schedule")}
    queues = {e["Queue"]["Fn::GetAtt"][0] for _, e in events_of(template, "SQS")}
    buckets = {(e["Bucket"]["Ref"], tuple(e["Events"])) for _, e in events_of(template, "S3")}
    for source in whole_app["sources"]:
        if source["type"] == "schedule":
            assert source["expression"] in schedules, f"schedule {source['name']} is not deployed"
        elif source["type"] == "s3":
            assert (bucket_id(source["bucket"]), tuple(source["events"])) in buckets, f"{source['name']} is not deployed"
        else:
            assert queue_id(source["queue"]) in queues, f"consumer {source['name']} of {source['queue']} is not deployed"


def test_functions_handlers_and_sizes(template, functions):
    deployed = resources_of(template, SAM_FUNCTION)
    assert len(deployed) == len(functions)
    by_handler = {fn["Properties"]["Handler"]: fn["Properties"] for fn in deployed.values()}
    for fn in functions:
        props = by_handler[f"functions/{fn.name}.{'app' if fn.routes else 'handler'}"]
        assert props["Runtime"] == "python3.11"
        assert props["CodeUri"] == "package.zip"
        overrides = R.FUNCTION_OVERRIDES.get(fn.name, {})
        assert props["MemorySize"] == overrides.get("memory", 512)
        assert props["Timeout"] == overrides.get("timeout", 15)
        assert "VpcConfig" in props
    assert R.FUNCTION_OVERRIDES["migrate"] == {"timeout": 300}


def test_the_outbox_relay_has_time_for_its_rounds(template, functions):
    """The relay starts rounds for RELAY_BUDGET_SECONDS; its function must outlive the last one."""
    from chalicelib.platform.outbox import RELAY_BUDGET_SECONDS

    [relay] = [fn for fn in functions if fn.name == "outbox_relay"]
    assert timeout_of(relay) >= RELAY_BUDGET_SECONDS + 15


def test_purge_expired_runs_hourly_and_migrate_has_no_trigger(template):
    functions = resources_of(template, SAM_FUNCTION)
    purge = functions["PurgeExpiredFunction"]["Properties"]
    assert [e["Type"] for e in purge["Events"].values()] == ["Schedule"]
    assert next(iter(purge["Events"].values()))["Properties"]["Schedule"] == "rate(1 hour)"
    assert "Events" not in functions["MigrateFunction"]["Properties"]


def test_one_rest_api_with_binary_bodies_and_no_gateway_compression(template):
    apis = resources_of(template, "AWS::Serverless::Api")
    assert list(apis) == ["RestApi"]
    props = apis["RestApi"]["Properties"]
    assert props["StageName"] == "v1"
    assert props["BinaryMediaTypes"] == ["*~1*"]  # SAM's escape for */*
    assert "MinimumCompressionSize" not in props
    assert {json.dumps(e["RestApiId"]) for _, e in events_of(template, "Api")} == {json.dumps({"Ref": "RestApi"})}


# -- queues and buckets -----------------------------------------------------------------------
def test_every_queue_has_a_dead_letter_queue_with_redrive(template):
    queues = resources_of(template, "AWS::SQS::Queue")
    targets: Counter[str] = Counter()
    for qid, queue in queues.items():
        redrive = queue["Properties"].get("RedrivePolicy")
        if redrive is None:
            continue
        dlq = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert dlq in queues and "RedrivePolicy" not in queues[dlq]["Properties"], qid
        assert redrive["maxReceiveCount"] == 5
        assert queues[dlq]["Properties"]["MessageRetentionPeriod"] > queue["Properties"]["MessageRetentionPeriod"]
        targets[dlq] += 1
    for fn in resources_of(template, SAM_FUNCTION).values():  # asynchronously invoked functions' own DLQs
        if "DeadLetterQueue" in fn["Properties"]:
            targets[fn["Properties"]["DeadLetterQueue"]["TargetArn"]["Fn::GetAtt"][0]] += 1
    dlqs = {qid for qid, q in queues.items() if "RedrivePolicy" not in q["Properties"]}
    assert dlqs == set(targets), f"queues without a DLQ, or DLQs nobody uses: {dlqs ^ set(targets)}"
    assert all(n == 1 for n in targets.values())
    names = {q["Properties"]["QueueName"]["Fn::Sub"] for q in queues.values() if "RedrivePolicy" in q["Properties"]}
    assert names >= {"huglu-${Stage}-notifications", "huglu-${Stage}-events", "huglu-${Stage}-feed-sync"}


def test_queue_visibility_is_six_times_the_consumer_timeout(template):
    functions = resources_of(template, SAM_FUNCTION)
    consumers: dict[str, list[int]] = {}
    for fid, event in events_of(template, "SQS"):
        consumers.setdefault(event["Queue"]["Fn::GetAtt"][0], []).append(functions[fid]["Properties"]["Timeout"])
    for qid, queue in resources_of(template, "AWS::SQS::Queue").items():
        if "RedrivePolicy" in queue["Properties"]:
            longest = max(consumers.get(qid, [R.TIMEOUT_S]))
            assert queue["Properties"]["VisibilityTimeout"] >= 6 * longest, qid


def test_buckets_are_private_encrypted_and_tls_only(template):
    buckets = resources_of(template, "AWS::S3::Bucket")
    assert {b["Properties"]["BucketName"]["Fn::Sub"].rsplit("-", 1)[1] for b in buckets.values()} >= {
        "images", "invoices", "backups"}
    policies = {p["Properties"]["Bucket"]["Ref"]: p for p in resources_of(template, "AWS::S3::BucketPolicy").values()}
    for bid, bucket in buckets.items():
        props = bucket["Properties"]
        assert all(props["PublicAccessBlockConfiguration"].values()) and len(props["PublicAccessBlockConfiguration"]) == 4
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert "AccessControl" not in props
        assert bucket["DeletionPolicy"] == "Retain"
        deny = policies[bid]["Properties"]["PolicyDocument"]["Statement"][0]
        assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


# -- IAM --------------------------------------------------------------------------------------
def _statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    role = template["Resources"][role_id]
    assert not role["Properties"].get("ManagedPolicyArns"), f"{role_id}: managed policies are not reviewable here"
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def _listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_each_function_has_its_own_role(template):
    roles = [fn["Properties"]["Role"]["Fn::GetAtt"][0] for fn in resources_of(template, SAM_FUNCTION).values()]
    assert len(roles) == len(set(roles))
    for fn in resources_of(template, SAM_FUNCTION).values():
        assert "Policies" not in fn["Properties"]  # SAM would add its own managed policies
        assert template["Resources"][fn["Properties"]["Role"]["Fn::GetAtt"][0]]["Type"] == "AWS::IAM::Role"


def test_no_wildcard_resources_except_the_documented_ones(template):
    """Resource "*" only for actions listed in infra/resources.py WILDCARD_ACTIONS: the Lambda
    VPC networking actions (ENIs are not known in advance; EC2 Describe* has no resource-level
    permissions) and sts:GetCallerIdentity (STS has no resource ARNs)."""
    for fid, fn in resources_of(template, SAM_FUNCTION).items():
        for statement in _statements(template, fn["Properties"]["Role"]["Fn::GetAtt"][0]):
            assert statement["Effect"] == "Allow"
            actions = _listify(statement["Action"])
            assert not [a for a in actions if a == "*" or a.endswith(":*")], f"{fid}: wildcard action {actions}"
            if "*" in _listify(statement["Resource"]):
                extra = set(actions) - set(R.WILDCARD_ACTIONS)
                assert not extra, f"{fid}: {sorted(extra)} on Resource '*'"


def test_least_privilege_per_function(template, functions):
    granted = {}
    for fn in functions:
        role = template["Resources"][function_id(fn)]["Properties"]["Role"]
        statements = _statements(template, role["Fn::GetAtt"][0])
        granted[fn.name] = {a for s in statements for a in _listify(s["Action"])}
        sids = [s["Sid"] for s in statements]
        assert sids[:3] == ["Logs", "VpcNetworking", "AppSecret"], fn.name
    assert "sts:GetCallerIdentity" in granted.get("system", set())
    assert "sts:GetCallerIdentity" not in granted.get("catalog", set())
    assert not any(a.startswith(("s3:", "sqs:")) for a in granted.get("migrate", set()) | granted.get("catalog", set()))
    # accounts may only *send* to the notifications queue (verification codes, reset links)
    queue_actions = {a for a in granted.get("accounts", set()) if a.startswith(("s3:", "sqs:"))}
    assert "sqs:SendMessage" in queue_actions
    assert queue_actions <= {"sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"}


def test_only_the_notifications_function_sends_mail_and_only_as_the_sender_identity(template, functions):
    notifications = template["Resources"]["NotificationsFunction"]["Properties"]
    assert [e["Type"] for e in notifications["Events"].values()] == ["SQS"]
    by_sid = {s["Sid"]: s for s in _statements(template, "NotificationsFunctionRole")}
    mail = by_sid["MailSend"]
    assert mail["Action"] == ["ses:SendEmail"]
    assert "*" not in json.dumps(mail["Resource"])  # the identity ARNs, never every identity
    assert all("MailFromAddress" in json.dumps(arn) and ":identity/" in json.dumps(arn) for arn in mail["Resource"])
    assert by_sid["Unscoped"]["Action"] == ["sns:Publish"]  # SMS to a number: no ARN exists
    assert notifications["Environment"]["Variables"]["MAIL_FROM"] == {"Ref": "MailFromAddress"}
    assert "MailFromAddress" in template["Parameters"]
    for fn in functions:
        if fn.name == "notifications":
            continue
        props = template["Resources"][function_id(fn)]["Properties"]
        assert "MAIL_FROM" not in props["Environment"]["Variables"], fn.name
        actions = {a for st in _statements(template, props["Role"]["Fn::GetAtt"][0]) for a in _listify(st["Action"])}
        assert not any(a.startswith(("ses:", "sns:")) for a in actions), fn.name


# -- secrets ----------------------------------------------------------------------------------
def test_no_literal_secrets(template):
    from chalicelib.platform.config import DEV_API_KEY_PEPPER, DEV_JWT_SECRET

    text = json.dumps(template)
    assert DEV_JWT_SECRET not in text and DEV_API_KEY_PEPPER not in text
    assert not re.search(r"[a-z+]+://[^/\s\"]*:[^@/\s\"]+@", text), "a URL with credentials in the template"
    for fid, fn in resources_of(template, SAM_FUNCTION).items():
        variables = fn["Properties"]["Environment"]["Variables"]
        for key in R.SECRET_ENV:
            value = variables[key]
            assert isinstance(value, dict), f"{fid}: {key} is a literal"
            assert "{{resolve:secretsmanager:" in json.dumps(value), f"{fid}: {key} is not a secret reference"
        for key in variables:
            if re.search(r"SECRET|PASSWORD|TOKEN|PEPPER|KEY", key):
                assert key in R.SECRET_ENV, f"{fid}: {key} looks secret but is not read from Secrets Manager"
    for name, parameter in template["Parameters"].items():
        if re.search(r"secret|password|token", name, re.I):
            assert parameter.get("NoEcho") is True and "Default" not in parameter, name


# -- template logic on made-up functions ------------------------------------------------------
@pytest.fixture
def made_up_access(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, list[str]]]:
    """An ACCESS map naming only the made-up functions below: the real one names every real
    function (notifications, ...), which check_access_map rightly rejects when they are absent."""
    access = {"system": R.ACCESS["system"]}
    monkeypatch.setattr(R, "ACCESS", access)
    return access


def _fn(name: str, **kw: Any) -> Function:
    return Function(name=name, routes=kw.get("routes", ()), schedules=kw.get("schedules", ()), queues=kw.get("queues", ()),
                    buckets=kw.get("buckets", ()))


def test_a_queue_consumer_gets_its_event_permissions_and_visibility(monkeypatch, made_up_access):
    monkeypatch.setitem(R.FUNCTION_OVERRIDES, "feed_worker", {"timeout": 60})
    consumer = _fn("feed_worker", queues=(QueueSource("feed_sync", "feed-sync", 10, 5, None),))
    template = build_template([_fn("system", routes=(("/api/health", "GET"),)), consumer])
    worker = template["Resources"]["FeedWorkerFunction"]["Properties"]
    assert worker["Handler"] == "functions/feed_worker.handler"
    event = worker["Events"]["FeedSyncMessages"]
    assert event["Type"] == "SQS"
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert template["Resources"]["FeedSyncQueue"]["Properties"]["VisibilityTimeout"] == 6 * 60 + 5
    consume = [s for s in _statements(template, "FeedWorkerFunctionRole") if s["Sid"] == "QueueConsume"]
    assert consume and consume[0]["Resource"] == [{"Fn::GetAtt": ["FeedSyncQueue", "Arn"]}]


def test_the_access_map_grants_buckets_and_queues(monkeypatch, made_up_access):
    monkeypatch.setitem(R.ACCESS, "catalog", {"s3": ["images"], "sqs": ["events"]})
    template = build_template([_fn("system", routes=(("/", "GET"),)), _fn("catalog", routes=(("/x", "GET"),))])
    by_sid = {s["Sid"]: s for s in _statements(template, "CatalogFunctionRole")}
    images = "arn:${AWS::Partition}:s3:::huglu-${Stage}-${AWS::AccountId}-${AWS::Region}-images"
    assert by_sid["BucketObjects"]["Resource"] == [{"Fn::Sub": images + "/*"}]
    assert by_sid["BucketList"] == {"Sid": "BucketList", "Effect": "Allow", "Action": ["s3:ListBucket"],
                                    "Resource": [{"Fn::Sub": images}]}  # a missing key: 404, not 403
    bucket_name = template["Resources"]["ImagesBucket"]["Properties"]["BucketName"]["Fn::Sub"]
    assert images.endswith(":::" + bucket_name)
    assert by_sid["QueueSend"]["Resource"] == [{"Fn::GetAtt": ["EventsQueue", "Arn"]}]
    assert "MailFromAddress" not in template["Parameters"]  # asked for only by a function that sends mail


@pytest.mark.parametrize(
    "access, message",
    [
        ({"catlog": {"s3": ["images"]}}, "not a functions/ module"),
        ({"catalog": {"s3": ["imges"]}}, "bucket 'imges'"),
        ({"catalog": {"actions": ["s3:ListAllMyBuckets"]}}, "wildcard action"),
        ({"catalog": {"ses": ["ses:DeleteIdentity"]}}, "SES action"),
    ],
)
def test_typos_in_the_access_map_fail_the_build(monkeypatch, access, message):
    monkeypatch.setattr(R, "ACCESS", access)
    with pytest.raises(ValueError, match=message):
        build_template([_fn("catalog", routes=(("/x", "GET"),))])


def test_a_consumer_of_an_undeclared_queue_fails_the_build(made_up_access):
    with pytest.raises(ValueError, match="declare it in QUEUES"):
        build_template([_fn("system", routes=(("/", "GET"),)),
                        _fn("worker", queues=(QueueSource("w", "nowhere", 1, 0, None),))])


def test_schedules_become_eventbridge_schedule_events(made_up_access):
    template = build_template([_fn("system", routes=(("/", "GET"),)),
                               _fn("nightly", schedules=(Schedule("nightly", "cron(0 3 * * ? *)", ""),))])
    event = template["Resources"]["NightlyFunction"]["Properties"]["Events"]["NightlySchedule"]
    assert event["Type"] == "Schedule" and event["Properties"]["Schedule"] == "cron(0 3 * * ? *)"


def test_an_s3_event_source_becomes_a_bucket_notification_with_a_dead_letter_queue(monkeypatch, made_up_access):
    monkeypatch.setitem(R.ACCESS, "thumbs", {"s3": ["images"]})
    source = BucketSource("make_thumbs", "images", ("s3:ObjectCreated:*",), "tenants/", ".jpg")
    template = build_template([_fn("system", routes=(("/", "GET"),)), _fn("thumbs", buckets=(source,))])
    props = template["Resources"]["ThumbsFunction"]["Properties"]
    assert props["Handler"] == "functions/thumbs.handler"
    assert props["Events"] == {"MakeThumbsObjects": {"Type": "S3", "Properties": {
        "Bucket": {"Ref": "ImagesBucket"},  # SAM: a bucket of this template; it adds the notification
        "Events": ["s3:ObjectCreated:*"],
        "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "tenants/"}, {"Name": "suffix", "Value": ".jpg"}]}},
    }}}
    # S3 invokes asynchronously: failed events end in the function's own dead-letter queue.
    dlq = props["DeadLetterQueue"]
    assert dlq == {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["ThumbsFunctionDeadLetterQueue", "Arn"]}}
    queue = template["Resources"]["ThumbsFunctionDeadLetterQueue"]
    assert queue["Type"] == "AWS::SQS::Queue" and queue["Properties"]["QueueName"] == {"Fn::Sub": "huglu-${Stage}-thumbs-dlq"}
    by_sid = {s["Sid"]: s for s in _statements(template, "ThumbsFunctionRole")}
    assert by_sid["FailedEvents"]["Action"] == ["sqs:SendMessage"] and by_sid["FailedEvents"]["Resource"] == dlq["TargetArn"]
    # The bucket depends on the function once SAM adds the notification: nothing the function
    # depends on may point back at the bucket resource, or CloudFormation finds a cycle.
    for resource in ("ThumbsFunction", "ThumbsFunctionRole", "ThumbsFunctionLogGroup", "ThumbsFunctionDeadLetterQueue"):
        assert "ImagesBucket" not in json.dumps(template["Resources"][resource]).replace('"Ref": "ImagesBucket"', "")
    assert "DeadLetterQueue" not in template["Resources"]["SystemFunction"]["Properties"]


def test_events_of_an_undeclared_bucket_fail_the_build(made_up_access):
    source = BucketSource("x", "not-a-bucket", ("s3:ObjectCreated:*",), None, None)
    with pytest.raises(ValueError, match="declare it in BUCKETS"):
        build_template([_fn("system", routes=(("/", "GET"),)), _fn("thumbs", buckets=(source,))])


def test_the_thumbnails_function_is_triggered_by_new_originals_only_and_sized_for_pillow(template, functions):
    by_name = {fn.name: fn for fn in functions}
    assert by_name["media_thumbnails"].buckets == (
        BucketSource("generate_thumbnails", "images", ("s3:ObjectCreated:*",), "tenants/", None),)
    props = template["Resources"]["MediaThumbnailsFunction"]["Properties"]
    assert (props["MemorySize"], props["Timeout"]) == (1536, 60)
    (event,) = props["Events"].values()
    assert event["Properties"]["Filter"] == {"S3Key": {"Rules": [{"Name": "prefix", "Value": "tenants/"}]}}
    assert "DeadLetterQueue" in props
    for name in ("media", "media_thumbnails"):  # the images bucket's objects, nothing else
        statements = _statements(template, function_id(by_name[name]) + "Role")
        s3_actions = {a for st in statements for a in _listify(st["Action"]) if a.startswith("s3:")}
        assert s3_actions == {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"}, name
        resources = json.dumps([st["Resource"] for st in statements if st["Sid"].startswith("Bucket")])
        assert "-images" in resources and "-invoices" not in resources and "-backups" not in resources


# -- cfn-lint ---------------------------------------------------------------------------------
def test_cfn_lint_accepts_the_template(template):
    api = pytest.importorskip("cfnlint.api", reason="cfn-lint is not installed (pip install cfn-lint)")
    matches = api.lint(json.dumps(template))
    assert not matches, "\n".join(str(m) for m in matches)
