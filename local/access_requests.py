"""What an SDK call asks IAM for: (action, resource ARN) pairs, from the service, operation and parameters, as the
service's authorization reference defines them for the calls the project makes (others: `service:Operation` on
the ARN named in the parameters, else `*`)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

Requirement = tuple[str, str]  # (action, resource)
TASK_TOKEN = "task-token:"  # noqa: S105 - a marker, not a secret: a Step Functions task token, for `local.access` to name its state machine

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
    if service == "cognito-idp" and "UserPoolId" in params:
        return [(f"cognito-idp:{operation}", arn.format("cognito-idp", f"userpool/{params['UserPoolId']}"))]
    if service == "ssm" and operation in ("GetParameter", "GetParameters"):
        names = params.get("Names") or [params.get("Name", "")]
        return [("ssm:" + operation, arn.format("ssm", "parameter/" + str(n).lstrip("/"))) for n in names]
    return _named(service, operation, params)


def _named(service: str, operation: str, params: dict[str, Any]) -> list[Requirement]:
    """A task token's call on its state machine (`local.access` finds it: local/callbacks.py); any other call on
    the ARN its parameters name, else `*`."""
    if service == "states" and operation in ("SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"):
        return [(f"states:{operation}", TASK_TOKEN + str(params.get("taskToken", "")))]
    named = [v for k, v in params.items() if isinstance(v, str) and v.startswith("arn:") and k.lower().endswith("arn")]
    return [(f"{service}:{operation}", named[0] if named else "*")]


# Words of DynamoDB's expression grammar that are not attribute names.
_EXPRESSION_WORDS = frozenset(
    {
        "set", "remove", "add", "delete", "and", "or", "not", "between", "in", "list_append", "if_not_exists", "size",
        "attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains",
    }
)  # fmt: skip
# A top-level name: not a :value, not a path's later part (a.b, a[0].b), not inside another word.
_NAME = re.compile(r"(?<![:\w#.\]])#?[A-Za-z_]\w*")


def dynamodb_condition_context(operation: str, params: dict[str, Any]) -> dict[str, str | list[str]]:
    """The values of `dynamodb:Attributes` and `dynamodb:ReturnValues` for a PutItem or UpdateItem (other calls:
    none): the item's top-level attribute names (the key's, the expressions', the item's), as IAM sees them."""
    if operation not in ("PutItem", "UpdateItem"):
        return {}
    names = set(params.get("Key", {})) | set(params.get("Item", {}))
    placeholders = params.get("ExpressionAttributeNames", {})
    for expression in ("UpdateExpression", "ConditionExpression"):
        for word in _NAME.findall(str(params.get(expression, ""))):
            if word.startswith("#"):
                names.add(str(placeholders.get(word, word)))
            elif word.lower() not in _EXPRESSION_WORDS:
                names.add(word)
    context: dict[str, str | list[str]] = {"dynamodb:Attributes": sorted(names)}
    if "ReturnValues" in params:
        context["dynamodb:ReturnValues"] = str(params["ReturnValues"])
    return context


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


def presigned_requirement(
    method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[str, Requirement] | None:
    """(access key, (action, resource)) for a browser's request to a bucket with a presigned URL (GET, HEAD) or a
    presigned POST form; None if it carries no signature of ours (anonymous, or not a presigned request)."""
    from urllib.parse import parse_qs

    url = urlsplit(path)
    bucket, _, key = url.path.lstrip("/").partition("/")
    if method.upper() in ("GET", "HEAD"):
        credential = next(iter(parse_qs(url.query).get("X-Amz-Credential", [])), "")
        return (
            (credential.split("/", 1)[0], ("s3:GetObject", f"arn:aws:s3:::{bucket}/{unquote(key)}"))
            if credential
            else None
        )
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if method.upper() != "POST" or not content_type.startswith("multipart/form-data"):
        return None
    fields, filename = _form_fields(content_type, body)
    credential = fields.get("x-amz-credential", "")
    if not credential or "key" not in fields:
        return None
    return credential.split("/", 1)[0], (
        "s3:PutObject",
        f"arn:aws:s3:::{bucket}/" + fields["key"].replace("${filename}", filename),
    )


def _form_fields(content_type: str, body: bytes) -> tuple[dict[str, str], str]:
    """A multipart form's text fields (names in lower case) and the file part's filename."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, str] = {}
    filename = ""
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition") or "").lower()
        if part.get_filename() is not None:
            filename = str(part.get_filename())
        elif name:
            payload = part.get_payload(decode=True)
            fields[name] = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
    return fields, filename
