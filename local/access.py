"""The local cloud enforces access: each function's AWS calls are judged against its role's policies, and refused
as AWS would refuse them.

- Each function runs with credentials of its own role (STS AssumeRole in moto, as the Lambda service does; the
  runtime puts them in the function's environment), so the role is known from the access key that signs a call.
- Every SDK call made with such credentials is checked before it is sent (a botocore `before-call` handler on
  every client): its action and resources (`local.access_requests`) against the role's inline and managed
  policies, the bucket policy for S3, and for calls on a DynamoDB table encrypted with a customer managed key the
  key's use (`kms:Decrypt` through dynamodb) against the key policy and the role's policies. A refusal is the
  service's AccessDenied error.
- The local cloud's own provisioning and the test harness's direct calls use other credentials and are not
  checked, as CloudFormation's service role and an administrator would not be.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local.access_requests import TASK_TOKEN, dynamodb_condition_context, presigned_requirement, requirements
from local.callbacks import token_state_machine
from local.model import Inventory
from local.moto_session import ACCOUNT_ID, MotoSession
from local.policy import Effect, Request, evaluate, grants_account, unevaluated_keys

ENFORCED = (
    "IAM: each function calls AWS with its own role's credentials, and its role's inline and managed policies "
    "decide (actions, resources, conditions; an explicit Deny wins): a missing grant is AccessDenied "
    "(aws:SecureTransport is true, as the SDK's calls are TLS in AWS)",
    "S3 bucket policies, for the functions' SDK calls and the presigned URLs and POST forms they sign for "
    "browsers (as the signing role: Deny statements and grants, with their conditions, s3:ExistingObjectTag "
    "included)",
    "KMS key policies, for the functions' calls on DynamoDB tables encrypted with a customer managed key "
    "(kms:Decrypt through dynamodb)",
    "Lambda's polling of SQS for an event source mapping: the function's role needs sqs:ReceiveMessage, "
    "sqs:DeleteMessage and sqs:GetQueueAttributes on the queue, else nothing is delivered",
)
NOT_ENFORCED = (
    "IAM for the services' own roles (Step Functions, Pipes, EventBridge targets, SNS deliveries); SNS topic, "
    "SQS queue, Lambda and Secrets Manager resource policies; KMS key use by SQS, SNS, S3 and Secrets Manager",
)

_ERROR_CODES = {"s3": "AccessDenied", "sns": "AuthorizationError", "sqs": "AccessDenied"}
_DYNAMODB_READS = ("GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems")
_DYNAMODB_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
_ACTIVE: list[AccessControl] = []


@dataclass(frozen=True)
class Principal:
    role_arn: str
    session_arn: str


@dataclass(frozen=True)
class Refusal:
    principal: str
    action: str
    resource: str
    reason: str


class AccessControl:
    def __init__(self, session: MotoSession) -> None:
        self._session = session
        self._principals: dict[str, Principal] = {}  # access key id -> the role it was issued for
        self._credentials: dict[str, dict[str, str]] = {}  # role ARN -> environment variables
        self._table_keys: dict[str, str | None] = {}
        # Bucket name -> its bucket policy, from the template: kept out of moto, which would apply it itself and
        # judge its conditions wrongly (local/resources_web.py).
        self.bucket_policies: dict[str, dict[str, Any]] = {}
        self.refusals: deque[Refusal] = deque(maxlen=100)  # newest last: what was refused, and why

    # -- install ------------------------------------------------------------------------------------------------
    def install(self) -> None:
        """Check calls of every client created from now on (functions create theirs at their cold start)."""
        from botocore.handlers import BUILTIN_HANDLERS

        # A restarted cloud is a new moto: new keys (random ids), new credentials.
        self._principals.clear()
        self._credentials.clear()
        self._table_keys.clear()
        if not _ACTIVE:
            BUILTIN_HANDLERS.extend(_HANDLERS)
        _ACTIVE.append(self)

    def uninstall(self) -> None:
        from botocore.handlers import BUILTIN_HANDLERS

        if self in _ACTIVE:
            _ACTIVE.remove(self)
        if not _ACTIVE:
            for handler in _HANDLERS:
                while handler in BUILTIN_HANDLERS:
                    BUILTIN_HANDLERS.remove(handler)

    def credentials(self, role_arn: str, session_name: str) -> dict[str, str]:
        """The environment variables the Lambda runtime sets for a function running as `role_arn`."""
        if role_arn not in self._credentials:
            assumed = self._session.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name[:64])
            keys = assumed["Credentials"]
            self._principals[keys["AccessKeyId"]] = Principal(role_arn, assumed["AssumedRoleUser"]["Arn"])
            self._credentials[role_arn] = {
                "AWS_ACCESS_KEY_ID": keys["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": keys["SecretAccessKey"],
                "AWS_SESSION_TOKEN": keys["SessionToken"],
            }
        return self._credentials[role_arn]

    # -- judging ------------------------------------------------------------------------------------------------
    def check_call(self, access_key: str, service: str, operation: str, params: dict[str, Any], region: str) -> None:
        principal = self._principals.get(access_key)
        if principal is None:
            return  # the local cloud's own clients and the tests': administrator
        for action, named in requirements(service, operation, params, region, ACCOUNT_ID):
            if named.startswith(TASK_TOKEN):
                machine = token_state_machine(named.removeprefix(TASK_TOKEN), region)
                if machine is None:
                    continue  # no execution holds the token: the call itself fails (InvalidToken), as in AWS
                named = machine
            resource = self._arn_of(service, named, region)
            context = dynamodb_condition_context(operation, params) if service == "dynamodb" else {}
            reason = self.refusal_reason(principal, action, resource, context)
            if reason is None and service == "dynamodb":
                reason = self._table_key_refusal(principal, operation, resource, region)
            if reason is not None:
                refusal = Refusal(principal.session_arn, action, resource, reason)
                self.refusals.append(refusal)
                _raise_access_denied(service, operation, refusal)

    def presigned_refusal(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Refusal | None:
        """A browser's presigned request to a bucket is authorized as the role that signed it (None: allowed, or
        not signed by a function's role)."""
        found = presigned_requirement(method, path, headers, body)
        principal = self._principals.get(found[0]) if found else None
        if found is None or principal is None:
            return None
        action, resource = found[1]
        reason = self.refusal_reason(principal, action, resource)
        if reason is None:
            return None
        refusal = Refusal(principal.session_arn, action, resource, reason)
        self.refusals.append(refusal)
        return refusal

    def event_source_refusal(self, role_arn: str, queue_arn: str) -> str | None:
        """Why Lambda, polling a queue for a function with this role, would be refused (None: it would not)."""
        principal = Principal(role_arn, f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/lambda")
        for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
            reason = self.refusal_reason(principal, action, queue_arn)
            if reason is not None:
                return f"the function's role may not {action} on {queue_arn}: {reason}"
        return None

    def refusal_reason(
        self, principal: Principal, action: str, resource: str, context: Mapping[str, str | list[str]] | None = None
    ) -> str | None:
        """None if `principal` may do `action` on `resource`, else why not (as AWS words it)."""
        values = {**self._context(principal, action, resource), **(context or {})}
        request = Request(action, resource, principal.role_arn, ACCOUNT_ID, values)
        identity = _combine(evaluate(document, request) for document in self.identity_policies(principal.role_arn))
        if identity is Effect.DENY:
            return "an explicit deny in an identity-based policy"
        by_resource, refusal = self._resource_policy_verdict(request)
        if refusal is not None:
            return refusal
        if identity is Effect.ALLOW or by_resource is Effect.ALLOW:
            return None
        return "no identity-based policy allows it"

    def _resource_policy_verdict(self, request: Request) -> tuple[Effect, str | None]:
        """What the bucket policy (S3) or key policy (KMS) says, and a refusal if it decides alone."""
        if request.action.lower().startswith("s3:"):
            bucket_policy = self._bucket_policy(request.resource)
            verdict = Effect.NONE if bucket_policy is None else evaluate(bucket_policy, request, resource_policy=True)
            if verdict is Effect.DENY:
                return verdict, "an explicit deny in a resource-based policy (the bucket policy)"
            return verdict, None
        if request.action.lower().startswith("kms:"):
            key_policy = self._key_policy(request.resource)
            if key_policy is None:
                return Effect.NONE, None
            verdict = evaluate(key_policy, request, resource_policy=True)
            if verdict is Effect.DENY:
                return verdict, "an explicit deny in the key policy"
            if verdict is Effect.NONE and not grants_account(key_policy, request):
                return verdict, "no key policy statement allows it (and the key policy does not delegate to IAM)"
            return verdict, None
        return Effect.NONE, None

    def _arn_of(self, service: str, named: str, region: str) -> str:
        """A secret's or key's ARN from the name, id or alias a call gives (IAM judges the ARN)."""
        if named == "*" or (named.startswith("arn:") and ":alias/" not in named):
            return named
        if service == "secretsmanager":
            from moto.secretsmanager.models import secretsmanager_backends

            try:
                return str(secretsmanager_backends[ACCOUNT_ID][region].describe_secret(named).arn)
            except Exception:  # no such secret: the call itself fails after the check, as in AWS
                return f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:{named}"
        if service == "kms":
            return self._key_arn(named, region) or named
        return named

    @staticmethod
    def _key_arn(key_id: str, region: str) -> str | None:
        from moto.kms.models import kms_backends

        try:
            return str(kms_backends[ACCOUNT_ID][region].describe_key(key_id).arn)
        except Exception:
            return None

    def identity_policies(self, role_arn: str) -> list[dict[str, Any]]:
        """The role's policies as provisioned now (inline, then managed): read from moto's IAM on every call, so a
        test that changes a role sees the change at once."""
        from moto.iam.models import iam_backends

        role = iam_backends[ACCOUNT_ID]["aws"].get_role_by_arn(role_arn)
        documents = [_document(text) for text in role.policies.values()]
        for managed in role.managed_policies.values():
            version = next((v for v in managed.versions if v.is_default), None)
            if version is not None:
                documents.append(_document(version.document))
        return documents

    def _context(self, principal: Principal, action: str, resource: str) -> dict[str, str]:
        context = {
            "aws:PrincipalArn": principal.role_arn,
            "aws:PrincipalAccount": ACCOUNT_ID,
            "aws:PrincipalType": "AssumedRole",
            "aws:SecureTransport": "true",  # the SDK calls AWS over TLS (locally: plain HTTP in-process)
        }
        if action.startswith("s3:") and resource.count("/") >= 1 and resource.startswith("arn:aws:s3:::"):
            context.update(self._object_tags(resource))
        return context

    def _object_tags(self, resource: str) -> dict[str, str]:
        """The object's tags as `s3:ExistingObjectTag/<key>` values (read from moto's S3, not through a client:
        the local cloud's own look-ups are not calls anyone makes in AWS)."""
        from moto.s3.models import s3_backends

        bucket, _, key_name = resource.removeprefix("arn:aws:s3:::").partition("/")
        backend = s3_backends[ACCOUNT_ID]["aws"]
        try:
            key = backend.get_object(bucket, key_name)
        except Exception:
            key = None
        if key is None:
            return {}  # no such object yet: no existing-object tags
        tags = backend.get_object_tagging(key)["Tags"]
        return {f"s3:ExistingObjectTag/{tag['Key']}": tag["Value"] for tag in tags}

    def _bucket_policy(self, resource: str) -> dict[str, Any] | None:
        return self.bucket_policies.get(resource.removeprefix("arn:aws:s3:::").split("/", 1)[0])

    @staticmethod
    def _key_policy(key_arn: str) -> dict[str, Any] | None:
        from moto.kms.models import kms_backends

        region = key_arn.split(":")[3] if key_arn.count(":") >= 5 else "eu-west-2"
        try:
            return _document(kms_backends[ACCOUNT_ID][region].get_key_policy(key_arn))
        except Exception:
            return None

    def _table_key_refusal(self, principal: Principal, operation: str, table_arn: str, region: str) -> str | None:
        """A table encrypted with a customer managed key: DynamoDB uses the key for the caller (kms:ViaService
        dynamodb), so the caller needs kms:Decrypt on it for every item call (DynamoDB's caching of the table key
        is not simulated)."""
        if operation not in _DYNAMODB_READS + _DYNAMODB_WRITES:
            return None
        key_arn = self._table_key(table_arn.split("/index/", 1)[0], region)
        if key_arn is None:
            return None
        via = {"kms:ViaService": f"dynamodb.{region}.amazonaws.com", "kms:CallerAccount": ACCOUNT_ID}
        reason = self.refusal_reason(principal, "kms:Decrypt", key_arn, via)
        if reason is None:
            return None
        return f"the table's KMS key refuses kms:Decrypt through DynamoDB ({key_arn}): {reason}"

    def _table_key(self, table_arn: str, region: str) -> str | None:
        from moto.dynamodb.models import dynamodb_backends

        if table_arn not in self._table_keys:
            try:
                table = dynamodb_backends[ACCOUNT_ID][region].get_table(table_arn.rsplit("/", 1)[-1])
            except Exception:
                return None  # no such table: the call fails on its own
            sse = table.sse_specification or {}
            key = sse.get("KMSMasterKeyId") if sse.get("Enabled") and sse.get("SSEType", "KMS") == "KMS" else None
            self._table_keys[table_arn] = self._key_arn(str(key), region) if key else None
        return self._table_keys[table_arn]


def listing(inventory: Inventory) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(what is enforced, what is not): the latter names every condition key in the templates' identity, bucket
    and key policies that the local cloud cannot evaluate."""
    documents: list[Any] = []
    for resource in inventory.of_type("AWS::IAM::Role"):
        documents += [policy["PolicyDocument"] for policy in resource.properties.get("Policies", [])]
    for type_, key in (
        ("AWS::IAM::Policy", "PolicyDocument"),
        ("AWS::IAM::ManagedPolicy", "PolicyDocument"),
        ("AWS::S3::BucketPolicy", "PolicyDocument"),
        ("AWS::KMS::Key", "KeyPolicy"),
    ):
        documents += [r.properties[key] for r in inventory.of_type(type_) if key in r.properties]
    keys = sorted(unevaluated_keys(d for d in documents if isinstance(d, dict)))
    unevaluated = (
        f"condition keys not evaluated (a statement naming one is judged as if the key were absent): "
        f"{', '.join(keys) if keys else 'none in these templates'}",
    )
    return ENFORCED, NOT_ENFORCED + unevaluated


def _combine(effects: Any) -> Effect:
    found = set(effects)
    return Effect.DENY if Effect.DENY in found else Effect.ALLOW if Effect.ALLOW in found else Effect.NONE


def _document(text: Any) -> dict[str, Any]:
    if isinstance(text, dict):
        return text
    from urllib.parse import unquote

    try:
        return dict(json.loads(text))
    except ValueError:
        return dict(json.loads(unquote(text)))


def _raise_access_denied(service: str, operation: str, refusal: Refusal) -> None:
    from botocore.exceptions import ClientError

    message = (
        f"User: {refusal.principal} is not authorized to perform: {refusal.action} on resource: {refusal.resource} "
        f"because {refusal.reason}"
    )
    code = _ERROR_CODES.get(service, "AccessDeniedException")
    raise ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 403}}, operation
    )


# -- botocore handlers (one set for the process; the running local cloud's AccessControl judges) ------------------
def _remember_parameters(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["local_access_parameters"] = dict(params)


def _check_before_call(model: Any, params: Any, request_signer: Any, context: dict[str, Any], **_: Any) -> None:
    if not _ACTIVE:
        return
    credentials = getattr(request_signer, "_credentials", None)
    access_key = getattr(credentials, "access_key", None) if credentials is not None else None
    if not access_key:
        return
    _ACTIVE[-1].check_call(
        access_key,
        model.service_model.signing_name,
        model.name,
        context.get("local_access_parameters", {}),
        request_signer._region_name,
    )


_HANDLERS = [("before-parameter-build", _remember_parameters), ("before-call", _check_before_call)]
