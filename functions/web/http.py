"""HTTP in and out of the web's pages: a payload 2.0 event as a `Request`, and a `Reply` as the resolver's
`Response` (routes.py) or, before any routing, as the payload 2.0 result."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.shared.cookies import Cookie

MAX_FORM_BYTES = 64 * 1024  # a page of answers; files never come through here (they go straight to S3)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")

SECURITY_HEADERS = {
    # CloudFront's response headers policy sets these in AWS too; the function sets them so that every way of
    # reaching a page (the API's own URL, the local cloud) gets them.
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


class FormTooLarge(ValueError):
    pass


class FormUnreadable(ValueError):
    """A body that is not even bytes (invalid base64 from the gateway)."""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    cookies: dict[str, str]
    form: dict[str, list[str]]
    correlation_id: str = "unknown"
    source_ip: str = ""  # the connecting address (CloudFront's, behind it): the viewer's is in X-Forwarded-For

    @property
    def host(self) -> str:
        return self.headers.get("x-forwarded-host") or self.headers.get("host", "localhost")

    @property
    def is_local_http(self) -> bool:
        """Served over plain HTTP on the developer's own machine (the local cloud): cookies cannot be Secure."""
        hostname = self.host.rsplit(":", 1)[0] if not self.host.startswith("[") else self.host.split("]")[0] + "]"
        return hostname in LOCAL_HOSTS and self.headers.get("x-forwarded-proto", "http") == "http"

    @property
    def origin(self) -> str:
        return f"{'http' if self.is_local_http else 'https'}://{self.host}"

    def arg(self, name: str, default: str = "") -> str:
        values = self.query.get(name) or [default]
        return values[0]

    def field(self, name: str, default: str = "") -> str:
        values = self.form.get(name) or [default]
        return values[0]


@dataclass
class Reply:
    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[Cookie] = field(default_factory=list)
    content_type: str = "text/html; charset=utf-8"

    def all_headers(self) -> dict[str, str]:
        return {**SECURITY_HEADERS, "content-type": self.content_type, **self.headers}

    def to_result(self) -> dict[str, Any]:
        """The payload 2.0 result, for a reply made before the request reaches the pages' resolver."""
        cookies = [str(cookie) for cookie in self.cookies]
        return {"statusCode": self.status, "headers": self.all_headers(), "cookies": cookies, "body": self.body}

    def to_response(self) -> Response[str]:
        return Response(status_code=self.status, body=self.body, headers=self.all_headers(), cookies=self.cookies)


def redirect(location: str, *, cookies: list[Cookie] | None = None) -> Reply:
    """303 See Other: after a POST the browser GETs the next page (post/redirect/get)."""
    return Reply(status=303, headers={"location": location}, cookies=cookies or [])


def parse_event(event: dict[str, Any], correlation_id: str = "unknown") -> Request:
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    context = event.get("requestContext") or {}
    method = str((context.get("http") or {}).get("method") or event.get("httpMethod") or "GET").upper()
    cookies: dict[str, str] = {}
    for cookie in event.get("cookies") or []:
        name, _, value = str(cookie).partition("=")
        cookies.setdefault(name.strip(), value.strip())
    form: dict[str, list[str]] = {}
    if method == "POST":
        raw = event.get("body") or ""
        try:  # text as it came, lone surrogates too (they become U+FFFD below, as invalid UTF-8 does)
            data = base64.b64decode(raw) if event.get("isBase64Encoded") else str(raw).encode("utf-8", "surrogatepass")
        except binascii.Error as error:
            raise FormUnreadable("the body is not base64") from error
        if len(data) > MAX_FORM_BYTES:
            raise FormTooLarge(f"{len(data)} bytes")
        if headers.get("content-type", "").split(";")[0].strip() == "application/x-www-form-urlencoded":
            form = parse_qs(data.decode("utf-8", errors="replace"), keep_blank_values=True)
    return Request(
        method=method,
        path=str(event.get("rawPath") or "/"),
        query=parse_qs(str(event.get("rawQueryString") or ""), keep_blank_values=True),
        headers=headers,
        cookies=cookies,
        form=form,
        correlation_id=correlation_id,
        source_ip=str((context.get("http") or {}).get("sourceIp") or ""),
    )


def with_query(path: str, **params: str) -> str:
    given = {k: v for k, v in params.items() if v}
    return f"{path}?{urlencode(given)}" if given else path
