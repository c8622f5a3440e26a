"""CloudFront in front of the local cloud: the synthesized distribution's behaviours decide where a request goes.

- a behaviour whose origin is an S3 bucket (`/assets/*`) is served from the folder that the template's
  `BucketDeployment` copies into that bucket (found through the assembly's file assets), with the deployment's
  `Cache-Control`, so edits to built assets show at once and nothing is copied;
- every other path goes to the HTTP API gateway (`LocalCloud`'s own handling), as the default behaviour does;
- the distribution's response headers policy (security headers, CSP) is added to every response, so the browser
  tests run under the same Content-Security-Policy as residents.

Uploads: in AWS the resident's browser posts a file straight to the quarantine bucket (an S3 POST form) and
GuardDuty Malware Protection tags it. Locally, S3 has no HTTP endpoint, so `POST /_local/s3/<bucket>` stands in for
S3's POST handling (the policy's expiry, key prefix, size range and redirect are checked; the signature is not) and
a stand-in scanner tags the object at once: `THREATS_FOUND` if it contains the EICAR test string, else
`NO_THREATS_FOUND`. Pages that name a bucket's S3 endpoint as a form action are pointed at this path.

    from local.cloudfront import mount
    cloud = LocalCloud(...).start()
    mount(cloud)            # cloud.handle (and so the HTTP server) now goes through the distribution
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import json
import mimetypes
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from local.templates import Stack, load_stacks

if TYPE_CHECKING:
    from local.cloud import HttpResponse, LocalCloud

UPLOAD_PATH = "/_local/s3/"
SCAN_TAG = "GuardDutyMalwareScanStatus"
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
_S3_ACTION = re.compile(rb'action="https://([a-z0-9][a-z0-9.-]+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com/?"')

Headers = list[tuple[str, str]]


@dataclass(frozen=True)
class StaticOrigin:
    """A path pattern served from a folder: request path `/assets/x` -> `<folder>/x` (key prefix removed)."""

    pattern: str
    key_prefix: str
    folder: Path
    cache_control: str

    def matches(self, path: str) -> bool:
        return _pattern_matches(self.pattern, path)

    def file_for(self, path: str) -> Path | None:
        key = unquote(path.lstrip("/"))
        if not key.startswith(self.key_prefix):
            return None
        relative = key[len(self.key_prefix) :]
        candidate = (self.folder / relative).resolve()
        if self.folder.resolve() not in candidate.parents or not candidate.is_file():
            return None
        return candidate


@dataclass
class Distribution:
    """What the local cloud needs of a synthesized distribution."""

    static: list[StaticOrigin] = field(default_factory=list)
    headers: Headers = field(default_factory=list)
    unserved: list[str] = field(default_factory=list)  # behaviours whose origin is neither the API nor a folder

    @classmethod
    def from_stacks(cls, stacks: Iterable[Stack]) -> Distribution:
        distribution = cls()
        for stack in stacks:
            for resource in stack.resources.values():
                if resource["Type"] == "AWS::CloudFront::Distribution":
                    distribution._read(stack, resource["Properties"]["DistributionConfig"])
        return distribution

    def _read(self, stack: Stack, config: dict[str, Any]) -> None:
        origins = {origin["Id"]: origin for origin in config.get("Origins", [])}
        deployments = _deployments(stack)
        behaviours = [*config.get("CacheBehaviors", []), {**config["DefaultCacheBehavior"], "PathPattern": "*"}]
        for behaviour in behaviours:
            origin = origins[behaviour["TargetOriginId"]]
            if "S3OriginConfig" not in origin:
                continue  # a custom origin: the HTTP API, served by the gateway
            bucket = _logical_id(origin["DomainName"])
            deployed = deployments.get(bucket or "")
            if deployed is None:
                self.unserved.append(f"{behaviour['PathPattern']}: bucket {bucket} has no BucketDeployment")
                continue
            prefix, folder, cache_control = deployed
            self.static.append(StaticOrigin(behaviour["PathPattern"], prefix, folder, cache_control))
        policy_id = config["DefaultCacheBehavior"].get("ResponseHeadersPolicyId")
        policy = stack.resources.get(_logical_id(policy_id) or "", {})
        security = policy.get("Properties", {}).get("ResponseHeadersPolicyConfig", {}).get("SecurityHeadersConfig")
        self.headers = _security_headers(security or {})


def _pattern_matches(pattern: str, path: str) -> bool:
    if pattern == "*":
        return True
    regex = "^" + re.escape(pattern if pattern.startswith("/") else "/" + pattern).replace(r"\*", ".*") + "$"
    return re.match(regex, path) is not None


def _logical_id(value: Any) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


def _deployments(stack: Stack) -> dict[str, tuple[str, Path, str]]:
    """Destination bucket logical id -> (key prefix, source folder, cache-control) of its BucketDeployments."""
    found: dict[str, tuple[str, Path, str]] = {}
    for resource in stack.resources.values():
        if resource["Type"] != "Custom::CDKBucketDeployment":
            continue
        props = resource["Properties"]
        bucket = _logical_id(props["DestinationBucketName"])
        folders = [stack.assets[key] for key in props.get("SourceObjectKeys", []) if key in stack.assets]
        if bucket and folders and folders[0].is_dir():
            cache_control = str(props.get("SystemMetadata", {}).get("cache-control", ""))
            found[bucket] = (str(props.get("DestinationBucketKeyPrefix", "")), folders[0], cache_control)
    return found


def _text(value: Any) -> str:
    """A template string with its intrinsics flattened (the CSP names buckets with Fn::GetAtt)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_text(part) for part in parts)
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"{str(value['Fn::GetAtt'][0]).lower()}.s3.amazonaws.com"
    return ""


def _security_headers(config: dict[str, Any]) -> Headers:
    headers: Headers = []
    if "ContentSecurityPolicy" in config:
        headers.append(("content-security-policy", _text(config["ContentSecurityPolicy"]["ContentSecurityPolicy"])))
    if "ContentTypeOptions" in config:
        headers.append(("x-content-type-options", "nosniff"))
    if "FrameOptions" in config:
        headers.append(("x-frame-options", str(config["FrameOptions"]["FrameOption"])))
    if "ReferrerPolicy" in config:
        headers.append(("referrer-policy", str(config["ReferrerPolicy"]["ReferrerPolicy"])))
    if "StrictTransportSecurity" in config:
        sts = config["StrictTransportSecurity"]
        value = f"max-age={sts['AccessControlMaxAgeSec']}" + (
            "; includeSubDomains" if sts.get("IncludeSubdomains") else ""
        )
        headers.append(("strict-transport-security", value))
    return headers


# -- the stand-in for S3's POST uploads and GuardDuty's scan --------------------------------------------------------
class UploadRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    """(form fields, (filename, data) of the `file` field) of a multipart/form-data body."""
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, str] = {}
    upload: tuple[str, bytes] | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if name == "file":
            upload = (str(part.get_filename() or ""), data)
        elif isinstance(name, str):
            fields[name] = data.decode("utf-8", errors="replace")
    return fields, upload


def check_policy(fields: Mapping[str, str], filename: str, size: int, now: float | None = None) -> str:
    """The object key S3 would store, after the checks S3 makes of a POST policy (not its signature)."""
    try:
        policy = json.loads(base64.b64decode(fields["policy"]))
    except (KeyError, ValueError) as error:
        raise UploadRefused(400, "InvalidPolicyDocument", "The POST has no readable policy") from error
    expires = time.mktime(time.strptime(policy["expiration"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
    if expires < (now or time.time()):
        raise UploadRefused(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    key = fields.get("key", "").replace("${filename}", filename)
    for condition in policy.get("conditions", []):
        _check_condition(condition, fields, key, size)
    return key


def _check_condition(condition: Any, fields: Mapping[str, str], key: str, size: int) -> None:
    if isinstance(condition, list) and condition[0] == "content-length-range":
        if not condition[1] <= size <= condition[2]:
            code = "EntityTooLarge" if size > condition[2] else "EntityTooSmall"
            raise UploadRefused(400, code, "Your proposed upload is outside the allowed size")
    elif isinstance(condition, list) and condition[0] == "starts-with" and condition[1] == "$key":
        if not key.startswith(condition[2]):
            raise UploadRefused(403, "AccessDenied", "Invalid according to Policy: key")
    elif isinstance(condition, dict):
        for name, value in condition.items():
            if name != "bucket" and fields.get(name) != value:
                raise UploadRefused(403, "AccessDenied", f"Invalid according to Policy: {name}")


def scan_result(data: bytes) -> str:
    """The stand-in scanner: GuardDuty's tag value for this content."""
    return "THREATS_FOUND" if EICAR in data else "NO_THREATS_FOUND"


# -- the front door -------------------------------------------------------------------------------------------------
Handle = Callable[..., "HttpResponse"]


class LocalCloudFront:
    def __init__(self, cloud: LocalCloud, distribution: Distribution, gateway: Handle) -> None:
        self.cloud = cloud
        self.distribution = distribution
        self._gateway = gateway

    def handle(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        body: bytes | str | None = None,
        *,
        json_body: Any = None,
        source_ip: str = "127.0.0.1",
    ) -> HttpResponse:
        from local.cloud import HttpResponse

        route = path.split("?", 1)[0]
        header_list = list(headers.items() if isinstance(headers, Mapping) else headers or [])
        if route.startswith(UPLOAD_PATH) and method.upper() == "POST":
            raw = body.encode() if isinstance(body, str) else body or b""
            status, reply_headers, reply_body = self._upload(route[len(UPLOAD_PATH) :].strip("/"), header_list, raw)
            return HttpResponse(status, [*reply_headers, *self.distribution.headers], reply_body)
        for origin in self.distribution.static:
            if origin.matches(route):
                status, reply_headers, reply_body = self._static(origin, route, method, header_list)
                return HttpResponse(status, [*reply_headers, *self.distribution.headers], reply_body)
        response = self._gateway(method, path, header_list, body, json_body=json_body, source_ip=source_ip)
        reply_body = response.body
        if (response.header("content-type") or "").startswith("text/html") and b".amazonaws.com" in reply_body:
            reply_body = _S3_ACTION.sub(lambda m: b'action="' + UPLOAD_PATH.encode() + m.group(1) + b'"', reply_body)
        own = {name for name, _ in self.distribution.headers}
        kept = [(n, v) for n, v in response.headers if n.lower() not in own and n.lower() != "content-length"]
        return HttpResponse(
            response.status,
            [*kept, *self.distribution.headers, ("content-length", str(len(reply_body)))],
            reply_body,
        )

    @staticmethod
    def _static(origin: StaticOrigin, path: str, method: str, headers: Headers) -> tuple[int, Headers, bytes]:
        if method.upper() not in ("GET", "HEAD"):
            return 403, [("content-type", "application/xml")], b"<Error><Code>AccessDenied</Code></Error>"
        file = origin.file_for(path)
        if file is None:
            return 404, [("content-type", "text/plain")], b"Not found"
        data = file.read_bytes()
        etag = '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if file.suffix in (".js", ".mjs"):
            content_type = "text/javascript"
        reply_headers = [("content-type", content_type), ("etag", etag)]
        if origin.cache_control:
            reply_headers.append(("cache-control", origin.cache_control))
        if any(n.lower() == "if-none-match" and v == etag for n, v in headers):
            return 304, reply_headers, b""
        return 200, [*reply_headers, ("content-length", str(len(data)))], data if method.upper() == "GET" else b""

    def _upload(self, bucket: str, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        content_type = next((v for n, v in headers if n.lower() == "content-type"), "")
        if not content_type.startswith("multipart/form-data"):
            return _s3_error(400, "InvalidArgument", "POST requires multipart/form-data")
        fields, upload = parse_multipart(content_type, body)
        if upload is None:
            return _s3_error(400, "InvalidArgument", "POST requires exactly one file upload per request")
        filename, data = upload
        try:
            key = check_policy(fields, filename, len(data))
        except UploadRefused as refused:
            return _s3_error(refused.status, refused.code, str(refused))
        from local.moto_session import LOCK

        s3 = self.cloud.client("s3")
        with LOCK:
            _ensure_bucket(s3, bucket)
            etag = s3.put_object(Bucket=bucket, Key=key, Body=data)["ETag"]
            # GuardDuty Malware Protection for S3, stood in for: scan at once and tag the result.
            s3.put_object_tagging(
                Bucket=bucket, Key=key, Tagging={"TagSet": [{"Key": SCAN_TAG, "Value": scan_result(data)}]}
            )
        redirect = fields.get("success_action_redirect")
        if not redirect:
            return 204, [("etag", etag)], b""
        joiner = "&" if "?" in redirect else "?"
        location = f"{redirect}{joiner}bucket={quote(bucket)}&key={quote(key, safe='')}&etag={quote(etag)}"
        return 303, [("location", location), ("etag", etag)], b""


def _s3_error(status: int, code: str, message: str) -> tuple[int, Headers, bytes]:
    body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
    return status, [("content-type", "application/xml")], body


def _ensure_bucket(s3: Any, bucket: str) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
    except Exception:
        from local.moto_session import REGION

        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})


def _ensure_web_resources(cloud: LocalCloud) -> None:
    """Buckets and the signing secret named in the web function's environment, if provisioning did not create
    them: the signing key is generated afresh for each local run."""
    from local.moto_session import LOCK

    environments = [
        cloud.function_environment(resource.physical_id)
        for resource in cloud.inventory.of_type("AWS::Lambda::Function")
        if resource.path.endswith("/Web/Function/Resource")
    ]
    for environment in environments:
        with LOCK:
            s3 = cloud.client("s3")
            for name in ("QUARANTINE_BUCKET", "CLEAN_BUCKET"):
                if environment.get(name):
                    _ensure_bucket(s3, environment[name])
            secret_id = environment.get("SIGNING_SECRET_ARN")
            if secret_id:
                manager = cloud.client("secretsmanager")
                try:
                    manager.describe_secret(SecretId=secret_id)
                except manager.exceptions.ResourceNotFoundException:
                    manager.create_secret(Name=secret_id, SecretString=secrets.token_urlsafe(48))


def mount(cloud: LocalCloud) -> LocalCloudFront:
    """Put the template's distribution in front of a started LocalCloud (in-process calls and its HTTP server)."""
    distribution = Distribution.from_stacks(load_stacks(cloud.assembly_dir))
    _ensure_web_resources(cloud)
    front = LocalCloudFront(cloud, distribution, cloud.handle)
    cloud.handle = front.handle  # type: ignore[method-assign]
    return front
