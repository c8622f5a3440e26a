"""CloudFront in front of everything, when the app declares a distribution: the local port is the distribution.

Each request takes the first cache behaviour whose path pattern matches (else the default), and goes to that
behaviour's origin: the HTTP API's origin is the local gateway, an S3 origin is the bucket in moto, and an outside
service's origin (the map tile service) is its stand-in, if the local cloud has one. An origin's custom headers
(`OriginCustomHeaders`, such as the origin-verify header the API's functions insist on) are added to what goes to
it, replacing a viewer's header of the same name, with dynamic references resolved from the local Secrets Manager
once, at start-up, as CloudFormation resolves them when it deploys the distribution. The behaviour's allowed
methods and response headers policy apply as in CloudFront. Caching is off: every request reaches its origin.
Viewer functions (JavaScript) do not run: a stand-in answers the viewer's path and makes the function's checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from local.gateway import Headers, Response
from local.intrinsics import resolve_dynamic_references
from local.model import Inventory

Forward = Callable[[str, str, Headers, bytes, str], Response]


class OriginStandIn(Protocol):
    """An outside service behind the distribution, served locally (e.g. `local.sandbox.tiles.TileStandIn`)."""

    def handle(self, method: str, path: str) -> Response: ...


@dataclass(frozen=True)
class Origin:
    origin_id: str
    domain: str
    path: str
    bucket: str | None  # an S3 origin's bucket
    custom_headers: tuple[tuple[str, str], ...] = ()  # OriginCustomHeaders (names in lower case), values resolved


@dataclass(frozen=True)
class Behaviour:
    pattern: re.Pattern[str] | None  # None: the default behaviour
    origin: Origin
    methods: frozenset[str]
    headers_policy: dict[str, Any] | None


class FrontDoor:
    def __init__(
        self,
        behaviours: list[Behaviour],
        api_domain: str,
        s3: Any,
        gateway: Forward,
        stand_ins: Mapping[str, OriginStandIn] | None = None,
    ) -> None:
        self.behaviours = behaviours
        self.api_domain = api_domain
        self._s3 = s3
        self._gateway = gateway
        self._stand_ins = dict(stand_ins or {})

    @classmethod
    def from_inventory(
        cls,
        inventory: Inventory,
        api_domain: str,
        s3: Any,
        gateway: Forward,
        stand_ins: Mapping[str, OriginStandIn] | None = None,
        secretsmanager: Any = None,
    ) -> FrontDoor | None:
        distributions = inventory.of_type("AWS::CloudFront::Distribution")
        if not distributions:
            return None
        config = distributions[0].properties["DistributionConfig"]
        buckets = {}
        for bucket in inventory.of_type("AWS::S3::Bucket"):
            provisioned = bucket.provisioned
            if provisioned is not None:
                for attribute in ("DomainName", "RegionalDomainName", "DualStackDomainName"):
                    buckets[provisioned.attributes[attribute]] = provisioned.ref
        policies = {
            r.physical_id: r.properties.get("ResponseHeadersPolicyConfig", {})
            for r in inventory.of_type("AWS::CloudFront::ResponseHeadersPolicy")
        }

        def custom_headers(origin: dict[str, Any]) -> tuple[tuple[str, str], ...]:
            items = origin.get("OriginCustomHeaders", [])
            if items and secretsmanager is None:
                raise ValueError("origin custom headers need the local Secrets Manager to resolve their values")
            return tuple(
                (str(h["HeaderName"]).lower(), resolve_dynamic_references(str(h["HeaderValue"]), secretsmanager))
                for h in items
            )

        origins = {
            o["Id"]: Origin(
                o["Id"], o["DomainName"], o.get("OriginPath", ""), buckets.get(o["DomainName"]), custom_headers(o)
            )
            for o in config.get("Origins", [])
        }

        def behaviour(spec: dict[str, Any], pattern: str | None) -> Behaviour:
            return Behaviour(
                pattern=_glob(pattern) if pattern is not None else None,
                origin=origins[spec["TargetOriginId"]],
                methods=frozenset(spec.get("AllowedMethods", ["GET", "HEAD"])),
                headers_policy=policies.get(spec.get("ResponseHeadersPolicyId", "")),
            )

        behaviours = [behaviour(spec, spec["PathPattern"]) for spec in config.get("CacheBehaviors", [])]
        behaviours.append(behaviour(config["DefaultCacheBehavior"], None))
        return cls(behaviours, api_domain, s3, gateway, stand_ins)

    def select(self, path: str) -> Behaviour:
        for behaviour in self.behaviours:
            if behaviour.pattern is None or behaviour.pattern.fullmatch(path):
                return behaviour
        raise AssertionError("the default behaviour matches every path")

    def handle(self, method: str, target: str, headers: Headers, body: bytes, source_ip: str) -> Response:
        path = urlsplit(target).path or "/"
        behaviour = self.select(path)
        if method.upper() not in behaviour.methods:
            status, response_headers, payload = _text(403, "This distribution is not configured to allow the method")
        elif behaviour.origin.domain == self.api_domain:
            forwarded = with_origin_headers(headers, behaviour.origin.custom_headers)
            status, response_headers, payload = self._gateway(method, target, forwarded, body, source_ip)
        elif behaviour.origin.bucket is not None:
            status, response_headers, payload = self._from_bucket(method, behaviour.origin, path)
        elif behaviour.origin.domain in self._stand_ins:
            status, response_headers, payload = self._stand_ins[behaviour.origin.domain].handle(method, path)
        else:
            status, response_headers, payload = _text(502, f"Origin {behaviour.origin.domain} is not served locally")
        if behaviour.headers_policy:
            response_headers = apply_headers_policy(behaviour.headers_policy, response_headers)
        return status, response_headers, payload

    def _from_bucket(self, method: str, origin: Origin, path: str) -> Response:
        key = unquote(f"{origin.path}{path}").lstrip("/")
        try:
            obj = self._s3.get_object(Bucket=origin.bucket, Key=key)
        except self._s3.exceptions.NoSuchKey:
            # Through origin access control without s3:ListBucket, S3 answers a missing key with 403.
            body = b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code></Error>"
            return 403, [("content-type", "application/xml"), ("content-length", str(len(body)))], body
        payload = obj["Body"].read()
        headers: Headers = [("content-type", obj.get("ContentType", "application/octet-stream"))]
        if obj.get("CacheControl"):
            headers.append(("cache-control", obj["CacheControl"]))
        if obj.get("ETag"):
            headers.append(("etag", obj["ETag"]))
        headers.append(("content-length", str(len(payload))))
        return 200, headers, b"" if method.upper() == "HEAD" else payload


def with_origin_headers(headers: Headers, custom: tuple[tuple[str, str], ...]) -> Headers:
    """The viewer's headers with the origin's custom headers added; a viewer's header of the same name is replaced
    (CloudFront's rule), so a viewer cannot supply the origin-verify header itself."""
    names = {name for name, _ in custom}
    return [(name, value) for name, value in headers if name.lower() not in names] + list(custom)


def apply_headers_policy(policy: dict[str, Any], headers: Headers) -> Headers:
    """A response headers policy's headers: each replaces the origin's when `Override`, else fills a gap."""
    wanted = _security_headers(policy.get("SecurityHeadersConfig", {}))
    for item in policy.get("CustomHeadersConfig", {}).get("Items", []):
        wanted.append((item["Header"].lower(), item["Value"], item.get("Override", False)))
    removed = {item["Header"].lower() for item in policy.get("RemoveHeadersConfig", {}).get("Items", [])}
    result = [(name, value) for name, value in headers if name.lower() not in removed]
    for name, value, override in wanted:
        present = any(n.lower() == name for n, _ in result)
        if override:
            result = [(n, v) for n, v in result if n.lower() != name]
        if override or not present:
            result.append((name, value))
    return result


def _security_headers(config: dict[str, Any]) -> list[tuple[str, str, bool]]:
    values: dict[str, tuple[str, Callable[[dict[str, Any]], str]]] = {
        "ContentSecurityPolicy": ("content-security-policy", lambda c: str(c["ContentSecurityPolicy"])),
        "ContentTypeOptions": ("x-content-type-options", lambda c: "nosniff"),
        "FrameOptions": ("x-frame-options", lambda c: str(c["FrameOption"])),
        "ReferrerPolicy": ("referrer-policy", lambda c: str(c["ReferrerPolicy"])),
        "StrictTransportSecurity": (
            "strict-transport-security",
            lambda c: (
                f"max-age={c['AccessControlMaxAgeSec']}"
                + ("; includeSubDomains" if c.get("IncludeSubdomains") else "")
                + ("; preload" if c.get("Preload") else "")
            ),
        ),
        "XSSProtection": (
            "x-xss-protection",
            lambda c: ("1" if c.get("Protection") else "0") + ("; mode=block" if c.get("ModeBlock") else ""),
        ),
    }
    return [
        (header, value(config[key]), bool(config[key].get("Override", False)))
        for key, (header, value) in values.items()
        if key in config
    ]


def _glob(pattern: str) -> re.Pattern[str]:
    """A CloudFront path pattern: `*` any characters (slashes too), `?` one; the leading `/` is optional."""
    pattern = pattern if pattern.startswith("/") else f"/{pattern}"
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern))


def _text(status: int, message: str) -> Response:
    body = message.encode()
    return status, [("content-type", "text/plain"), ("content-length", str(len(body)))], body
