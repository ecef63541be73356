"""Create on the emulator the queues (with DLQs and redrive) and buckets the deployed template
declares (infra/resources.py is the one list of them), and verify the SES sender identity.
Used by `make dev` and the tests."""
from __future__ import annotations

import json
from email.utils import parseaddr

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
        if resources.BUCKETS[name].get("versioned"):  # as deployed: the backups' media mirror keeps versions
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        created.append(f"bucket:{name}")
    created += verify_mail_sender()
    return created


def verify_mail_sender() -> list[str]:
    """SES (and moto, like it) refuses to send from an unverified identity.  In AWS the operator
    verifies the domain with DNS records; here verifying is one call each (idempotent)."""
    ses = client("ses")
    address = parseaddr(settings().mail_from)[1]
    domain = address.rpartition("@")[2]
    ses.verify_email_identity(EmailAddress=address)
    ses.verify_domain_identity(Domain=domain)
    return [f"ses-identity:{address}", f"ses-identity:{domain}"]
