"""Fakes for the web's ports, a cookie-keeping client, and answers that pass every definition's rules."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from web.addresses import AddressLookup
from web.api import ApiResult
from web.drafts import MemoryDraftStore
from web.pages import Ports, Web
from web.uploads import ScanStatus, StoredFile, UploadForm, Uploads, quoted_etag

from shared import forms
from shared.catalogue import Page, Question, ServiceDefinition
from shared.events import EventEnvelope
from shared.references import new_reference
from tests.helpers import http_event

COUNCIL = "Maidstone Borough Council"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class FakeApi:
    """The catalogue and cases API as the web sees it: validation, idempotency keys, references."""

    def __init__(self) -> None:
        self.catalogue: dict[str, ServiceDefinition] = {}
        self.submissions: list[dict[str, Any]] = []
        self.by_key: dict[str, ApiResult] = {}
        self.requests: dict[str, dict[str, Any]] = {}
        self.reminder_calls: list[tuple[str, dict[str, Any]]] = []
        self.reminder_clients: list[Any] = []
        self.refuse_subscriptions_with: ApiResult | None = None
        self.reminder_tokens: dict[str, str] = {}  # token -> action, usable once (as the subscriptions API)
        self.known_postcodes = ("ME14 1HQ", "ME15 6JQ")

    def submit(
        self, service_id: str, answers: dict[str, Any], *, idempotency_key: str, correlation_id: str
    ) -> ApiResult:
        if idempotency_key in self.by_key:
            return self.by_key[idempotency_key]
        definition = self.catalogue[service_id]
        submission = forms.validate_submission(definition, answers)
        if not submission.ok:
            return ApiResult(422, {"errors": submission.errors})
        reference = new_reference()
        self.submissions.append({"service_id": service_id, "answers": submission.answers, "key": idempotency_key})
        self.requests[reference] = {
            "reference": reference,
            "service_id": service_id,
            "service_title": definition.title,
            "status": "received",
            "status_label": "Received",
            "submitted_at": "2026-03-02T10:15:00+00:00",
            "team": definition.team,
            "expected_by": "2026-03-05",
            "history": [{"status": "received", "status_label": "Received", "at": "2026-03-02T10:15:00+00:00"}],
        }
        result = ApiResult(201, {"reference": reference, "amount_due_pence": submission.amount_due_pence})
        self.by_key[idempotency_key] = result
        return result

    def track(self, reference: str, *, correlation_id: str) -> ApiResult:
        found = self.requests.get(reference)
        return ApiResult(200, found) if found else ApiResult(404, {"detail": "not found"})

    def reminders(self, action: str, body: dict[str, Any], *, correlation_id: str, client=None) -> ApiResult:
        self.reminder_calls.append((action, body))
        self.reminder_clients.append(client)
        if action == "subscriptions":
            if self.refuse_subscriptions_with is not None:
                return self.refuse_subscriptions_with
            if body["postcode"] not in self.known_postcodes:
                return ApiResult(422, {"errors": [{"field": "postcode", "message": "Enter a postcode in the borough"}]})
            return ApiResult(202, {"status": "confirmation-sent"})
        if self.reminder_tokens.get(body.get("token", "")) != action:
            return ApiResult(400, {"detail": "This link has expired or has already been used."})
        del self.reminder_tokens[body["token"]]
        return ApiResult(200, {"status": "subscribed" if action == "confirm" else "unsubscribed"})


@dataclass
class FakeUploads:
    """The quarantine bucket: objects by key, and the scan result GuardDuty would tag them with. As the bucket
    policy does, the object itself cannot be read before its scan is clean; reads name the ETag it arrived with."""

    objects: dict[str, bytes] = field(default_factory=dict)
    scans: dict[str, ScanStatus] = field(default_factory=dict)
    released: dict[str, bytes] = field(default_factory=dict)  # clean key -> bytes
    forms: list[dict[str, Any]] = field(default_factory=list)
    refused_reads: list[str] = field(default_factory=list)

    @staticmethod
    def etag(data: bytes) -> str:
        return f'"{hashlib.md5(data).hexdigest()}"'  # noqa: S324 - as S3's ETag of a single-part upload

    def form(self, *, draft_id: str, upload_id: str, redirect_url: str, max_bytes: int) -> UploadForm:
        self.forms.append({"upload_id": upload_id, "max_bytes": max_bytes})
        return UploadForm(
            action="https://quarantine.s3.amazonaws.com/",
            fields={"key": f"{draft_id}/{upload_id}/${{filename}}", "success_action_redirect": redirect_url},
        )

    def scan_status(self, key: str) -> ScanStatus:
        if key not in self.objects:
            return "missing"
        return self.scans.get(key, "pending")

    def stored(self, key: str, etag: str) -> StoredFile | None:
        data = self.objects.get(key)
        if data is not None and self.scans.get(key) != "clean":
            self.refused_reads.append(key)  # the bucket policy's deny
            return None
        if data is None or self.etag(data) != quoted_etag(etag):
            return None
        return StoredFile(size_bytes=len(data), head=data[:32])

    def release(self, key: str, etag: str, clean_key: str, filename: str, content_type: str) -> bool:
        data = self.objects.get(key)
        if data is None or self.scans.get(key) != "clean" or self.etag(data) != quoted_etag(etag):
            return False
        self.released[clean_key] = self.objects.pop(key)
        return True

    def discard(self, key: str) -> None:
        self.objects.pop(key, None)


@dataclass
class Harness:
    web: Web
    api: FakeApi
    drafts: MemoryDraftStore
    uploads: FakeUploads
    events: list[EventEnvelope]
    now: list[float]


def harness(
    catalogue: dict[str, ServiceDefinition], addresses: AddressLookup | None = None, uploads: Uploads | None = None
) -> Harness:
    """The web on fakes; `uploads` replaces the fake quarantine bucket (Harness.uploads stays the unused fake)."""
    api = FakeApi()
    api.catalogue = catalogue
    drafts = MemoryDraftStore()
    fake_uploads = FakeUploads()
    events: list[EventEnvelope] = []
    now = [time.time()]
    ports = Ports(drafts=drafts, api=api, uploads=uploads or fake_uploads, publish=events.append, addresses=addresses)
    web = Web(ports, council=COUNCIL, catalogue=catalogue, clock=lambda: now[0])
    return Harness(web, api, drafts, fake_uploads, events, now)


@dataclass
class Served:
    """A page as the browser gets it (the payload 2.0 result)."""

    status: int
    body: str
    headers: dict[str, str]
    cookies: list[str]


class Client:
    """A browser without JavaScript: keeps cookies by path, follows nothing by itself."""

    def __init__(self, web: Web, host: str = "127.0.0.1:8080") -> None:
        self.web = web
        self.host = host
        self.cookies: dict[tuple[str, str], str] = {}
        self.last: Served | None = None
        self.headers: dict[str, str] = {}  # sent with every request, beside Host

    def _cookies_for(self, path: str) -> dict[str, str]:
        matching = sorted(
            ((p, n, v) for (n, p), v in self.cookies.items() if path == p or path.startswith(p.rstrip("/") + "/")),
            key=lambda c: -len(c[0]),
        )
        out: dict[str, str] = {}
        for _, name, value in matching:
            out.setdefault(name, value)
        return out

    def request(self, method: str, target: str, form: dict[str, Any] | None = None) -> Served:
        url = urlsplit(target)
        path = url.path
        fields = [(k, str(item)) for k, v in (form or {}).items() for item in (v if isinstance(v, list) else [v])]
        event = page_event(
            method,
            path,
            query=url.query,
            headers={"host": self.host, **self.headers},
            cookies=self._cookies_for(path),
            body=urlencode(fields) if method == "POST" else None,
        )
        result = self.web.resolve(event)
        reply = Served(result["statusCode"], result["body"], result["headers"], result.get("cookies", []))
        for header in reply.cookies:
            pair, *attributes = [part.strip() for part in header.split(";")]
            name, _, value = pair.partition("=")
            cookie_path = next((a[5:] for a in attributes if a.startswith("Path=")), "/")
            if "Max-Age=0" in attributes:
                self.cookies.pop((name, cookie_path), None)
            else:
                self.cookies[(name, cookie_path)] = value
        self.last = reply
        return reply

    def get(self, target: str) -> Served:
        return self.request("GET", target)

    def post(self, target: str, form: dict[str, Any], *, csrf: bool = True) -> Served:
        data = dict(form)
        if csrf and "csrf_token" not in data:
            found = CSRF.search(self.last.body) if self.last is not None else None
            token = found.group(1) if found else self._cookies_for(urlsplit(target).path).get("borough_csrf")
            if token:
                data["csrf_token"] = token
        return self.request("POST", target, data)


def page_event(
    method: str,
    path: str,
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    """The payload 2.0 event CloudFront and the HTTP API make of a browser's request for a page."""
    event = http_event(method, path, body=body, headers={**(headers or {})}, route_key="$default")
    event["rawQueryString"] = query
    event["cookies"] = [f"{name}={value}" for name, value in (cookies or {}).items()]
    event["headers"]["content-type"] = "application/x-www-form-urlencoded"
    return event


def location(reply: Served) -> str:
    assert reply.status in (302, 303), (reply.status, reply.body[:2000])
    return reply.headers["location"]


# -- answers that pass ---------------------------------------------------------------------------------------------
_TEXT_CANDIDATES = ("A valid answer", "GW123456", "ABCD-EFGH")


_FIXED_SAMPLES: dict[str, Any] = {
    "textarea": "Three black bags and a sofa",
    "email": "resident@example.com",
    "uk-phone": "07700 900 982",
    "uk-postcode": "ME15 6JQ",
    "address": {"line1": "1 High Street", "line2": "", "town": "Maidstone", "county": "", "postcode": "ME15 6JQ"},
    "location": {"postcode": "ME15 6JQ", "description": "By the park gate"},
    "yes-no": "no",
    "contact": {"email": "resident@example.com", "preference": "email"},
}


def _sample_date(question: Question, day: date) -> dict[str, str]:
    when = day
    if question.validation.past:
        when = day - timedelta(days=3)
    elif question.validation.future:
        when = day + timedelta(days=14)
    return {"day": str(when.day), "month": str(when.month), "year": str(when.year)}


def sample_raw(question: Question, *, today: date | None = None) -> Any:
    """A raw answer (as `forms.form_to_raw` gives it) that this question accepts."""
    if question.type in _FIXED_SAMPLES:
        return _FIXED_SAMPLES[question.type]
    if question.type == "text":
        passing = [c for c in _TEXT_CANDIDATES if forms.clean_answer(question, c) is not None]
        assert passing, f"No sample text passes {question.id}'s rules"
        return passing[0]
    if question.type == "number":
        return str(max(question.validation.min.value if question.validation.min else 2, 2))
    if question.type == "date":
        return _sample_date(question, today or date.today())
    if question.type in ("radios", "checkboxes"):
        first = question.option_values()[0]
        return first if question.type == "radios" else [first]
    return None


def as_form(question: Question, raw: Any) -> dict[str, Any]:
    """HTML form fields for a raw answer."""
    if isinstance(raw, dict):
        return {f"{question.id}.{part}": value for part, value in raw.items()}
    if raw is None:
        return {}
    return {question.id: raw}


def sample_form(definition: ServiceDefinition, page: Page, answers: dict[str, Any]) -> dict[str, Any]:
    form: dict[str, Any] = {}
    chosen: dict[str, Any] = dict(forms.shown_answers(definition, answers))
    for question in page.questions:
        if question.type == "file" or not forms.conditions_hold(question.show_if, chosen):
            continue
        raw = sample_raw(question)
        form.update(as_form(question, raw))
        chosen[question.id] = forms.clean_answer(question, raw)
    return form


def complete_to_check_answers(client: Client, definition: ServiceDefinition, drafts: MemoryDraftStore) -> str:
    """Walk every page with passing answers; return the check-your-answers URL."""
    target = location(client.get(f"/services/{definition.id}/begin"))
    for _ in range(len(definition.pages) + 1):
        if target.endswith("/check-answers"):
            return target
        reply = client.get(target)
        assert reply.status == 200, (target, reply.body[:3000])
        page_id = target.rsplit("/", 1)[-1].split("?")[0]
        draft_id = client._cookies_for(target.split("?")[0])["borough_draft"]
        draft = drafts.get(draft_id)
        assert draft is not None
        form = sample_form(definition, definition.page(page_id), draft.answers)
        target = location(client.post(target.split("?")[0], form))
    raise AssertionError("The journey did not reach check your answers")
