"""The console's resolver: each route of `console.routes.ROUTES` registered with the guard that enforces its
access before its view runs.

The guard, for every route that is not public: a valid ID token (else a refresh with the refresh token, else the
sign-in page), then the route's permission (else 403); for every POST, the CSRF token bound to the session (400
without one, 403 for a wrong one).
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.shared.cookies import Cookie

from console import session
from console.oauth import CognitoLogin, OAuthFailed
from console.permissions import Permission, StaffMember
from console.routes import ROUTES, Access, ConsoleRoute
from console.tokens import TokenRefused, TokenVerifier
from shared.observability import logger

MAX_FORM_BYTES = 16 * 1024
SECURITY_HEADERS = {
    "cache-control": "no-store",  # staff pages hold personal data: never cached, by CloudFront or the browser
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@dataclass
class StaffRequest:
    method: str
    path: str
    query: dict[str, str]
    cookies: dict[str, str]
    form: dict[str, str]
    source_ip: str
    staff: StaffMember | None = None
    refresh_token: str = ""
    renewed: list[Cookie] = field(default_factory=list)  # new session cookies after a refresh


@dataclass
class Page:
    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[Cookie] = field(default_factory=list)

    def response(self, extra_cookies: list[Cookie]) -> Response[str]:
        headers = {**SECURITY_HEADERS, "content-type": "text/html; charset=utf-8", **self.headers}
        return Response(self.status, body=self.body, headers=headers, cookies=[*extra_cookies, *self.cookies])


def redirect(location: str, cookies: list[Cookie] | None = None) -> Page:
    return Page(303, headers={"location": location}, cookies=cookies or [])


def parse(event: dict[str, Any]) -> StaffRequest:
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    cookies: dict[str, str] = {}
    for raw in event.get("cookies") or []:
        name, _, value = str(raw).partition("=")
        cookies.setdefault(name.strip(), value.strip())
    form: dict[str, str] = {}
    method = str(http.get("method", "GET")).upper()
    if method == "POST":
        import base64

        body = event.get("body") or ""
        data = base64.b64decode(body) if event.get("isBase64Encoded") else str(body).encode()
        if len(data) > MAX_FORM_BYTES:
            raise ValueError("form too large")
        form = {k: v[0] for k, v in urllib.parse.parse_qs(data.decode("utf-8", "replace")).items()}
    query = {str(k): str(v) for k, v in (event.get("queryStringParameters") or {}).items()}
    return StaffRequest(method, str(event.get("rawPath", "/")), query, cookies, form, str(http.get("sourceIp", "")))


class Guard:
    """Who is signed in, from the session cookies, renewing an expired ID token with the refresh token."""

    def __init__(self, verifier: TokenVerifier, login: CognitoLogin, signer: session.Signer) -> None:
        self.verifier, self.login, self.signer = verifier, login, signer

    def identify(self, request: StaffRequest) -> StaffMember | None:
        request.refresh_token = request.cookies.get(session.REFRESH_COOKIE, "")
        token = request.cookies.get(session.ID_COOKIE, "")
        claims = self._claims(token) if token else None
        if claims is None and request.refresh_token:
            claims = self._renew(request)
        if claims is None:
            return None
        if int(claims.get("auth_time", time.time())) + session.SESSION_SECONDS < time.time():
            return None  # the session's absolute lifetime is over, whatever the refresh token says
        return StaffMember.from_claims(claims)

    def _claims(self, token: str) -> dict[str, Any] | None:
        try:
            return self.verifier.verify_id_token(token)
        except TokenRefused as refused:
            logger.info("Staff token refused", extra={"reason": str(refused)})
            return None

    def _renew(self, request: StaffRequest) -> dict[str, Any] | None:
        try:
            tokens = self.login.refresh(request.refresh_token)
        except OAuthFailed as failed:
            logger.info("Staff session not renewed", extra={"reason": str(failed)})
            return None
        claims = self._claims(str(tokens.get("id_token", "")))
        if claims is not None:
            request.renewed = session.session_cookies(str(tokens["id_token"]), None)
        return claims


Views = Callable[[str], Callable[..., Page]]


def build(guard: Guard, view: Views, refused: Callable[[int, str], Page]) -> APIGatewayHttpResolver:
    """The resolver: `view(name)` is the view for a route, `refused(status, message)` the page for a refusal."""
    app = APIGatewayHttpResolver()
    for route in ROUTES:
        _register(app, route, guard, view(route.view), refused)
    app.not_found(lambda _: refused(404, "There is no such page in the staff console.").response([]))
    return app


def _register(
    app: APIGatewayHttpResolver,
    route: ConsoleRoute,
    guard: Guard,
    view: Callable[..., Page],
    refused: Callable[[int, str], Page],
) -> None:
    def enforce(resolver: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        try:
            request = parse(resolver.current_event.raw_event)
        except ValueError:
            return refused(413, "The form is too large.").response([])
        resolver.append_context(staff_request=request)
        if route.access is not Access.PUBLIC:
            stopped = _check(route, request, guard, refused)
            if stopped is not None:
                return stopped
        return next_middleware(resolver)

    def answer(**arguments: str) -> Response[Any]:
        request: StaffRequest = app.context["staff_request"]
        return view(request, **arguments).response(request.renewed)

    methods = [route.method, "HEAD"] if route.method == "GET" else [route.method]
    app.route(route.path, method=methods, middlewares=[enforce])(answer)


def _check(
    route: ConsoleRoute, request: StaffRequest, guard: Guard, refused: Callable[[int, str], Page]
) -> Response[Any] | None:
    """The refusal for a request the route's access does not allow, or None to let it through."""
    request.staff = guard.identify(request)
    if request.staff is None:
        if request.method == "GET":
            return redirect("/staff/sign-in", session.signed_out_cookies()).response([])
        return refused(401, "Your session has ended. Sign in again.").response(session.signed_out_cookies())
    if isinstance(route.access, Permission) and not request.staff.may(route.access):
        return refused(403, "You do not have permission to see this page.").response(request.renewed)
    if request.method == "POST":
        token = request.form.get(session.CSRF_FIELD, "")
        if not token:
            return refused(400, "The form has expired. Go back, reload the page and try again.").response([])
        if not guard.signer.csrf_valid(request.refresh_token, token):
            return refused(403, "The form could not be checked. Reload the page and try again.").response([])
    return None
