"""The ML service (ml_container/) in the SAM template: ECS Fargate behind an internal load balancer,
plus its batch trainer as a scheduled ECS task.

Why not Lambda: the service long-polls the "events" queue in a background thread and holds /ws
connections open; a Lambda container image would do neither between invocations.  So:

- MlService: an ECS service (Fargate, desired count 1) running the image of the MlServiceImageUri
  parameter (ml_container/Dockerfile: uvicorn on port 8000), its role limited to the "ml-models"
  bucket's objects and to receiving / deleting on the "events" queue.
- MlLoadBalancer: an *internal* Application Load Balancer (HTTP :80 → the task's :8000, health
  check GET /health).  Only MlClientSecurityGroup may connect, and template.py gives that group to
  the API functions together with ML_SERVICE_URL (http://<the balancer's DNS name>).  The calls
  carry X-Service-Token = ML_SERVICE_TOKEN of the app secret; they never leave the VPC's private
  subnets, which is why plain HTTP is acceptable here (HTTPS would need a private domain and an
  ACM certificate for it: ACM issues none for the balancer's own amazonaws.com name).
- MlTrainerSchedule: an EventBridge rule that runs MlTrainerTaskDefinition daily — the same image
  with the command `python -m huglu_ml.trainer --activate auto --tenant <MlTrainerTenantIds>`,
  more memory than the service, and a role without the queue.  The command lives in the task
  definition, so `aws ecs run-task --task-definition huglu-<stage>-ml-trainer` (optionally with a
  command override naming one tenant) does by hand what the schedule does.

Secrets (DATABASE_URL, REDIS_URL, ML_SERVICE_TOKEN) reach the containers as the functions' do:
CloudFormation dynamic references to the app secret, resolved at deploy time (template.py).  So
neither task role reads Secrets Manager at run time, and a rotated value needs a deploy, as for the
functions.  (ECS `Secrets` would read them at task start, but it wants the secret's *full* ARN,
random suffix included, which this template cannot spell without another parameter.)

The task's subnets are the functions' (SubnetIds) and it carries the functions' security groups
(SecurityGroupIds) as well as its own, so RDS Proxy and Redis let it in as they let the functions.
Those subnets need a way to ECR (image pull), CloudWatch Logs, S3 and SQS: a NAT gateway or the
VPC endpoints ecr.api, ecr.dkr, logs, sqs and the S3 gateway endpoint.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import resources as R
from .cfn import Json, _arn, _ref, _sub

IAM_VERSION = "2012-10-17"

# Logical ids.
CLUSTER = "MlCluster"
SERVICE = "MlService"
TASK_DEFINITION = "MlServiceTaskDefinition"
TRAINER_TASK_DEFINITION = "MlTrainerTaskDefinition"
TASK_ROLE = "MlServiceTaskRole"
TRAINER_ROLE = "MlTrainerTaskRole"
EXECUTION_ROLE = "MlExecutionRole"
SCHEDULE = "MlTrainerSchedule"
SCHEDULE_ROLE = "MlTrainerScheduleRole"
LOG_GROUP = "MlLogGroup"
LOAD_BALANCER = "MlLoadBalancer"
LISTENER = "MlListener"
TARGET_GROUP = "MlTargetGroup"
CLIENT_SG = "MlClientSecurityGroup"
LOAD_BALANCER_SG = "MlLoadBalancerSecurityGroup"
TASK_SG = "MlServiceSecurityGroup"
TASK_SG_INGRESS = "MlServiceIngressFromLoadBalancer"

MODELS_BUCKET = "ml-models"  # resources.BUCKETS
EVENTS_QUEUE = "events"  # resources.QUEUES
CONTAINER = "ml"
TRAINER_CONTAINER = "trainer"
CONTAINER_PORT = 8000  # ml_container/Dockerfile EXPOSE / uvicorn --port
LISTENER_PORT = 80
HEALTH_PATH = "/health"  # answers 200 with "degraded" when Redis / MySQL / S3 fail: a liveness check
# The secret keys the containers read (each also in resources.SECRET_ENV, so the API functions get
# the same ML_SERVICE_TOKEN they send as X-Service-Token).
SECRET_KEYS = ("DATABASE_URL", "REDIS_URL", "ML_SERVICE_TOKEN")

# Sizes (Fargate CPU units / MiB).  The target is under 1 GB for the serving process; the
# task has more because POST /api/models/train (staff) trains in a child process *inside* this task
# (huglu_ml.trainer.submit), and the second vCPU keeps answers fast while it does.  The scheduled
# trainer is its own task.  Measured here: training and evaluating the recommender on the whole UCI
# Online Retail set (540,000 lines, 4,372 customers; `python -m huglu_ml.evaluate --only recommender`)
# peaks at 1.5 GB resident and takes 80 s of CPU; 4 GB (the least Fargate gives 2 vCPU) leaves room for
# a bigger tenant.  Not yet measured on Fargate: check Container Insights' MemoryUtilized after the
# first nightly run and adjust.
SERVICE_CPU, SERVICE_MEMORY = 2048, 4096
TRAINER_CPU, TRAINER_MEMORY = 2048, 4096
# One task.  More would be safe for HTTP and /ws (insights go through Redis pub/sub, models come
# from S3), but every task also runs an events consumer whose anomaly windows live in its memory
# and are saved to Redis last-writer-wins: with two consumers a tenant's burst of declined cards is
# split between them and may not be flagged.  Scale out only after the consumer runs as its own
# single service (or the windows are merged atomically); meanwhile scale up (SERVICE_CPU/MEMORY).
DESIRED_COUNT = 1
TRAINER_SCHEDULE = "cron(30 0 * * ? *)"  # daily 00:30 UTC = 03:30 in Türkiye, the quiet hours

PARAMETERS: Json = {
    "VpcId": {
        "Type": "AWS::EC2::VPC::Id",
        "Description": "The VPC of SubnetIds: the ML service's security groups and load balancer target group live in it.",
    },
    "MlServiceImageUri": {
        "Type": "String",
        # An image in this stack's ECR (the execution role may pull from this account and region only),
        # by tag or by digest.
        "AllowedPattern": "^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9][a-z0-9._/-]*"
        "(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$",
        "Description": "The ML service image (docker build ml_container/, pushed to ECR in this account and "
        "region), e.g. 123456789012.dkr.ecr.eu-central-1.amazonaws.com/huglu-ml:2025-01-31 or ...@sha256:...",
    },
    "MlTrainerTenantIds": {
        "Type": "String",
        "AllowedPattern": "^[1-9][0-9]{0,9}(,[1-9][0-9]{0,9})*$",
        "Description": "Comma-separated ids of the tenants the nightly batch trainer trains "
        "(python -m huglu_ml.trainer --tenant <ids>), e.g. 1,2,5.",
    },
}


def _group_id(logical_id: str) -> Json:
    return {"Fn::GetAtt": [logical_id, "GroupId"]}


def _physical(name: str) -> Json:
    return _sub(f"{R.APP}-${{Stage}}-{name}")


def _statement(sid: str, actions: list[str], resource: Any, condition: Json | None = None) -> Json:
    statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def _role(description: str, service: str, statements: list[Json]) -> Json:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": _sub(f"{R.APP}-${{Stage}} {description}"),
            "AssumeRolePolicyDocument": {"Version": IAM_VERSION, "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
            }]},
            "Policies": [{"PolicyName": "ml", "PolicyDocument": {"Version": IAM_VERSION, "Statement": statements}}],
        },
    }


def _with_function_groups(own: Json) -> Json:
    """SecurityGroupIds (a list parameter) plus one of this template's groups, as one list."""
    joined = {"Fn::Join": [",", [{"Fn::Join": [",", _ref("SecurityGroupIds")]}, own]]}
    return {"Fn::Split": [",", joined]}


def client_security_groups() -> Json:
    """VpcConfig.SecurityGroupIds of a function that calls the service: its usual groups and the one
    group the load balancer lets in."""
    return _with_function_groups(_group_id(CLIENT_SG))


def service_url() -> Json:
    """ML_SERVICE_URL of the API functions."""
    return _sub(f"http://${{{LOAD_BALANCER}.DNSName}}")


def trainer_command() -> Json:
    """['python', '-m', 'huglu_ml.trainer', '--activate', 'auto', '--tenant', '1', '2', ...]."""
    return {"Fn::Split": [",", _sub("python,-m,huglu_ml.trainer,--activate,auto,--tenant,${MlTrainerTenantIds}")]}


# -- IAM ----------------------------------------------------------------------------------------
def _model_statements(bucket_id: str) -> list[Json]:
    # The registry reads and writes versions and aliases.json (upload_file: multipart for large
    # models, hence AbortMultipartUpload); it never deletes (the bucket is versioned, old versions
    # are history).  ListBucket: the registry lists versions, /health does HeadBucket, and a
    # missing key answers 404 rather than 403.
    return [
        _statement("ModelObjects", ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
                   _sub(f"${{{bucket_id}.Arn}}/*")),
        _statement("ModelList", ["s3:ListBucket"], _arn(bucket_id)),
    ]


def _roles(bucket_id: str, queue_id: str) -> Json:
    execution = _role("ML service: ECS pulls the image and writes the logs", "ecs-tasks.amazonaws.com", [
        _statement("Logs", ["logs:CreateLogStream", "logs:PutLogEvents"], _arn(LOG_GROUP)),
        _statement("ImagePull", ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                   _sub("arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/*")),
        # ECR's login has no resource-level permission.
        _statement("RegistryLogin", ["ecr:GetAuthorizationToken"], "*"),
    ])
    service = _role("ML service task", "ecs-tasks.amazonaws.com", [
        *_model_statements(bucket_id),
        # huglu_ml.realtime: receive_message (long poll) and delete_message once handled; a failed
        # message is left to reappear and, after resources.MAX_RECEIVE_COUNT, to the DLQ.
        _statement("EventsConsume", ["sqs:ReceiveMessage", "sqs:DeleteMessage"], _arn(queue_id)),
    ])
    trainer = _role("ML batch trainer task", "ecs-tasks.amazonaws.com", _model_statements(bucket_id))
    schedule = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": _sub(f"{R.APP}-${{Stage}} EventBridge starts the ML batch trainer"),
            "AssumeRolePolicyDocument": {"Version": IAM_VERSION, "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole",
            }]},
            "Policies": [{"PolicyName": "run-trainer", "PolicyDocument": {"Version": IAM_VERSION, "Statement": [
                _statement("RunTrainer", ["ecs:RunTask"], _ref(TRAINER_TASK_DEFINITION),
                           {"ArnEquals": {"ecs:cluster": _arn(CLUSTER)}}),
                _statement("PassTrainerRoles", ["iam:PassRole"], [_arn(TRAINER_ROLE), _arn(EXECUTION_ROLE)],
                           {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}),
            ]}}],
        },
    }
    return {EXECUTION_ROLE: execution, TASK_ROLE: service, TRAINER_ROLE: trainer, SCHEDULE_ROLE: schedule}


# -- tasks --------------------------------------------------------------------------------------
def _container(name: str, environment: Json, secret_ref: Callable[[str], Json], command: Json | None) -> Json:
    variables = {**environment, **{key: secret_ref(key) for key in SECRET_KEYS}}
    container: Json = {
        "Name": name,
        "Image": _ref("MlServiceImageUri"),
        "Essential": True,
        "Environment": [{"Name": key, "Value": variables[key]} for key in sorted(variables)],
        "LogConfiguration": {"LogDriver": "awslogs", "Options": {
            "awslogs-group": _ref(LOG_GROUP),
            "awslogs-region": _ref("AWS::Region"),
            "awslogs-stream-prefix": name,
        }},
    }
    if command is not None:
        container["Command"] = command
    return container


def _task_definition(family: str, cpu: int, memory: int, role: str, container: Json) -> Json:
    return {
        "Type": "AWS::ECS::TaskDefinition",
        "Properties": {
            "Family": _physical(family),
            "RequiresCompatibilities": ["FARGATE"],
            "NetworkMode": "awsvpc",
            "Cpu": str(cpu),
            "Memory": str(memory),
            # TensorFlow's and scikit-learn's wheels in the image are built for x86_64.
            "RuntimePlatform": {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"},
            "ExecutionRoleArn": _arn(EXECUTION_ROLE),
            "TaskRoleArn": _arn(role),
            "ContainerDefinitions": [container],
        },
    }


def _tasks(bucket_id: str, queue_id: str, secret_ref: Callable[[str], Json]) -> Json:
    environment: Json = {
        "STAGE": _ref("Stage"),
        "AWS_DEFAULT_REGION": _ref("AWS::Region"),
        # The registry's bucket: the template's physical name, not huglu_ml.config's local default.
        "ML_MODELS_BUCKET": _ref(bucket_id),
    }
    service = _container(CONTAINER, {**environment, "ML_EVENTS_QUEUE_URL": _ref(queue_id)}, secret_ref, None)
    service["PortMappings"] = [{"ContainerPort": CONTAINER_PORT, "Protocol": "tcp"}]
    service["StopTimeout"] = 30  # the consumer finishes its batch; uvicorn closes the WebSockets
    trainer = _container(TRAINER_CONTAINER, environment, secret_ref, trainer_command())
    return {
        TASK_DEFINITION: _task_definition("ml", SERVICE_CPU, SERVICE_MEMORY, TASK_ROLE, service),
        TRAINER_TASK_DEFINITION: _task_definition("ml-trainer", TRAINER_CPU, TRAINER_MEMORY, TRAINER_ROLE, trainer),
    }


# -- network ------------------------------------------------------------------------------------
def _network() -> Json:
    return {
        CLIENT_SG: {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "Callers of the ML service (the API functions): let in by its load balancer",
            "VpcId": _ref("VpcId"),
        }},
        LOAD_BALANCER_SG: {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "Internal load balancer of the ML service: from its callers, to its tasks",
            "VpcId": _ref("VpcId"),
            "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": LISTENER_PORT, "ToPort": LISTENER_PORT,
                                      "SourceSecurityGroupId": _group_id(CLIENT_SG),
                                      "Description": "API functions"}],
            "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": CONTAINER_PORT, "ToPort": CONTAINER_PORT,
                                     "DestinationSecurityGroupId": _group_id(TASK_SG),
                                     "Description": "ML service tasks (requests and health checks)"}],
        }},
        # Its ingress is a separate resource: the balancer's group names this one in its egress.
        TASK_SG: {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "ML service tasks: only their load balancer connects in",
            "VpcId": _ref("VpcId"),
        }},
        TASK_SG_INGRESS: {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": _group_id(TASK_SG), "IpProtocol": "tcp", "FromPort": CONTAINER_PORT, "ToPort": CONTAINER_PORT,
            "SourceSecurityGroupId": _group_id(LOAD_BALANCER_SG), "Description": "ML service load balancer",
        }},
        LOAD_BALANCER: {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
            "Type": "application",
            "Scheme": "internal",
            "IpAddressType": "ipv4",
            "Subnets": _ref("SubnetIds"),  # an ALB needs subnets in at least two availability zones
            "SecurityGroups": [_group_id(LOAD_BALANCER_SG)],
            "LoadBalancerAttributes": [
                {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
                # /ws sends every ML_WS_INTERVAL_S (5 s): well inside the idle timeout.
                {"Key": "idle_timeout.timeout_seconds", "Value": "60"},
            ],
        }},
        TARGET_GROUP: {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
            "TargetType": "ip",  # Fargate tasks register by their ENI's address
            "Protocol": "HTTP",
            "Port": CONTAINER_PORT,
            "VpcId": _ref("VpcId"),
            "HealthCheckProtocol": "HTTP",
            "HealthCheckPath": HEALTH_PATH,
            "Matcher": {"HttpCode": "200"},
            "HealthCheckIntervalSeconds": 15,
            "HealthCheckTimeoutSeconds": 5,
            "HealthyThresholdCount": 2,
            "UnhealthyThresholdCount": 3,
            "TargetGroupAttributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}],
        }},
        LISTENER: {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
            "LoadBalancerArn": _ref(LOAD_BALANCER),
            "Port": LISTENER_PORT,
            "Protocol": "HTTP",
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": _ref(TARGET_GROUP)}],
        }},
    }


# -- the whole ----------------------------------------------------------------------------------
def build_resources(bucket_id: str, queue_id: str, secret_ref: Callable[[str], Json]) -> Json:
    """Resources of the ML service.  `bucket_id` / `queue_id`: the logical ids of the "ml-models"
    bucket and the "events" queue; `secret_ref(key)`: the app secret's dynamic reference for a key."""
    missing = [key for key in SECRET_KEYS if key not in R.SECRET_ENV]
    if missing:
        raise ValueError(f"infra/resources.py SECRET_ENV lacks {missing}, which the ML service reads")
    if MODELS_BUCKET not in R.BUCKETS or EVENTS_QUEUE not in R.QUEUES:
        raise ValueError(f"infra/resources.py must declare the bucket {MODELS_BUCKET!r} and the queue {EVENTS_QUEUE!r}")
    private = {"Subnets": _ref("SubnetIds"), "AssignPublicIp": "DISABLED"}
    return {
        **_network(),
        LOG_GROUP: {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": _sub(f"/ecs/{R.APP}-${{Stage}}-ml"),
            "RetentionInDays": R.LOG_RETENTION_DAYS,
        }},
        **_roles(bucket_id, queue_id),
        **_tasks(bucket_id, queue_id, secret_ref),
        CLUSTER: {"Type": "AWS::ECS::Cluster", "Properties": {
            "ClusterName": _physical("ml"),
            # Per-task memory and CPU metrics: how the sizes above are checked.
            "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}],
        }},
        SERVICE: {
            "Type": "AWS::ECS::Service",
            # ECS refuses a target group that no listener of a load balancer uses yet.
            "DependsOn": [LISTENER],
            "Properties": {
                "ServiceName": _physical("ml"),
                "Cluster": _ref(CLUSTER),
                "TaskDefinition": _ref(TASK_DEFINITION),
                "LaunchType": "FARGATE",
                "DesiredCount": DESIRED_COUNT,
                # A deploy starts the new task before stopping the old one (two consumers for a
                # moment, see DESIRED_COUNT) and rolls back when the new one never gets healthy.
                "DeploymentConfiguration": {
                    "MinimumHealthyPercent": 100, "MaximumPercent": 200,
                    "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
                },
                # TensorFlow's import and the first model loads take a while.
                "HealthCheckGracePeriodSeconds": 120,
                "LoadBalancers": [{"ContainerName": CONTAINER, "ContainerPort": CONTAINER_PORT,
                                   "TargetGroupArn": _ref(TARGET_GROUP)}],
                "NetworkConfiguration": {"AwsvpcConfiguration": {
                    **private, "SecurityGroups": _with_function_groups(_group_id(TASK_SG))}},
                "PropagateTags": "SERVICE",
                "EnableECSManagedTags": True,
            },
        },
        SCHEDULE: {"Type": "AWS::Events::Rule", "Properties": {
            "Name": _physical("ml-trainer"),
            "Description": "The ML batch trainer: python -m huglu_ml.trainer for MlTrainerTenantIds, daily",
            "ScheduleExpression": TRAINER_SCHEDULE,
            "State": "ENABLED",
            "Targets": [{
                "Id": "trainer",
                "Arn": _arn(CLUSTER),
                "RoleArn": _arn(SCHEDULE_ROLE),
                "EcsParameters": {
                    "TaskDefinitionArn": _ref(TRAINER_TASK_DEFINITION),
                    "TaskCount": 1,
                    "LaunchType": "FARGATE",
                    "PlatformVersion": "LATEST",
                    # The functions' groups only: the database and Redis let it in; nothing connects to it.
                    "NetworkConfiguration": {"AwsVpcConfiguration": {
                        **private, "SecurityGroups": _ref("SecurityGroupIds")}},
                },
                # Retries starting the task (e.g. no Fargate capacity); a failed training run itself
                # shows as the task's non-zero exit and in the log group.
                "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
            }],
        }},
    }


def outputs() -> Json:
    return {
        "MlServiceUrl": {"Description": "The ML service's internal base URL (the API functions' ML_SERVICE_URL)",
                         "Value": service_url()},
        "MlClusterName": {"Value": _ref(CLUSTER)},
        "MlServiceName": {"Value": {"Fn::GetAtt": [SERVICE, "Name"]}},
        "MlTrainerTaskDefinitionArn": {"Description": "aws ecs run-task --launch-type FARGATE --task-definition ...",
                                       "Value": _ref(TRAINER_TASK_DEFINITION)},
        "MlLogGroupName": {"Value": _ref(LOG_GROUP)},
    }
