"""The Notify stand-in's API: what Notify checks (the bearer JWT, the request's shape, templates and
personalisation, recipients, limits) and answers, over messages kept in memory. Thread-safe."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

from local.sandbox.loopback import Reply, json_reply
from local.sandbox.notify.messages import (
    PLACEHOLDER,
    NotifyError,
    SandboxMessage,
    SandboxTemplate,
    created_json,
    load_templates,
    message_json,
    now_iso,
    receipt_json,
    render,
)
from local.sandbox.notify.outbox import outbox_html

# The sandbox service and its API key (made up; they only open this stand-in). Key: {name}-{service id}-{secret}.
SANDBOX_SERVICE_ID = "0d3a0c7e-0b1e-4c5b-9a51-5a9d2b6f7c10"
SANDBOX_SECRET = "7f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"  # noqa: S105 - a made-up key for the stand-in only
SANDBOX_API_KEY = f"borough_sandbox-{SANDBOX_SERVICE_ID}-{SANDBOX_SECRET}"
TOKEN_BOUND_SECONDS = 30  # Notify: "iat" must be within 30 seconds of its clock
RATE_LIMIT_PER_MINUTE = 3000  # Notify: per API key type, rolling 60 seconds
SMS_MAX_CHARACTERS = 918
MOUNT = "/sandbox/notify"
OUTBOX = "/sandbox/outbox"

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[A-Za-z]{2,63}")
_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}", re.IGNORECASE)
_FIELDS = {
    "email": {"template_id", "email_address", "personalisation", "reference", "email_reply_to_id"}
    | {"one_click_unsubscribe_url", "scheduled_for"},
    "sms": {"template_id", "phone_number", "personalisation", "reference", "sms_sender_id", "scheduled_for"},
    "letter": {"template_id", "personalisation", "reference", "postage"},
}
# Notify's simulated recipients (for test keys): these never deliver, they take the status given.
SIMULATED = {
    "temp-fail@simulator.notify": "temporary-failure",
    "perm-fail@simulator.notify": "permanent-failure",
    "+447700900003": "temporary-failure",
    "+447700900002": "permanent-failure",
}


def _uk_mobile(text: str) -> str | None:
    compact = re.sub(r"[\s\-().]", "", text)
    if compact.startswith("+44"):
        compact = "0" + compact[3:].removeprefix("0")
    elif compact.startswith("0044"):
        compact = "0" + compact[4:].removeprefix("0")
    return f"+44{compact[1:]}" if re.fullmatch(r"07[0-9]{9}", compact) else None


class NotifySandbox:
    """The stand-in's state: services and their keys, templates, messages. Thread-safe."""

    def __init__(
        self,
        *,
        services: dict[str, list[str]] | None = None,
        templates: Iterable[SandboxTemplate] | None = None,
        clock: Callable[[], float] = time.time,
        rate_limit_per_minute: int = RATE_LIMIT_PER_MINUTE,
        auto_deliver: bool = True,
        callback_url: str | None = None,
        callback_token: str | None = None,
    ) -> None:
        self.services = services or {SANDBOX_SERVICE_ID: [SANDBOX_SECRET]}
        self.templates = {t.id: t for t in (load_templates() if templates is None else templates)}
        self.clock = clock
        self.rate_limit_per_minute = rate_limit_per_minute
        self.auto_deliver = auto_deliver
        self.callback_url = callback_url
        self.callback_token = callback_token
        self.base_url = ""  # set by serve(); used in `uri` fields
        self.messages: list[SandboxMessage] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every API request, for tests
        self._recent: deque[float] = deque()
        self._failures: deque[NotifyError] = deque()
        self._lock = threading.Lock()

    # --- test controls -------------------------------------------------------------------------------------
    def fail_next(self, status: int, error: str, message: str, *, times: int = 1) -> None:
        """Answer the next `times` send requests with this error (after authentication, like Notify)."""
        with self._lock:
            self._failures.extend(NotifyError(status, error, message) for _ in range(times))

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.requests.clear()
            self._recent.clear()
            self._failures.clear()

    def complete(self, notification_id: str, status: str = "delivered") -> SandboxMessage:
        """Move a message to a final status, as the phone or email networks would, and send the callback."""
        with self._lock:
            message = self._find(notification_id)
            message.status = status
            message.sent_at = message.sent_at or now_iso(self.clock())
            message.completed_at = now_iso(self.clock())
        self._callback(message)
        return message

    # --- HTTP ----------------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(path)
        route = parts.path.removeprefix(MOUNT) or "/"
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.path.rstrip("/") == OUTBOX and method == "GET":
            return 200, {"Content-Type": "text/html; charset=utf-8"}, outbox_html(self._newest_first()).encode("utf-8")
        if parts.path == f"{OUTBOX}.json" and method == "GET":
            return json_reply(200, {"messages": [message_json(m, self.base_url) for m in self._newest_first()]})
        try:
            return self._api(method, route, query, {k.lower(): v for k, v in headers.items()}, body)
        except NotifyError as error:
            return json_reply(
                error.status,
                {"errors": [{"error": error.error, "message": error.message}], "status_code": error.status},
            )

    def _api(self, method: str, route: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        send = re.fullmatch(r"/v2/notifications/(email|sms|letter)", route)
        one = re.fullmatch(r"/v2/notifications/([^/]+)", route)
        if not route.startswith("/v2/"):
            raise NotifyError(404, "NotFound", "Not Found")
        if (send and method != "POST") or (route == "/v2/notifications" and method != "GET"):
            raise NotifyError(405, "MethodNotAllowed", "The method is not allowed for the requested URL.")
        self.authenticate(headers.get("authorization"))
        with self._lock:
            self.requests.append((method, route))
        if send:
            return json_reply(201, self._send(send.group(1), body))
        if route == "/v2/notifications":
            return json_reply(200, self._list(query))
        if one and method == "GET":
            return json_reply(200, self._get(one.group(1)))
        raise NotifyError(404, "NotFound", "Not Found")

    def authenticate(self, authorization: str | None) -> str:
        """Check the bearer JWT as Notify does; returns the service id."""
        if not authorization:
            raise NotifyError(401, "AuthError", "Unauthorized: authentication token must be provided")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotifyError(401, "AuthError", "Unauthorized: authentication bearer scheme must be used")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise NotifyError(403, "AuthError", "Invalid token: signature, api token is not valid") from None
        if header.get("alg") != "HS256":
            raise NotifyError(403, "AuthError", "Invalid token: algorithm used is not HS256")
        service_id = claims.get("iss")
        if not service_id:
            raise NotifyError(403, "AuthError", "Invalid token: iss field not provided")
        if service_id not in self.services:
            raise NotifyError(403, "AuthError", "Invalid token: service not found")
        if not any(self._verifies(token, secret) for secret in self.services[service_id]):
            raise NotifyError(403, "AuthError", "Invalid token: API key not found")
        issued_at = claims.get("iat")
        if not isinstance(issued_at, int | float):
            raise NotifyError(403, "AuthError", "Invalid token: iat field not provided")
        if abs(self.clock() - float(issued_at)) > TOKEN_BOUND_SECONDS:
            raise NotifyError(403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds")
        return str(service_id)

    @staticmethod
    def _verifies(token: str, secret: str) -> bool:
        try:
            jwt.decode(token, key=secret, algorithms=["HS256"], options={"verify_iat": False, "verify_exp": False})
        except jwt.PyJWTError:
            return False
        return True

    # --- the API -------------------------------------------------------------------------------------------
    def _send(self, kind: str, body: bytes) -> dict[str, Any]:
        request = self._json_object(body)
        unexpected = sorted(set(request) - _FIELDS[kind])
        if unexpected:
            raise NotifyError(
                400, "ValidationError", f"Additional properties are not allowed ({unexpected[0]} was unexpected)"
            )
        template = self._template(kind, request)
        personalisation = request.get("personalisation") or {}
        if not isinstance(personalisation, dict):
            raise NotifyError(400, "ValidationError", "personalisation is not of type object")
        reference = request.get("reference")
        if reference is not None and not isinstance(reference, str):
            raise NotifyError(400, "ValidationError", "reference is not of type string")
        recipient, address = self._recipient(kind, request, personalisation)
        missing = [
            name
            for name in dict.fromkeys(p.strip() for p in PLACEHOLDER.findall(template.subject + template.body))
            if name.lower() not in {str(k).lower() for k in personalisation}
        ]
        if missing:
            raise NotifyError(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
        subject, text = render(template.subject, personalisation), render(template.body, personalisation)
        if kind == "sms" and len(text) > SMS_MAX_CHARACTERS:
            raise NotifyError(
                400,
                "BadRequestError",
                f"Text messages cannot be longer than {SMS_MAX_CHARACTERS} characters. "
                f"Your message is {len(text)} characters long.",
            )
        self._take_from_limits()
        now = self.clock()
        message = SandboxMessage(
            id=str(uuid.uuid4()),
            type=kind,
            template=template,
            recipient=recipient,
            personalisation=dict(personalisation),
            reference=reference,
            subject=subject,
            body=text,
            created_at=now_iso(now),
            status="accepted" if kind == "letter" else "created",
            address=address,
            one_click_unsubscribe_url=request.get("one_click_unsubscribe_url"),
        )
        with self._lock:
            self.messages.append(message)
        if self.auto_deliver and kind != "letter":
            self.complete(message.id, SIMULATED.get(recipient, "delivered"))
        return created_json(message, self.base_url)

    def _json_object(self, body: bytes) -> dict[str, Any]:
        try:
            request = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            request = None
        if not isinstance(request, dict):
            raise NotifyError(400, "ValidationError", "Invalid JSON supplied in POST data")
        return request

    def _template(self, kind: str, request: dict[str, Any]) -> SandboxTemplate:
        template_id = request.get("template_id")
        if template_id is None:
            raise NotifyError(400, "ValidationError", "template_id is a required property")
        if not isinstance(template_id, str) or not _UUID.fullmatch(template_id):
            raise NotifyError(400, "ValidationError", "template_id is not a valid UUID")
        template = self.templates.get(template_id.lower())
        if template is None:
            raise NotifyError(400, "BadRequestError", "Template not found")
        if template.type != kind:
            raise NotifyError(
                400, "BadRequestError", f"{template.type} template is not suitable for {kind} notification"
            )
        return template

    @staticmethod
    def _recipient(kind: str, request: dict[str, Any], personalisation: dict[str, Any]) -> tuple[str, list[str]]:
        if kind == "email":
            email = request.get("email_address")
            if email is None:
                raise NotifyError(400, "ValidationError", "email_address is a required property")
            if not isinstance(email, str) or not _EMAIL.fullmatch(email.strip()):
                raise NotifyError(400, "ValidationError", "email_address Not a valid email address")
            return email.strip(), []
        if kind == "sms":
            phone = request.get("phone_number")
            if phone is None:
                raise NotifyError(400, "ValidationError", "phone_number is a required property")
            mobile = _uk_mobile(phone) if isinstance(phone, str) else None
            if mobile is None:
                raise NotifyError(400, "ValidationError", "phone_number Not a UK mobile number")
            return mobile, []
        lines = [str(personalisation.get(f"address_line_{n}") or "").strip() for n in range(1, 8)]
        lines = [line for line in lines if line]
        if len(lines) < 3:
            raise NotifyError(400, "ValidationError", "Address must be at least 3 lines")
        if not _POSTCODE.fullmatch(lines[-1]):
            raise NotifyError(400, "ValidationError", "Last line of address must be a real UK postcode")
        return ", ".join(lines), lines

    def _take_from_limits(self) -> None:
        with self._lock:
            if self._failures:
                raise self._failures.popleft()
            now = self.clock()
            while self._recent and self._recent[0] <= now - 60:
                self._recent.popleft()
            if len(self._recent) >= self.rate_limit_per_minute:
                raise NotifyError(
                    429,
                    "RateLimitError",
                    f"Exceeded rate limit for key type LIVE of {self.rate_limit_per_minute} requests per 60 seconds",
                )
            self._recent.append(now)

    def _get(self, notification_id: str) -> dict[str, Any]:
        if not _UUID.fullmatch(notification_id):
            raise NotifyError(400, "ValidationError", "notification_id is not a valid UUID")
        with self._lock:
            return message_json(self._find(notification_id), self.base_url)

    def _list(self, query: dict[str, str]) -> dict[str, Any]:
        found = self._newest_first()
        if "reference" in query:
            found = [m for m in found if m.reference == query["reference"]]
        if "status" in query:
            found = [m for m in found if m.status == query["status"]]
        if "template_type" in query:
            found = [m for m in found if m.type == query["template_type"]]
        if "older_than" in query:
            ids = [m.id for m in found]
            found = found[ids.index(query["older_than"]) + 1 :] if query["older_than"] in ids else []
        return {
            "notifications": [message_json(m, self.base_url) for m in found],
            "links": {"current": f"{self.base_url}/v2/notifications"},
        }

    def _find(self, notification_id: str) -> SandboxMessage:
        for message in self.messages:
            if message.id == notification_id:
                return message
        raise NotifyError(404, "NoResultFound", "No result found")

    def _newest_first(self) -> list[SandboxMessage]:
        with self._lock:
            return list(reversed(self.messages))

    def _callback(self, message: SandboxMessage) -> None:
        """POST Notify's delivery receipt to the configured callback URL (in the background, as Notify does)."""
        if not self.callback_url:
            return
        payload = receipt_json(message)
        request = urllib.request.Request(  # noqa: S310 - the URL is the local cloud's, set by whoever starts us
            self.callback_url,
            data=json.dumps(payload).encode("utf-8"),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.callback_token or ''}"},
            method="POST",
        )

        def post() -> None:
            with contextlib.suppress(OSError):  # Notify retries failed callbacks; the sandbox does not
                urllib.request.urlopen(request, timeout=5).close()  # noqa: S310

        threading.Thread(target=post, daemon=True).start()
