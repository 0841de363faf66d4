"""AWS over its own wire protocol (aiobotocore, extra ``aws``): S3 as ``object_storage``,
Secrets Manager as ``secrets``, SQS as the queue interfaces. Endpoint, region and credentials
come from the options, so the same providers point at real AWS, at moto in server mode
(certified here) or at any S3-compatible store. See docs/backends/aws.md.
"""

from __future__ import annotations

from omnicloud.providers.aws._client import AwsOptions, omnicloud_preflight
from omnicloud.providers.aws.s3 import S3ObjectStorage, create_object_storage
from omnicloud.providers.aws.secrets import SecretsManagerSecrets, create_secrets
from omnicloud.providers.aws.sqs import IMPLEMENTS, NEVER, SqsQueues, create_queues

__all__ = [
    "IMPLEMENTS",
    "NEVER",
    "AwsOptions",
    "S3ObjectStorage",
    "SecretsManagerSecrets",
    "SqsQueues",
    "create_object_storage",
    "create_queues",
    "create_secrets",
    "omnicloud_preflight",
]
