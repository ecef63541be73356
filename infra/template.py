"""The AWS SAM template, as plain dicts: one Lambda per function module, one REST API,
queues with dead-letter queues, buckets, schedules, and a role per function; plus the ML
service (ECS Fargate, internal load balancer, nightly trainer), built by infra/ml_service.py.

Input: the functions discovered from code (infra/functions.py) and the declarative map of
queues, buckets and per-function access (infra/resources.py).  Output: a dict ready for
json.dump; `python -m infra.build` writes it next to the code package.

Secrets never appear here: the secret `huglu/<stage>/app` (a JSON object with the keys in
resources.SECRET_ENV) is referenced through CloudFormation dynamic references, resolved by
CloudFormation at deploy time.
"""
from __future__ import annotations

import re
from typing import Any

from . import ml_service as ML
from . import resources as R
from .cfn import Json, _arn, _ref, _sub
from .functions import Function

API = "RestApi"
API_STAGE = "v1"  # routes already start with /api; a custom domain maps its root here
# The WebSocket API (API Gateway v2) of a function with websocket routes (functions/live_ws.py);
# functions with a "websocket" entry in resources.ACCESS push to its connections.
WS_API = "WebSocketApi"
WS_ENDPOINT = f"https://${{{WS_API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{API_STAGE}"
SECRET_NAME = R.APP + "/${Stage}/app"
IAM_VERSION = "2012-10-17"


def pascal(name: str) -> str:
    """'purge_expired' → 'PurgeExpired', '/api/products/{product_id}' → 'ApiProductsProductId'."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def physical_name(name: str) -> Json:
    return _sub(f"{R.APP}-${{Stage}}-{name.replace('_', '-')}")


def function_id(fn: Function) -> str:
    return pascal(fn.name) + "Function"


def queue_id(queue: str) -> str:
    return pascal(queue) + "Queue"


def dlq_id(queue: str) -> str:
    return pascal(queue) + "DeadLetterQueue"


def bucket_id(bucket: str) -> str:
    return pascal(bucket) + "Bucket"


def _bucket_physical(bucket: str) -> str:
    return f"{R.APP}-${{Stage}}-${{AWS::AccountId}}-${{AWS::Region}}-{bucket}"


def bucket_arn(bucket: str, objects: bool = False) -> Json:
    """The bucket's ARN spelled from its name, not `${XBucket.Arn}`: a bucket that notifies a
    function depends on that function (SAM adds the notification to the bucket), so the
    function's role must not depend on the bucket, or CloudFormation finds a cycle."""
    return _sub(f"arn:${{AWS::Partition}}:s3:::{_bucket_physical(bucket)}" + ("/*" if objects else ""))


def failed_events_queue_id(fn: Function) -> str:
    """Dead-letter queue of an asynchronously invoked function (S3 events)."""
    return function_id(fn) + "DeadLetterQueue"


def timeout_of(fn: Function) -> int:
    return R.FUNCTION_OVERRIDES.get(fn.name, {}).get("timeout", R.TIMEOUT_S)


def memory_of(fn: Function) -> int:
    return R.FUNCTION_OVERRIDES.get(fn.name, {}).get("memory", R.MEMORY_MB)


# -- parameters -------------------------------------------------------------------------------
PARAMETERS: Json = {
    "Stage": {
        "Type": "String",
        "Default": "prod",
        "AllowedPattern": "^[a-z][a-z0-9-]{0,15}$",
        "Description": "Stage name: part of every physical name and the app's STAGE "
        "('prod' turns on the production checks in chalicelib/platform/config.py).",
    },
    "SubnetIds": {
        "Type": "List<AWS::EC2::Subnet::Id>",
        "Description": "Private subnets with a route to RDS Proxy and ElastiCache.",
    },
    "SecurityGroupIds": {
        "Type": "List<AWS::EC2::SecurityGroup::Id>",
        "Description": "Security groups of the functions (allowed in by RDS Proxy and Redis); also worn by the "
        "ML service's tasks.  At most four: the template adds one (the ML service's callers; Lambda and ECS "
        "allow five).",
    },
    "DependenciesLayerArn": {
        "Type": "String",
        "AllowedPattern": "^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$",
        "Description": "Lambda layer with the third-party packages (python/...) for "
        f"{R.RUNTIME} on {R.ARCHITECTURE}; the code package holds only the project's code.",
    },
}
# Added only when a function sends e-mail (an "ses" entry in resources.ACCESS).
MAIL_FROM = "MailFromAddress"
MAIL_FROM_PARAMETER: Json = {
    "Type": "String",
    "AllowedPattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$",
    "Description": "Sender of the app's e-mail (the MAIL_FROM of the functions that send it): an "
    "address whose domain (or the address itself) is a verified SES identity in this region.",
}


# -- IAM --------------------------------------------------------------------------------------
def _statement(sid: str, actions: list[str], resource: Any) -> Json:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resource}


def _policy_statements(fn: Function, access: dict[str, list[str]], log_group: str) -> list[Json]:
    statements = [
        _statement("Logs", ["logs:CreateLogStream", "logs:PutLogEvents"], _arn(log_group)),
        _statement("VpcNetworking", list(R.VPC_ACTIONS), "*"),
        _statement(
            "AppSecret",
            ["secretsmanager:GetSecretValue"],
            # Secret ARNs end in '-' plus six random characters.
            _sub(f"arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{SECRET_NAME}-??????"),
        ),
    ]
    if access.get("s3"):
        statements.append(_statement(
            "BucketObjects", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            [bucket_arn(b, objects=True) for b in access["s3"]],
        ))
        # Without it S3 answers 403 instead of 404 for a missing key (HEAD / GET).
        statements.append(_statement("BucketList", ["s3:ListBucket"], [bucket_arn(b) for b in access["s3"]]))
    if access.get("sqs"):
        statements.append(_statement(
            "QueueSend", ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"],
            [_arn(queue_id(q)) for q in access["sqs"]],
        ))
    if fn.queues:
        statements.append(_statement(
            "QueueConsume",
            ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
            [_arn(queue_id(q)) for q in sorted({s.queue for s in fn.queues})],
        ))
    if fn.is_async:
        statements.append(_statement("FailedEvents", ["sqs:SendMessage"], _arn(failed_events_queue_id(fn))))
    if access.get("dead_letters"):
        # The staff view of dead letters (chalicelib/system/dead_letters.py): counts of every queue,
        # peek (receive + visibility back to 0, never delete) and redrive (send to the queue, then
        # delete from its DLQ).
        queues = list(R.QUEUES) if access["dead_letters"] == ["*"] else access["dead_letters"]
        statements.append(_statement("QueueCounts", ["sqs:GetQueueUrl", "sqs:GetQueueAttributes"],
                                     [_arn(queue_id(q)) for q in queues] + [_arn(dlq_id(q)) for q in queues]))
        statements.append(_statement("DeadLetterRedrive", ["sqs:SendMessage"], [_arn(queue_id(q)) for q in queues]))
        statements.append(_statement(
            "DeadLetterPeek", ["sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage"],
            [_arn(dlq_id(q)) for q in queues]))
    if access.get("ses"):
        statements.append(_statement("MailSend", access["ses"], _mail_identity_arns()))
    if access.get("actions"):
        statements.append(_statement("Unscoped", access["actions"], "*"))
    if access.get("websocket"):
        # post_to_connection / delete_connection on this stack's WebSocket API only.
        statements.append(_statement("WebSocketPush", ["execute-api:ManageConnections"], _sub(
            f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{WS_API}}}/{API_STAGE}/*/@connections/*")))
    return statements


def _mail_identity_arns() -> list[Json]:
    """The SES identities MAIL_FROM can be verified as: its domain or the address itself."""
    identity = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/"
    domain = {"Fn::Select": [1, {"Fn::Split": ["@", _ref(MAIL_FROM)]}]}
    return [{"Fn::Sub": [identity + "${MailDomain}", {"MailDomain": domain}]}, _sub(identity + f"${{{MAIL_FROM}}}")]


def _role(fn: Function, access: dict[str, list[str]], log_group: str) -> Json:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": _sub(f"{R.APP}-${{Stage}} {fn.name} function"),
            "AssumeRolePolicyDocument": {
                "Version": IAM_VERSION,
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }],
            },
            "Policies": [{
                "PolicyName": "function",
                "PolicyDocument": {"Version": IAM_VERSION, "Statement": _policy_statements(fn, access, log_group)},
            }],
        },
    }


# -- functions --------------------------------------------------------------------------------
def _secret_ref(key: str) -> Json:
    return _sub(f"{{{{resolve:secretsmanager:{SECRET_NAME}:SecretString:{key}}}}}")


def _environment(access: dict[str, list[str]]) -> Json:
    variables: Json = {
        "STAGE": _ref("Stage"),
        "QUEUE_PREFIX": _sub(f"{R.APP}-${{Stage}}"),
        "BUCKET_PREFIX": _sub(f"{R.APP}-${{Stage}}-${{AWS::AccountId}}-${{AWS::Region}}"),
    }
    if access.get("ses"):
        variables["MAIL_FROM"] = _ref(MAIL_FROM)  # the identity its MailSend permission names
    if access.get("dead_letters"):
        # The queues it may inspect: the deployed package has no infra/resources.py to read them from.
        variables["DEAD_LETTER_QUEUES"] = ",".join(R.QUEUES if access["dead_letters"] == ["*"] else access["dead_letters"])
    if access.get("websocket"):
        variables["WS_ENDPOINT_URL"] = _sub(WS_ENDPOINT)  # the management API of its connections
    for key in R.SECRET_ENV:
        variables[key] = _secret_ref(key)
    return {"Variables": variables}


def _api_events(fn: Function) -> Json:
    events: Json = {}
    for path, method in fn.routes:
        name = pascal(method.lower()) + pascal(path)
        if name in events:
            raise ValueError(f"functions/{fn.name}.py: routes {path} {method} and another map to event {name}")
        events[name] = {
            "Type": "Api",
            "Properties": {"RestApiId": _ref(API), "Path": path, "Method": method.lower()},
        }
    return events


def _trigger_events(fn: Function) -> Json:
    events: Json = {}
    for schedule in fn.schedules:
        events[pascal(schedule.name) + "Schedule"] = {
            "Type": "Schedule",
            "Properties": {
                "Schedule": schedule.expression,
                "Name": physical_name(schedule.name),
                "Description": schedule.description or f"{fn.name}: {schedule.expression}",
                "Enabled": True,
            },
        }
    for source in fn.queues:
        properties: Json = {
            "Queue": _arn(queue_id(source.queue)),
            "BatchSize": source.batch_size,
            "MaximumBatchingWindowInSeconds": source.window_s,
            # Consumers report partial batch failures (ARCHITECTURE.md): only failed
            # messages are retried and, after MAX_RECEIVE_COUNT, dead-lettered.
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        }
        if source.max_concurrency:
            properties["ScalingConfig"] = {"MaximumConcurrency": source.max_concurrency}
        events[pascal(source.name) + "Messages"] = {"Type": "SQS", "Properties": properties}
    for bucket_source in fn.buckets:
        # SAM adds the NotificationConfiguration to the bucket (declared in this template, as
        # SAM requires) and the permission for S3 to invoke the function.
        rules = [{"Name": name, "Value": value}
                 for name, value in (("prefix", bucket_source.prefix), ("suffix", bucket_source.suffix)) if value]
        properties = {"Bucket": _ref(bucket_id(bucket_source.bucket)), "Events": list(bucket_source.events)}
        if rules:
            properties["Filter"] = {"S3Key": {"Rules": rules}}
        events[pascal(bucket_source.name) + "Objects"] = {"Type": "S3", "Properties": properties}
    return events


def _function_resources(fn: Function, access: dict[str, list[str]], code_uri: str) -> Json:
    fid = function_id(fn)
    log_group, role = fid + "LogGroup", fid + "Role"
    events = _api_events(fn) if fn.is_api else _trigger_events(fn)
    function: Json = {
        "Type": "AWS::Serverless::Function",
        # The role may only write to this log group, so it has to exist before the first call.
        "DependsOn": [log_group],
        "Properties": {
            "FunctionName": physical_name(fn.name),
            "Description": f"functions/{fn.name}.py",
            "CodeUri": code_uri,
            "Handler": fn.handler,
            "Runtime": R.RUNTIME,
            "Architectures": [R.ARCHITECTURE],
            "MemorySize": memory_of(fn),
            "Timeout": timeout_of(fn),
            "Role": _arn(role),
            "Layers": [_ref("DependenciesLayerArn")],
            "Environment": _environment(access),
            "VpcConfig": {"SubnetIds": _ref("SubnetIds"), "SecurityGroupIds": _ref("SecurityGroupIds")},
        },
    }
    if events:
        function["Properties"]["Events"] = events
    if fn.is_api:
        # The API calls the ML service (chalicelib/ml/client.py) through its internal load balancer,
        # which lets in only this extra security group (infra/ml_service.py).
        function["Properties"]["Environment"]["Variables"]["ML_SERVICE_URL"] = ML.service_url()
        function["Properties"]["VpcConfig"]["SecurityGroupIds"] = ML.client_security_groups()
    extra: Json = {}
    if fn.is_async:
        # S3 and EventBridge schedules invoke asynchronously: Lambda retries a failed event twice,
        # then sends it here (without one, a failed scheduled run would vanish unseen).
        dlq = failed_events_queue_id(fn)
        function["Properties"]["DeadLetterQueue"] = {"Type": "SQS", "TargetArn": _arn(dlq)}
        extra[dlq] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": physical_name(f"{fn.name}-dlq"),
                "MessageRetentionPeriod": R.DLQ_RETENTION_S,
                "SqsManagedSseEnabled": True,
            },
        }
    return {
        **extra,
        log_group: {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": _sub(f"/aws/lambda/{R.APP}-${{Stage}}-{fn.name.replace('_', '-')}"),
                "RetentionInDays": R.LOG_RETENTION_DAYS,
            },
        },
        role: _role(fn, access, log_group),
        fid: function,
    }


# -- API, queues, buckets ---------------------------------------------------------------------
def _gateway_error(code: str, message: str, status: int | None = None) -> Json:
    # API Gateway's own refusals (unknown route, throttling, payload too large, integration
    # failures) in the app's one error shape.  $context.error.messageString is already a
    # quoted JSON string.  Without a StatusCode the gateway's own status is kept.
    body = (
        '{"error": {"code": "%s", "message": %s, "details": {"request_id": "$context.requestId"}}}'
        % (code, message)
    )
    response: Json = {"ResponseTemplates": {"application/json": body}}
    if status is not None:
        response["StatusCode"] = status
    return response


def _api() -> Json:
    return {
        "Type": "AWS::Serverless::Api",
        "Properties": {
            "Name": _sub(f"{R.APP}-${{Stage}}"),
            "StageName": API_STAGE,
            # Without it SAM adds a second stage literally named "Stage".
            "OpenApiVersion": "3.0.1",
            "EndpointConfiguration": {"Type": "REGIONAL"},
            # SAM's spelling of "*/*": every media type may be binary, so the gzip bodies the
            # app returns base64-encoded (isBase64Encoded) reach clients as bytes.  It also
            # makes API Gateway hand request bodies over base64-encoded; Chalice decodes them.
            # No MinimumCompressionSize: the app compresses (platform/http.gzip_if_worthwhile).
            "BinaryMediaTypes": ["*~1*"],
            "GatewayResponses": {
                # An unknown path is a 403 "Missing Authentication Token" by default.
                "MISSING_AUTHENTICATION_TOKEN": _gateway_error("route_not_found", '"Route not found"', 404),
                "THROTTLED": _gateway_error("rate_limited", "$context.error.messageString"),
                "DEFAULT_4XX": _gateway_error("bad_request", "$context.error.messageString"),
                "DEFAULT_5XX": _gateway_error("internal_error", "$context.error.messageString"),
            },
        },
    }


def _queue_resources(functions: list[Function]) -> Json:
    out: Json = {}
    for queue in R.QUEUES:
        consumers = [(fn, s) for fn in functions for s in fn.queues if s.queue == queue]
        visibility = max([6 * timeout_of(fn) + s.window_s for fn, s in consumers] or [6 * R.TIMEOUT_S])
        out[dlq_id(queue)] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": physical_name(f"{queue}-dlq"),
                "MessageRetentionPeriod": R.DLQ_RETENTION_S,
                "SqsManagedSseEnabled": True,
            },
        }
        out[queue_id(queue)] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": physical_name(queue),
                "VisibilityTimeout": visibility,
                "MessageRetentionPeriod": R.QUEUE_RETENTION_S,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {"deadLetterTargetArn": _arn(dlq_id(queue)), "maxReceiveCount": R.MAX_RECEIVE_COUNT},
            },
        }
    return out


def _bucket_resources() -> Json:
    out: Json = {}
    for bucket, options in R.BUCKETS.items():
        bid = bucket_id(bucket)
        properties: Json = {
            "BucketName": _sub(_bucket_physical(bucket)),
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                "ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                "BucketKeyEnabled": True,
            }]},
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        }
        if options.get("versioned"):
            properties["VersioningConfiguration"] = {"Status": "Enabled"}
        out[bid] = {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": properties,
        }
        out[bid + "Policy"] = {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": _ref(bid),
                "PolicyDocument": {"Version": IAM_VERSION, "Statement": [{
                    "Sid": "TlsOnly",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [_arn(bid), _sub(f"${{{bid}.Arn}}/*")],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }]},
            },
        }
    return out


def _outputs() -> Json:
    outputs: Json = {
        "ApiUrl": {
            "Description": "Base URL of the REST API (routes start with /api/...)",
            "Value": _sub(f"https://${{{API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{API_STAGE}"),
        },
    }
    for queue in R.QUEUES:
        outputs[queue_id(queue) + "Url"] = {"Value": _ref(queue_id(queue))}
        outputs[dlq_id(queue) + "Url"] = {"Value": _ref(dlq_id(queue))}
    for bucket in R.BUCKETS:
        outputs[bucket_id(bucket) + "Name"] = {"Value": _ref(bucket_id(bucket))}
    return outputs


# -- the template -----------------------------------------------------------------------------
ACCESS_KEYS = {"s3", "sqs", "ses", "actions", "dead_letters", "websocket"}


def check_access_map(functions: list[Function]) -> None:
    """Fail on names in resources.py that point nowhere (a typo would silently grant nothing)."""
    names = {fn.name for fn in functions}
    for fn_name, access in R.ACCESS.items():
        if fn_name not in names:
            raise ValueError(f"infra/resources.py ACCESS names {fn_name!r}, which is not a functions/ module")
        unknown = (
            [f"bucket {b!r}" for b in access.get("s3", []) if b not in R.BUCKETS]
            + [f"queue {q!r}" for q in access.get("sqs", []) if q not in R.QUEUES]
            + [f"dead-letter queue {q!r}" for q in access.get("dead_letters", []) if q != "*" and q not in R.QUEUES]
            + [f"wildcard action {a!r}" for a in access.get("actions", []) if a not in R.WILDCARD_ACTIONS]
            + [f"SES action {a!r}" for a in access.get("ses", []) if a not in R.SES_SEND_ACTIONS]
            + [f"websocket access {a!r}" for a in access.get("websocket", []) if a != "push"]
        )
        if set(access) - ACCESS_KEYS:
            unknown.append(f"keys {sorted(set(access) - ACCESS_KEYS)}")
        if unknown:
            raise ValueError(f"infra/resources.py ACCESS[{fn_name!r}]: unknown {', '.join(unknown)}")
    for fn in functions:
        for source in fn.queues:
            if source.queue not in R.QUEUES:
                raise ValueError(f"functions/{fn.name}.py consumes {source.queue!r}; declare it in QUEUES")
        for bucket_source in fn.buckets:
            if bucket_source.bucket not in R.BUCKETS:
                raise ValueError(f"functions/{fn.name}.py handles events of bucket {bucket_source.bucket!r}; "
                                 "declare it in BUCKETS")


def _websocket_resources(fn: Function) -> Json:
    """An API Gateway WebSocket API whose routes all invoke `fn` (its handler dispatches on the
    route key), deployed to the same stage name as the REST API."""
    routes = {f"WebSocketRoute{pascal(key.lstrip('$'))}": {
        "Type": "AWS::ApiGatewayV2::Route",
        "Properties": {"ApiId": _ref(WS_API), "RouteKey": key, "Target": _sub("integrations/${WebSocketIntegration}"),
                       "OperationName": key.lstrip("$")},
    } for key in fn.websocket_routes}
    return {
        WS_API: {"Type": "AWS::ApiGatewayV2::Api", "Properties": {
            "Name": _sub(f"{R.APP}-${{Stage}}-ws"), "ProtocolType": "WEBSOCKET",
            "RouteSelectionExpression": "$request.body.action"}},
        "WebSocketIntegration": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {
            "ApiId": _ref(WS_API), "IntegrationType": "AWS_PROXY",
            "IntegrationUri": _sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                                   f"${{{function_id(fn)}.Arn}}/invocations")}},
        **routes,
        "WebSocketDeployment": {"Type": "AWS::ApiGatewayV2::Deployment", "DependsOn": sorted(routes),
                                "Properties": {"ApiId": _ref(WS_API)}},
        "WebSocketStage": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {
            "ApiId": _ref(WS_API), "StageName": API_STAGE, "DeploymentId": _ref("WebSocketDeployment")}},
        "WebSocketInvokePermission": {"Type": "AWS::Lambda::Permission", "Properties": {
            "Action": "lambda:InvokeFunction", "FunctionName": _ref(function_id(fn)),
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": _sub(f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{WS_API}}}/*")}},
    }


def build_template(functions: list[Function], code_uri: str = "package.zip") -> Json:
    check_access_map(functions)
    websocket = [fn for fn in functions if fn.websocket_routes]
    if len(websocket) > 1:
        raise ValueError(f"one WebSocket function per stack, found {[fn.name for fn in websocket]}")
    if not websocket and any(R.ACCESS.get(fn.name, {}).get("websocket") for fn in functions):
        raise ValueError("infra/resources.py grants websocket access, but no function serves WebSocket routes")
    resources: Json = {API: _api()}
    if websocket:
        resources.update(_websocket_resources(websocket[0]))
    for fn in functions:
        resources.update(_function_resources(fn, R.ACCESS.get(fn.name, {}), code_uri))
    resources.update(_queue_resources(functions))
    resources.update(_bucket_resources())
    resources.update(ML.build_resources(bucket_id(ML.MODELS_BUCKET), queue_id(ML.EVENTS_QUEUE), _secret_ref))
    parameters = {**PARAMETERS, **ML.PARAMETERS}
    if any(R.ACCESS.get(fn.name, {}).get("ses") for fn in functions):
        parameters[MAIL_FROM] = MAIL_FROM_PARAMETER
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": (
            f"{R.APP}: one Lambda per functions/ module and the ML service on ECS Fargate (generated by "
            f"`python -m infra.build`; do not edit). Needs the secret {R.APP}/<Stage>/app with keys {', '.join(R.SECRET_ENV)}."
        ),
        "Parameters": parameters,
        "Resources": resources,
        "Outputs": {**_outputs(), **ML.outputs(), **({"WebSocketUrl": {
            "Description": "The admin panel's WebSocket endpoint (wss://…/v1?key=…&token=…)",
            "Value": _sub(WS_ENDPOINT.replace("https://", "wss://"))}} if websocket else {})},
    }
