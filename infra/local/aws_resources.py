"""Create on the emulator the queues (with DLQs and redrive) and buckets the deployed template
declares (infra/resources.py is the one list of them).  Used by `make dev` and the tests."""
from __future__ import annotations

import json

from chalicelib.platform.aws import client
from chalicelib.platform.config import settings
from infra import resources


def create_local_resources() -> list[str]:
    cfg = settings()
    created = []
    sqs = client("sqs")
    for name in resources.QUEUES:
        dlq_url = sqs.create_queue(QueueName=f"{cfg.queue_prefix}-{name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(resources.MAX_RECEIVE_COUNT)})
        sqs.create_queue(QueueName=f"{cfg.queue_prefix}-{name}", Attributes={"RedrivePolicy": redrive})
        created.append(f"queue:{name}")
    s3 = client("s3")
    for name in resources.BUCKETS:
        bucket = f"{cfg.bucket_prefix}-{name}"
        try:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": cfg.aws_region})
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
        created.append(f"bucket:{name}")
    return created
