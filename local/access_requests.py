"""What an SDK call asks IAM for: (action, resource ARN) pairs, from the service, operation and parameters, as the
service's authorization reference defines them for the calls the project makes (others: `service:Operation` on
the ARN named in the parameters, else `*`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

Requirement = tuple[str, str]  # (action, resource)

_DYNAMODB_BATCH = {"BatchGetItem": "dynamodb:BatchGetItem", "BatchWriteItem": "dynamodb:BatchWriteItem"}
_DYNAMODB_TRANSACT = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}
_S3_OBJECT_ACTIONS = {"HeadObject": "GetObject", "GetObject": "GetObject", "CopyObject": "PutObject"}
_S3_BUCKET_ACTIONS = {"ListObjectsV2": "ListBucket", "ListObjects": "ListBucket", "HeadBucket": "ListBucket"}
_SQS_BATCH = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def requirements(service: str, operation: str, params: dict[str, Any], region: str, account: str) -> list[Requirement]:
    """`service` is the client's signing name, which is IAM's prefix for it (dynamodb, s3, sqs, states, ses...)."""
    arn = f"arn:aws:{{}}:{region}:{account}:{{}}"
    if service == "dynamodb":
        return _dynamodb(operation, params, lambda table: arn.format("dynamodb", f"table/{table}"))
    if service == "s3":
        return _s3(operation, params)
    if service == "sqs":
        return [(f"sqs:{_SQS_BATCH.get(operation, operation)}", _queue_arn(params, region, account))]
    if service == "sns":
        target = params.get("TopicArn") or params.get("TargetArn") or "*"
        return [("sns:Publish" if operation == "PublishBatch" else f"sns:{operation}", target)]
    if service == "lambda":
        name = str(params.get("FunctionName", "*"))
        resource = name if name.startswith("arn:") else arn.format("lambda", f"function:{name}")
        return [
            ("lambda:InvokeFunction" if operation in ("Invoke", "InvokeAsync") else f"lambda:{operation}", resource)
        ]
    if service == "secretsmanager" and "SecretId" in params:
        return [(f"secretsmanager:{operation}", str(params["SecretId"]))]  # a name or ARN: see `local.access`
    if service == "kms" and "KeyId" in params:
        return [(f"kms:{operation}", str(params["KeyId"]))]  # an id, alias or ARN: see `local.access`
    if service == "ssm" and operation in ("GetParameter", "GetParameters"):
        names = params.get("Names") or [params.get("Name", "")]
        return [("ssm:" + operation, arn.format("ssm", "parameter/" + str(n).lstrip("/"))) for n in names]
    named = [v for k, v in params.items() if isinstance(v, str) and v.startswith("arn:") and k.lower().endswith("arn")]
    return [(f"{service}:{operation}", named[0] if named else "*")]


def _dynamodb(operation: str, params: dict[str, Any], table_arn: Any) -> list[Requirement]:
    def resource(name: str, index: str | None = None) -> str:
        base = name if name.startswith("arn:") else table_arn(name)
        return f"{base}/index/{index}" if index else base

    if operation in _DYNAMODB_BATCH:
        return [(_DYNAMODB_BATCH[operation], resource(name)) for name in params.get("RequestItems", {})]
    if operation in ("TransactWriteItems", "TransactGetItems"):
        found: list[Requirement] = []
        for item in params.get("TransactItems", []):
            for kind, spec in item.items():
                found.append((_DYNAMODB_TRANSACT[kind], resource(spec["TableName"])))
        return found
    return [(f"dynamodb:{operation}", resource(str(params.get("TableName", "*")), params.get("IndexName")))]


def _s3(operation: str, params: dict[str, Any]) -> list[Requirement]:
    bucket = params.get("Bucket", "*")
    if operation == "DeleteObjects":
        keys = [o["Key"] for o in params.get("Delete", {}).get("Objects", [])]
        return [("s3:DeleteObject", f"arn:aws:s3:::{bucket}/{key}") for key in keys]
    if operation in _S3_BUCKET_ACTIONS or "Key" not in params:
        return [(f"s3:{_S3_BUCKET_ACTIONS.get(operation, operation)}", f"arn:aws:s3:::{bucket}")]
    found = [(f"s3:{_S3_OBJECT_ACTIONS.get(operation, operation)}", f"arn:aws:s3:::{bucket}/{params['Key']}")]
    if operation == "CopyObject":
        source = params.get("CopySource")
        path = f"{source['Bucket']}/{source['Key']}" if isinstance(source, dict) else unquote(str(source)).lstrip("/")
        found.append(("s3:GetObject", f"arn:aws:s3:::{path.split('?', 1)[0]}"))
    return found


def _queue_arn(params: dict[str, Any], region: str, account: str) -> str:
    url = params.get("QueueUrl")
    if url:
        parts = urlsplit(str(url)).path.strip("/").split("/")
        return f"arn:aws:sqs:{region}:{parts[0] if len(parts) > 1 else account}:{parts[-1]}"
    return f"arn:aws:sqs:{region}:{params.get('QueueOwnerAWSAccountId', account)}:{params.get('QueueName', '*')}"
