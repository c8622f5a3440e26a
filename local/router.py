"""Where a request to the local port goes: the stand-ins (Notify, OS Places), the local sign-in helper, a browser's
request to a bucket (moto's S3), a schedule fired by hand, else the front door (CloudFront's behaviours) or, with
`front_door=False`, straight to the API gateway.

The HTTP server (`local.server`) and in-process callers (`LocalCloud.handle`) both reach the local cloud here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from local import standins
from local.access import AccessControl
from local.cdn import FrontDoor
from local.gateway import Gateway, Headers
from local.moto_session import LOCK, MotoSession
from local.sandbox.cognito_oauth import PREFIX as COGNITO_OAUTH_PREFIX
from local.sandbox.cognito_oauth import CognitoOAuth
from local.scanner import MalwareScanner
from local.schedules import SCHEDULES_PATH, Scheduler
from local.staff import SIGN_IN_PATH, StaffPool, sign_in


class HttpResponse(NamedTuple):
    status: int
    headers: Headers
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Router:
    session: MotoSession
    base_url: str  # http://127.0.0.1:<port>: presigned URLs name it
    gateway: Gateway
    front_door: FrontDoor | None
    scheduler: Scheduler
    scanner: MalwareScanner
    staff: list[StaffPool] = field(default_factory=list)
    buckets: set[str] = field(default_factory=set)
    access: AccessControl | None = None  # judges presigned requests as the role that signed them
    cognito_oauth: CognitoOAuth | None = None  # Cognito's managed login stand-in, made on first use

    def handle(
        self, method: str, path: str, headers: Headers, body: bytes, source_ip: str, *, front_door: bool = True
    ) -> HttpResponse:
        """One request, one at a time (moto and `os.environ` are process-global); stand-ins outside the lock,
        since a function calls Notify while holding it."""
        if standins.is_stand_in(path):
            return HttpResponse(*standins.handle(method, path, headers, body))
        if path.startswith(COGNITO_OAUTH_PREFIX + "/"):
            return self._cognito_oauth(method, path, body, dict(headers))
        with LOCK:
            bare_path = path.split("?", 1)[0]
            if bare_path == SIGN_IN_PATH:
                return self._sign_in(method, body)
            if bare_path.lstrip("/").split("/", 1)[0] in self.buckets:
                return self._s3_request(method, path, headers, body)
            if path.startswith(SCHEDULES_PATH):
                return self._fire_schedule(method, bare_path.removeprefix(SCHEDULES_PATH))
            if self.front_door is not None and front_door:
                return HttpResponse(*self.front_door.handle(method, path, headers, body, source_ip))
            return HttpResponse(*self.gateway.handle(method, path, headers, body, source_ip))

    def _cognito_oauth(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> HttpResponse:
        """The console function asks for tokens (and keys) while it holds the lock, so those are served without it:
        its thread waits for the answer, so moto is not used by two threads at once."""
        if self.cognito_oauth is None:
            self.cognito_oauth = CognitoOAuth(self.session.client("cognito-idp"), self.base_url)
        if "/oauth2/token" in path or "/oauth2/revoke" in path or path.endswith("/jwks.json"):
            return HttpResponse(*self.cognito_oauth.handle(method, path, body, headers))
        with LOCK:
            return HttpResponse(*self.cognito_oauth.handle(method, path, body))

    def _s3_request(self, method: str, path: str, headers: Headers, body: bytes) -> HttpResponse:
        """A browser's request to a bucket (a presigned POST upload or GET): moto's S3 answers it, once IAM and the
        bucket policy allow the role that signed it."""
        refusal = self.access.presigned_refusal(method, path, dict(headers), body) if self.access else None
        if refusal is not None:
            denied = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                f"<Message>User: {refusal.principal} is not authorized to perform: {refusal.action}</Message></Error>"
            ).encode()
            return HttpResponse(
                403, [("content-type", "application/xml"), ("content-length", str(len(denied)))], denied
            )
        from botocore.awsrequest import AWSPreparedRequest
        from moto.core.models import botocore_stubber

        request = AWSPreparedRequest(
            method=method.upper(), url=f"{self.base_url}{path}", headers=dict(headers), body=body, stream_output=False
        )
        result = botocore_stubber.process_request(request)
        if result is None:
            return json_response(404, {"message": "Not Found"})
        status, response_headers, payload = result
        response_headers = dict(response_headers)
        if int(status) == 303 and "Location" in response_headers:
            response_headers["Location"] = self._with_etag(str(response_headers["Location"]))
        data = payload.encode() if isinstance(payload, str) else bytes(payload or b"")
        header_list = [
            (str(k).lower(), str(v)) for k, v in dict(response_headers).items() if str(k).lower() != "content-length"
        ]
        return HttpResponse(int(status), [*header_list, ("content-length", str(len(data)))], data)

    def _with_etag(self, location: str) -> str:
        """S3 adds the stored object's `etag` to a POST's success_action_redirect (with bucket and key); moto does
        not."""
        from urllib.parse import parse_qs, urlencode, urlsplit

        parts = urlsplit(location)
        query = parse_qs(parts.query)
        if "etag" in query or "bucket" not in query or "key" not in query:
            return location
        head = self.session.client("s3").head_object(Bucket=query["bucket"][0], Key=query["key"][0])
        query["etag"] = [head["ETag"]]
        return parts._replace(query=urlencode(query, doseq=True)).geturl()

    def _fire_schedule(self, method: str, name: str) -> HttpResponse:
        rule = self.scheduler.find(name)
        if method.upper() != "POST":
            return json_response(405, {"message": "POST to fire the rule now"})
        if rule is None:
            return json_response(
                404, {"message": f"No scheduled rule {name!r}", "rules": [r.name for r in self.scheduler.rules]}
            )
        return json_response(202, {"rule": rule.name, "targets_invoked": self.scheduler.fire(rule)})

    def _sign_in(self, method: str, body: bytes) -> HttpResponse:
        if method.upper() != "POST":
            return json_response(405, {"message": "POST a JSON username and password"})
        return json_response(*sign_in(self.session, self.staff, body))


def json_response(status: int, payload: Any) -> HttpResponse:
    data = json.dumps(payload).encode()
    return HttpResponse(status, [("content-type", "application/json"), ("content-length", str(len(data)))], data)
