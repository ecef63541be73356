"""The ML service in the SAM template (infra/ml_service.py): ECS Fargate behind an internal load
balancer only the API functions reach, least-privilege task roles, the nightly trainer task.

Some checks read ml_container/ as text (its port, its health path, its settings' names, the
trainer's options): the template must describe the container that is actually built.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from infra import ml_service as ML  # noqa: E402
from infra import resources as R  # noqa: E402
from infra.functions import Function, discover  # noqa: E402
from infra.template import build_template, function_id  # noqa: E402

ML_ROOT = ROOT / "ml_container"


@pytest.fixture(scope="module")
def functions() -> list[Function]:
    return discover(ROOT)


@pytest.fixture(scope="module")
def template(functions: list[Function]) -> dict[str, Any]:
    return build_template(functions)


@pytest.fixture(scope="module")
def res(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


def _statements(res: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    role = res[role_id]
    assert role["Type"] == "AWS::IAM::Role"
    assert not role["Properties"].get("ManagedPolicyArns"), f"{role_id}: managed policies are not reviewable here"
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def _listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements for a in _listify(s["Action"])}


def _container(res: dict[str, Any], task_id: str) -> dict[str, Any]:
    [container] = res[task_id]["Properties"]["ContainerDefinitions"]
    return container


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["Name"]: e["Value"] for e in container["Environment"]}


def _ingress_sources(res: dict[str, Any], group_id: str) -> list[tuple[int, int, str]]:
    """(from port, to port, source group's logical id) of every rule letting traffic into `group_id`."""
    rules = list(res[group_id]["Properties"].get("SecurityGroupIngress", []))
    rules += [r["Properties"] for r in res.values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"
              and r["Properties"]["GroupId"] == {"Fn::GetAtt": [group_id, "GroupId"]}]
    out = []
    for rule in rules:
        assert "CidrIp" not in rule and "CidrIpv6" not in rule and "SourcePrefixListId" not in rule, rule
        out.append((rule["FromPort"], rule["ToPort"], rule["SourceSecurityGroupId"]["Fn::GetAtt"][0]))
    return out


# -- what is there ------------------------------------------------------------------------------
def test_the_ml_service_resources_exist(res):
    expected = {
        ML.CLUSTER: "AWS::ECS::Cluster",
        ML.SERVICE: "AWS::ECS::Service",
        ML.TASK_DEFINITION: "AWS::ECS::TaskDefinition",
        ML.TRAINER_TASK_DEFINITION: "AWS::ECS::TaskDefinition",
        ML.TASK_ROLE: "AWS::IAM::Role",
        ML.TRAINER_ROLE: "AWS::IAM::Role",
        ML.EXECUTION_ROLE: "AWS::IAM::Role",
        ML.SCHEDULE_ROLE: "AWS::IAM::Role",
        ML.LOG_GROUP: "AWS::Logs::LogGroup",
        ML.LOAD_BALANCER: "AWS::ElasticLoadBalancingV2::LoadBalancer",
        ML.TARGET_GROUP: "AWS::ElasticLoadBalancingV2::TargetGroup",
        ML.LISTENER: "AWS::ElasticLoadBalancingV2::Listener",
        ML.CLIENT_SG: "AWS::EC2::SecurityGroup",
        ML.LOAD_BALANCER_SG: "AWS::EC2::SecurityGroup",
        ML.TASK_SG: "AWS::EC2::SecurityGroup",
        ML.SCHEDULE: "AWS::Events::Rule",
    }
    assert {k: res[k]["Type"] for k in expected if k in res} == expected
    assert res[ML.LOG_GROUP]["Properties"]["RetentionInDays"] == R.LOG_RETENTION_DAYS
    # Not a Lambda: the events consumer long-polls and /ws holds connections.
    assert not any("ml_container" in json.dumps(r) for r in res.values() if r["Type"] == "AWS::Serverless::Function")


def test_the_service_is_one_fargate_task_in_private_subnets(res):
    props = res[ML.SERVICE]["Properties"]
    assert props["LaunchType"] == "FARGATE" and props["DesiredCount"] == 1
    assert props["TaskDefinition"] == {"Ref": ML.TASK_DEFINITION} and props["Cluster"] == {"Ref": ML.CLUSTER}
    network = props["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED" and network["Subnets"] == {"Ref": "SubnetIds"}
    groups = json.dumps(network["SecurityGroups"])
    assert '"Ref": "SecurityGroupIds"' in groups and ML.TASK_SG in groups  # the database lets it in; the ALB reaches it
    assert ML.CLIENT_SG not in groups
    assert props["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert ML.LISTENER in res[ML.SERVICE]["DependsOn"]
    for task in (ML.TASK_DEFINITION, ML.TRAINER_TASK_DEFINITION):
        task_props = res[task]["Properties"]
        assert task_props["RequiresCompatibilities"] == ["FARGATE"] and task_props["NetworkMode"] == "awsvpc"
        assert _container(res, task)["Image"] == {"Ref": "MlServiceImageUri"}  # one image for both
        log = _container(res, task)["LogConfiguration"]
        assert log["LogDriver"] == "awslogs" and log["Options"]["awslogs-group"] == {"Ref": ML.LOG_GROUP}


def test_task_sizes_are_valid_fargate_sizes_and_the_trainer_has_its_own():
    # Fargate: 1 vCPU takes 2-8 GB, 2 vCPU 4-16 GB, 4 vCPU 8-30 GB (in 1 GB steps).
    ranges = {1024: (2048, 8192), 2048: (4096, 16384), 4096: (8192, 30720)}
    for cpu, memory in ((ML.SERVICE_CPU, ML.SERVICE_MEMORY), (ML.TRAINER_CPU, ML.TRAINER_MEMORY)):
        low, high = ranges[cpu]
        assert low <= memory <= high and memory % 1024 == 0, (cpu, memory)
    assert ML.SERVICE_MEMORY >= 1024  # the serving target is under 1 GB; training children need more


# -- the container the template describes is the one ml_container/ builds ----------------------
def test_port_health_path_and_settings_match_ml_container(res):
    dockerfile = (ML_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert f"EXPOSE {ML.CONTAINER_PORT}" in dockerfile and f"--port\", \"{ML.CONTAINER_PORT}\"" in dockerfile
    health = (ML_ROOT / "huglu_ml" / "routes" / "health.py").read_text(encoding="utf-8")
    assert f'@router.get("{ML.HEALTH_PATH}")' in health
    config = (ML_ROOT / "huglu_ml" / "config.py").read_text(encoding="utf-8")
    service_env = _env(_container(res, ML.TASK_DEFINITION))
    for name in service_env:
        if name not in ("STAGE", "AWS_DEFAULT_REGION"):
            assert f'"{name}"' in config, f"{name} is not a setting of huglu_ml.config"
    assert _container(res, ML.TASK_DEFINITION)["PortMappings"] == [{"ContainerPort": ML.CONTAINER_PORT, "Protocol": "tcp"}]


def test_containers_get_the_bucket_the_queue_and_secrets_by_reference(res):
    service = _env(_container(res, ML.TASK_DEFINITION))
    trainer = _env(_container(res, ML.TRAINER_TASK_DEFINITION))
    assert service["ML_MODELS_BUCKET"] == trainer["ML_MODELS_BUCKET"] == {"Ref": "MlModelsBucket"}
    assert service["ML_EVENTS_QUEUE_URL"] == {"Ref": "EventsQueue"}  # starts the consumer
    assert "ML_EVENTS_QUEUE_URL" not in trainer  # the trainer does not consume
    for env in (service, trainer):
        for key in ML.SECRET_KEYS:
            assert "{{resolve:secretsmanager:huglu/${Stage}/app:SecretString:" + key + "}}" in json.dumps(env[key])
        for key, value in env.items():
            if re.search(r"SECRET|PASSWORD|TOKEN|PEPPER|KEY|DATABASE_URL|REDIS_URL", key):
                assert key in ML.SECRET_KEYS and isinstance(value, dict), f"{key} is a literal"
    assert set(ML.SECRET_KEYS) <= set(R.SECRET_ENV)


# -- IAM ----------------------------------------------------------------------------------------
def test_the_service_task_role_grants_only_the_models_bucket_and_the_events_queue(res):
    statements = _statements(res, ML.TASK_ROLE)
    assert _actions(statements) == {"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListBucket",
                                    "sqs:ReceiveMessage", "sqs:DeleteMessage"}
    for statement in statements:
        assert statement["Effect"] == "Allow" and "*" not in _listify(statement["Resource"])
        resource = json.dumps(statement["Resource"])
        if any(a.startswith("s3:") for a in _listify(statement["Action"])):
            assert "MlModelsBucket" in resource and "Bucket" not in resource.replace("MlModelsBucket", "")
        else:
            assert statement["Resource"] == {"Fn::GetAtt": ["EventsQueue", "Arn"]}
    policy = json.dumps(res[ML.TASK_ROLE]["Properties"])
    assert "secretsmanager" not in policy and "sqs:SendMessage" not in policy and "s3:DeleteObject" not in policy
    trust = res[ML.TASK_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "ecs-tasks.amazonaws.com"}]


def test_the_trainer_role_has_the_bucket_and_nothing_else(res):
    statements = _statements(res, ML.TRAINER_ROLE)
    assert _actions(statements) == {"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListBucket"}
    assert all("MlModelsBucket" in json.dumps(s["Resource"]) for s in statements)
    assert res[ML.TRAINER_TASK_DEFINITION]["Properties"]["TaskRoleArn"] == {"Fn::GetAtt": [ML.TRAINER_ROLE, "Arn"]}
    assert res[ML.TASK_DEFINITION]["Properties"]["TaskRoleArn"] == {"Fn::GetAtt": [ML.TASK_ROLE, "Arn"]}


def test_the_execution_role_pulls_the_image_and_writes_its_log_group_only(res):
    statements = _statements(res, ML.EXECUTION_ROLE)
    assert _actions(statements) == {"logs:CreateLogStream", "logs:PutLogEvents", "ecr:GetAuthorizationToken",
                                    "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}
    for statement in statements:
        if "*" in _listify(statement["Resource"]):
            assert statement["Action"] == ["ecr:GetAuthorizationToken"]  # no resource-level permission exists
    [logs] = [s for s in statements if s["Sid"] == "Logs"]
    assert logs["Resource"] == {"Fn::GetAtt": [ML.LOG_GROUP, "Arn"]}
    [pull] = [s for s in statements if s["Sid"] == "ImagePull"]
    assert pull["Resource"]["Fn::Sub"].endswith(":${AWS::AccountId}:repository/*")  # this account's ECR only
    for task in (ML.TASK_DEFINITION, ML.TRAINER_TASK_DEFINITION):
        assert res[task]["Properties"]["ExecutionRoleArn"] == {"Fn::GetAtt": [ML.EXECUTION_ROLE, "Arn"]}


# -- network ------------------------------------------------------------------------------------
def test_the_load_balancer_is_internal_and_only_the_api_functions_reach_it(res):
    lb = res[ML.LOAD_BALANCER]["Properties"]
    assert lb["Scheme"] == "internal" and lb["Type"] == "application"
    assert lb["SecurityGroups"] == [{"Fn::GetAtt": [ML.LOAD_BALANCER_SG, "GroupId"]}]
    assert _ingress_sources(res, ML.LOAD_BALANCER_SG) == [(ML.LISTENER_PORT, ML.LISTENER_PORT, ML.CLIENT_SG)]
    assert _ingress_sources(res, ML.TASK_SG) == [(ML.CONTAINER_PORT, ML.CONTAINER_PORT, ML.LOAD_BALANCER_SG)]
    assert _ingress_sources(res, ML.CLIENT_SG) == []
    [egress] = res[ML.LOAD_BALANCER_SG]["Properties"]["SecurityGroupEgress"]
    assert egress["DestinationSecurityGroupId"] == {"Fn::GetAtt": [ML.TASK_SG, "GroupId"]}
    listener = res[ML.LISTENER]["Properties"]
    assert listener["LoadBalancerArn"] == {"Ref": ML.LOAD_BALANCER} and listener["Port"] == ML.LISTENER_PORT
    assert listener["DefaultActions"] == [{"Type": "forward", "TargetGroupArn": {"Ref": ML.TARGET_GROUP}}]


def test_the_target_group_checks_health_on_the_containers_port(res):
    tg = res[ML.TARGET_GROUP]["Properties"]
    assert tg["HealthCheckPath"] == "/health" and tg["Matcher"] == {"HttpCode": "200"}
    assert tg["TargetType"] == "ip" and tg["Port"] == ML.CONTAINER_PORT and tg["VpcId"] == {"Ref": "VpcId"}
    [target] = res[ML.SERVICE]["Properties"]["LoadBalancers"]
    assert target == {"ContainerName": _container(res, ML.TASK_DEFINITION)["Name"], "ContainerPort": ML.CONTAINER_PORT,
                      "TargetGroupArn": {"Ref": ML.TARGET_GROUP}}


def test_api_functions_get_ml_service_url_and_the_client_group(res, functions):
    assert any(fn.name == "ml" and fn.is_api for fn in functions)  # functions/ml.py: the routes that call it
    for fn in functions:
        props = res[function_id(fn)]["Properties"]
        variables = props["Environment"]["Variables"]
        groups = json.dumps(props["VpcConfig"]["SecurityGroupIds"])
        if fn.is_api:
            assert variables["ML_SERVICE_URL"] == {"Fn::Sub": "http://${MlLoadBalancer.DNSName}"}, fn.name
            assert ML.CLIENT_SG in groups and '"Ref": "SecurityGroupIds"' in groups, fn.name
            # the X-Service-Token it sends, from the app secret like every secret
            assert "SecretString:ML_SERVICE_TOKEN}}" in json.dumps(variables["ML_SERVICE_TOKEN"]), fn.name
        else:
            assert "ML_SERVICE_URL" not in variables and ML.CLIENT_SG not in groups, fn.name


# -- the nightly trainer ------------------------------------------------------------------------
def _split(value: Any, tenants: str) -> list[str]:
    """Evaluate the trainer command's Fn::Split / Fn::Sub as CloudFormation would."""
    separator, text = value["Fn::Split"]
    return text["Fn::Sub"].replace("${MlTrainerTenantIds}", tenants).split(separator)


def test_the_schedule_runs_the_trainer_command_daily(res, template):
    rule = res[ML.SCHEDULE]["Properties"]
    assert rule["State"] == "ENABLED" and rule["ScheduleExpression"].startswith("cron(")
    assert rule["ScheduleExpression"].split()[2:5] == ["*", "*", "?"]  # every day
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [ML.CLUSTER, "Arn"]}
    ecs = target["EcsParameters"]
    assert ecs["TaskDefinitionArn"] == {"Ref": ML.TRAINER_TASK_DEFINITION} and ecs["LaunchType"] == "FARGATE"
    assert ecs["NetworkConfiguration"]["AwsVpcConfiguration"]["AssignPublicIp"] == "DISABLED"
    command = _container(res, ML.TRAINER_TASK_DEFINITION)["Command"]
    assert _split(command, "1,7") == ["python", "-m", "huglu_ml.trainer", "--activate", "auto", "--tenant", "1", "7"]
    assert "Command" not in _container(res, ML.TASK_DEFINITION)  # the service runs the image's uvicorn CMD
    assert "MlTrainerTenantIds" in template["Parameters"]
    # The options exist in the trainer's CLI.
    trainer = (ML_ROOT / "huglu_ml" / "trainer.py").read_text(encoding="utf-8")
    assert 'add_argument("--tenant", type=int, nargs="+"' in trainer and 'add_argument("--activate"' in trainer
    assert re.search(r'ACTIVATE_MODES = \([^)]*"auto"', trainer)


def test_the_schedule_role_may_start_only_the_trainer(res):
    statements = _statements(res, ML.SCHEDULE_ROLE)
    by_sid = {s["Sid"]: s for s in statements}
    assert set(by_sid) == {"RunTrainer", "PassTrainerRoles"}
    assert by_sid["RunTrainer"]["Action"] == ["ecs:RunTask"]
    assert by_sid["RunTrainer"]["Resource"] == {"Ref": ML.TRAINER_TASK_DEFINITION}
    assert by_sid["RunTrainer"]["Condition"] == {"ArnEquals": {"ecs:cluster": {"Fn::GetAtt": [ML.CLUSTER, "Arn"]}}}
    assert by_sid["PassTrainerRoles"]["Action"] == ["iam:PassRole"]
    assert by_sid["PassTrainerRoles"]["Resource"] == [{"Fn::GetAtt": [ML.TRAINER_ROLE, "Arn"]},
                                                       {"Fn::GetAtt": [ML.EXECUTION_ROLE, "Arn"]}]
    trust = res[ML.SCHEDULE_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "events.amazonaws.com"}]


# -- parameters and outputs ---------------------------------------------------------------------
@pytest.mark.parametrize("value, ok", [("1", True), ("1,2,15", True), ("0", False), ("1 2", False),
                                       ("1,", False), ('1","x', False), ("1;rm -rf /", False)])
def test_tenant_ids_parameter_accepts_only_comma_separated_ids(template, value, ok):
    pattern = template["Parameters"]["MlTrainerTenantIds"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) is ok


@pytest.mark.parametrize("value, ok", [
    ("123456789012.dkr.ecr.eu-central-1.amazonaws.com/huglu-ml:2025-01-31", True),
    ("123456789012.dkr.ecr.eu-central-1.amazonaws.com/huglu/ml@sha256:" + "a" * 64, True),
    ("docker.io/library/python:3.11", False),
    ("123456789012.dkr.ecr.eu-central-1.amazonaws.com/huglu-ml", False),  # a tag or a digest, never implicit latest
])
def test_image_parameter_is_an_ecr_image_with_a_tag_or_digest(template, value, ok):
    pattern = template["Parameters"]["MlServiceImageUri"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) is ok


def test_outputs_name_the_service(template):
    outputs = template["Outputs"]
    assert outputs["MlServiceUrl"]["Value"] == {"Fn::Sub": "http://${MlLoadBalancer.DNSName}"}
    assert {"MlClusterName", "MlServiceName", "MlTrainerTaskDefinitionArn", "MlLogGroupName"} <= set(outputs)
    assert template["Parameters"]["VpcId"]["Type"] == "AWS::EC2::VPC::Id"


def test_a_missing_secret_key_fails_the_build(monkeypatch, functions):
    monkeypatch.setattr(R, "SECRET_ENV", tuple(k for k in R.SECRET_ENV if k != "ML_SERVICE_TOKEN"))
    with pytest.raises(ValueError, match="ML_SERVICE_TOKEN"):
        build_template(functions)
