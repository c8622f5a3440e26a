"""The resident web's pages: routing, journeys over the form engine, drafts, CSRF, submission and tracking.

Plain Python behind small ports (drafts, the API, uploads, the event publisher), so unit tests run it with
in-memory fakes and the handler wires the AWS adapters. Validation, conditions, fees and check-your-answers rows
all come from `shared.forms`, the engine the API uses too.
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from shared import forms
from shared.catalogue import FixedFee, Page, Question, ServiceDefinition, load_catalogue
from shared.contact import EMAIL_MESSAGE, is_uk_mobile, normalise_email, normalise_uk_phone
from shared.events import EventEnvelope, EventType, new_event
from shared.location import normalise_postcode
from shared.references import normalise_reference
from web import security
from web.address_flow import FIND_ACTION, AddressFlow
from web.addresses import AddressLookup
from web.api import Api
from web.drafts import Draft, DraftStore
from web.http import Reply, Request, redirect, with_query
from web.render import question_html, render
from web.uploads import Uploads, extension_of, new_upload_id, safe_filename, sniff_extension

RESERVED_STEPS = frozenset({"begin", "restart", "check-answers", "confirmation", "save", "return"})
MAX_QUERY_LENGTH = 100
REMINDERS_PATH = "/reminders"
REMINDERS_TITLE = "Bin collection reminders"
REMINDER_LINK_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,400}\.[A-Za-z0-9_-]{1,100}$")  # notifications.reminders.sign
MOBILE_MESSAGE = "Enter a UK mobile phone number, like 07700 900 982"
_SERVICE_PATH = re.compile(r"^/services/([a-z][a-z0-9-]{1,62})(?:/([a-z0-9][a-z0-9._~-]*))?(?:/([A-Za-z0-9._~-]+))?/?$")

VIRUS_MESSAGE = "The selected file contains a virus"
SCAN_PENDING_MESSAGE = "We are still checking your file for viruses. Wait a few seconds, then select Continue"
SCAN_FAILED_MESSAGE = "The selected file could not be checked for viruses. Upload a different file"
UPLOAD_AGAIN_MESSAGE = "The selected file could not be uploaded. Try again"


@dataclass(frozen=True)
class Ports:
    drafts: DraftStore
    api: Api
    uploads: Uploads | None
    publish: Callable[[EventEnvelope], object]
    addresses: AddressLookup | None = None  # None: addresses are typed in (no OS Places key)


class Web:
    """One instance per container; `handle` serves one request."""

    def __init__(
        self,
        ports: Ports,
        *,
        council: str,
        catalogue: Mapping[str, ServiceDefinition] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ports = ports
        self.council = council
        self._catalogue = catalogue
        self.clock = clock
        self.address_flow = AddressFlow(ports.addresses)

    @property
    def catalogue(self) -> Mapping[str, ServiceDefinition]:
        return self._catalogue if self._catalogue is not None else load_catalogue()

    # -- routing ------------------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        if request.method not in ("GET", "HEAD", "POST"):
            return self._message(
                405, "Method not allowed", ["This page cannot do that."], headers={"allow": "GET, POST"}
            )
        path = request.path
        if path in ("/", "/services", "/services/"):
            return self._only_get(request) or self.home(request)
        if path in ("/track", "/track/"):
            return self._only_get(request) or self.track(request)
        if path == REMINDERS_PATH or path.startswith(REMINDERS_PATH + "/"):
            return self._reminders_route(request, path[len(REMINDERS_PATH) :].strip("/"))
        match = _SERVICE_PATH.match(path)
        definition = self.catalogue.get(match.group(1)) if match else None
        if match is None or definition is None:
            return self.not_found()
        step, extra = match.group(2), match.group(3)
        if step is None:
            return self._only_get(request) or self.start(request, definition)
        if extra is not None:
            return self._step_with_extra(request, definition, step, extra)
        return self._service_route(request, definition, step)

    def _step_with_extra(self, request: Request, definition: ServiceDefinition, step: str, extra: str) -> Reply:
        if request.method == "POST":
            return self._method_not_allowed("GET")
        if step == "return":
            return self.come_back(request, definition, extra)
        if extra == "uploaded" and self._has_page(definition, step):
            return self.uploaded(request, definition, step)
        return self.not_found()

    def _service_route(self, request: Request, definition: ServiceDefinition, step: str) -> Reply:
        post = request.method == "POST"
        if step == "begin":
            return self._only_get(request) or self.begin(request, definition)
        if step == "restart":
            return self.restart(request, definition) if post else self._method_not_allowed("POST")
        if step == "check-answers":
            return self.submit(request, definition) if post else self.check_answers(request, definition)
        if step == "confirmation":
            return self._only_get(request) or self.confirmation(request, definition)
        if step == "save":
            return self.save(request, definition) if post else self.save_page(request, definition)
        if not self._has_page(definition, step):
            return self.not_found()
        return self.post_page(request, definition, step) if post else self.page(request, definition, step)

    @staticmethod
    def _has_page(definition: ServiceDefinition, page_id: str) -> bool:
        return page_id not in RESERVED_STEPS and any(p.id == page_id for p in definition.pages)

    def _only_get(self, request: Request) -> Reply | None:
        return self._method_not_allowed("GET") if request.method == "POST" else None

    def _method_not_allowed(self, allow: str) -> Reply:
        return self._message(405, "Method not allowed", ["This page cannot do that."], headers={"allow": allow})

    # -- rendering helpers --------------------------------------------------------------------------------------
    def _html(self, template: str, status: int = 200, cookies: list[str] | None = None, **context: Any) -> Reply:
        body = render(template, council=self.council, **context)
        return Reply(status=status, body=body, cookies=cookies or [])

    def _message(
        self,
        status: int,
        heading: str,
        lines: list[str],
        link: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        reply = self._html("message.html", status, heading=heading, lines=lines, link=link)
        reply.headers.update(headers or {})
        return reply

    def not_found(self) -> Reply:
        return self._message(
            404,
            "Page not found",
            [
                "If you typed the web address, check it is correct.",
                "If you pasted the web address, check you copied the entire address.",
            ],
            {"href": "/", "text": "Find a council service"},
        )

    def expired(self, definition: ServiceDefinition) -> Reply:
        return self._message(
            410,
            "Your answers have expired",
            [
                "We keep unsent answers for 28 days after you last saved them. We have deleted yours.",
                "You will need to start again.",
            ],
            {"href": f"/services/{definition.id}/begin", "text": f"Start {definition.title.lower()} again"},
        )

    # -- drafts, cookies and CSRF -------------------------------------------------------------------------------
    @staticmethod
    def _service_path(definition: ServiceDefinition) -> str:
        return f"/services/{definition.id}"

    def _cookie(self, request: Request, definition: ServiceDefinition, name: str, value: str) -> str:
        return security.cookie(name, value, path=self._service_path(definition), secure=not request.is_local_http)

    def _draft_id(self, request: Request) -> str | None:
        value = request.cookies.get(security.DRAFT_COOKIE, "")
        return value if security.is_draft_id(value) else None

    def _load(self, request: Request, definition: ServiceDefinition) -> tuple[Draft | None, bool]:
        """(the draft in the cookie, whether the cookie named a draft that no longer exists or has expired)."""
        draft_id = self._draft_id(request)
        if draft_id is None:
            return None, False
        draft = self.ports.drafts.get(draft_id)
        if draft is not None and draft.service_id != definition.id:
            return None, False  # another service's draft (cookies are scoped by path, so only if tampered with)
        if draft is None or draft.expired(self.clock()):
            return None, True
        return draft, False

    def _csrf(self, request: Request, definition: ServiceDefinition, draft_id: str) -> tuple[str, list[str]]:
        """A token for this page's forms: the cookie's if it belongs to this draft, otherwise a new one."""
        current = request.cookies.get(security.CSRF_COOKIE, "")
        try:
            security.check_csrf(draft_id, current, current)
        except (security.CsrfMissing, security.CsrfInvalid):
            token = security.csrf_token(draft_id)
            return token, [self._cookie(request, definition, security.CSRF_COOKIE, token)]
        return current, []

    def _check_csrf(self, request: Request, bound_to: str | None = None) -> Reply | None:
        """The form's token against the cookie's, signed for the cookie's draft (or for `bound_to`)."""
        try:
            security.check_csrf(
                bound_to or self._draft_id(request),
                request.field(security.CSRF_FIELD),
                request.cookies.get(security.CSRF_COOKIE, ""),
            )
        except security.CsrfMissing:
            return self._message(
                400,
                "Sorry, we could not read your form",
                [
                    "Your form was missing a security code, so we did not save it.",
                    "Go back, reload the page and try again.",
                ],
                {"href": "/", "text": "Go to all services"},
            )
        except security.CsrfInvalid:
            return self._message(
                403,
                "Sorry, your form could not be sent",
                [
                    "Your form's security code did not match, so we did not save it.",
                    "Go back, reload the page and try again.",
                ],
                {"href": "/", "text": "Go to all services"},
            )
        return None

    def _new_draft(self, request: Request, definition: ServiceDefinition) -> tuple[Draft, list[str]]:
        draft = Draft(id=security.new_draft_id(), service_id=definition.id)
        draft.touch(self.clock())
        self.ports.drafts.put(draft)
        return draft, [self._cookie(request, definition, security.DRAFT_COOKIE, draft.id)]

    def _save(self, draft: Draft) -> None:
        draft.touch(self.clock())
        self.ports.drafts.put(draft)
        if draft.email:
            self.ports.drafts.put_reminders(draft)

    # -- journey state ------------------------------------------------------------------------------------------
    def _resume_url(self, definition: ServiceDefinition, draft: Draft) -> str:
        if draft.submitted:
            return f"{self._service_path(definition)}/confirmation"
        for page in forms.visible_pages(definition, draft.answers):
            if page.id not in draft.completed:
                return f"{self._service_path(definition)}/{page.id}"
        return f"{self._service_path(definition)}/check-answers"

    def _back_url(self, definition: ServiceDefinition, draft: Draft, page_id: str, change: bool) -> str:
        if change:
            return f"{self._service_path(definition)}/check-answers"
        previous = forms.previous_page(definition, draft.answers, page_id)
        return f"{self._service_path(definition)}/{previous.id}" if previous else self._service_path(definition)

    def _next_url(self, definition: ServiceDefinition, draft: Draft, page_id: str, change: bool) -> str:
        if change:  # back to check your answers, unless the change opened a page not yet answered
            return self._resume_url(definition, draft)
        following = forms.next_page(definition, draft.answers, after=page_id)
        if following is None:
            return f"{self._service_path(definition)}/check-answers"
        return f"{self._service_path(definition)}/{following.id}"

    # -- home and start -----------------------------------------------------------------------------------------
    def home(self, request: Request) -> Reply:
        query = " ".join(request.arg("q").split())[:MAX_QUERY_LENGTH]
        words = query.lower().split()
        topics: dict[str, list[ServiceDefinition]] = {}
        for definition in self.catalogue.values():
            text = " ".join((definition.title, definition.summary, definition.topic, *definition.keywords)).lower()
            if all(word in text for word in words):
                topics.setdefault(definition.topic, []).append(definition)
        grouped = [{"title": name, "services": topics[name]} for name in sorted(topics)]
        count = sum(len(services) for services in topics.values())
        reply = self._html("home.html", topics=grouped, query=query, count=count)
        reply.headers["cache-control"] = "no-cache"
        return reply

    def start(self, request: Request, definition: ServiceDefinition) -> Reply:
        draft, _ = self._load(request, definition)
        in_progress = draft is not None and not draft.submitted and bool(draft.completed)
        token, cookies = "", list[str]()
        if draft is not None and in_progress:
            token, cookies = self._csrf(request, definition, draft.id)
        fee_text = self._fee_text(definition) if definition.charges else ""
        return self._html(
            "start.html",
            cookies=cookies,
            service=definition,
            service_name=definition.title,
            service_url=self._service_path(definition),
            draft_in_progress=in_progress,
            draft_expires=draft.expiry_date() if draft else "",
            continue_url=self._resume_url(definition, draft) if draft else "",
            csrf_token=token,
            fee_text=fee_text,
        )

    @staticmethod
    def _fee_text(definition: ServiceDefinition) -> str:
        fee = definition.fee
        if isinstance(fee, FixedFee):
            return f"It costs {forms.format_pence(fee.amount_pence)}. You pay after you send your request."
        return "There is a fee. We will show you how much before you send your request, and you pay after you send it."

    def begin(self, request: Request, definition: ServiceDefinition) -> Reply:
        draft, _ = self._load(request, definition)
        if draft is not None and not draft.submitted:
            return redirect(self._resume_url(definition, draft))
        draft, cookies = self._new_draft(request, definition)
        return redirect(self._resume_url(definition, draft), cookies=cookies)

    def restart(self, request: Request, definition: ServiceDefinition) -> Reply:
        if (refused := self._check_csrf(request)) is not None:
            return refused
        draft, _ = self._load(request, definition)
        if draft is not None:
            self.ports.drafts.delete(draft.id)
        draft, cookies = self._new_draft(request, definition)
        return redirect(self._resume_url(definition, draft), cookies=cookies)

    # -- question pages -----------------------------------------------------------------------------------------
    def _journey_draft(self, request: Request, definition: ServiceDefinition) -> tuple[Draft | None, Reply | None]:
        draft, expired = self._load(request, definition)
        if expired:
            return None, self.expired(definition)
        if draft is None:
            return None, redirect(self._service_path(definition))
        if draft.submitted:
            return None, redirect(f"{self._service_path(definition)}/confirmation")
        return draft, None

    def page(self, request: Request, definition: ServiceDefinition, page_id: str) -> Reply:
        draft, stop = self._journey_draft(request, definition)
        if draft is None:
            return stop or self.not_found()
        page = definition.page(page_id)
        if page.id not in {p.id for p in forms.visible_pages(definition, draft.answers)}:
            return redirect(self._resume_url(definition, draft))
        values = {q.id: display_value(q, draft.answers.get(q.id)) for q in page.questions}
        return self._render_page(request, definition, draft, page, values, [], change=request.arg("change") == "1")

    def _render_page(
        self,
        request: Request,
        definition: ServiceDefinition,
        draft: Draft,
        page: Page,
        values: dict[str, Any],
        errors: list[forms.FieldError],
        *,
        change: bool,
        status: int | None = None,
        address_modes: Mapping[str, str] | None = None,
    ) -> Reply:
        token, cookies = self._csrf(request, definition, draft.id)
        field_errors = {e["field"]: e["message"] for e in errors}
        page_url = f"{self._service_path(definition)}/{page.id}"
        views = self.address_flow.views(
            page, draft, query=request.query, form=request.form, page_url=page_url, change=change, modes=address_modes
        )
        values = {**values, **{qid: AddressFlow.with_view(values.get(qid), view) for qid, view in views.items()}}
        common = {
            "service": definition,
            "service_name": definition.title,
            "service_url": self._service_path(definition),
            "page": page,
            "csrf_token": token,
            "change": change,
            "action": page_url,
            "back_url": self._back_url(definition, draft, page.id, change),
            "errors": [
                {
                    "href": AddressFlow.error_target(e["field"], views) or self._href(definition, e["field"]),
                    "message": e["message"],
                }
                for e in errors
            ],
            "field_errors": field_errors,
        }
        file_question = next((q for q in page.questions if q.type == "file"), None)
        if file_question is not None:
            return self._render_file_page(request, definition, draft, file_question, common, cookies, status)
        items = self._page_items(definition, page, draft.answers, values, field_errors)
        return self._html("question.html", status or (400 if errors else 200), cookies, items=items, **common)

    def _page_items(
        self,
        definition: ServiceDefinition,
        page: Page,
        answers: Mapping[str, Any],
        values: Mapping[str, Any],
        field_errors: dict[str, str],
    ) -> list[dict[str, Any]]:
        """The page's questions to show; a question shown by a choice on the same page nests under that choice."""
        own = {q.id: q for q in page.questions}
        context = forms.shown_answers(definition, {k: v for k, v in answers.items() if k not in own})
        nested: dict[str, dict[str, list[Question]]] = {}
        top: list[Question] = []
        for question in page.questions:
            parent = _same_page_parent(question, own)
            if parent is not None:
                nested.setdefault(parent[0], {}).setdefault(parent[1], []).append(question)
            elif forms.conditions_hold(question.show_if, context):
                top.append(question)
        items = []
        for question in top:
            conditionals = {
                option: Markup("").join(
                    question_html(child, values.get(child.id), field_errors, {}) for child in children
                )
                for option, children in nested.get(question.id, {}).items()
            }
            items.append({"q": question, "value": values.get(question.id), "conditionals": conditionals})
        return items

    def _href(self, definition: ServiceDefinition, field: str) -> str:
        question_id, _, part = field.partition(".")
        if part:
            return f"{question_id}-{part}"
        try:
            question = definition.question(question_id)
        except KeyError:
            return "main-content"
        first_part = {"date": "day", "address": "line1", "location": "postcode", "contact": "email"}.get(question.type)
        return f"{question.id}-{first_part}" if first_part else question.id

    def post_page(self, request: Request, definition: ServiceDefinition, page_id: str) -> Reply:
        if (refused := self._check_csrf(request)) is not None:
            return refused
        draft, stop = self._journey_draft(request, definition)
        if draft is None:
            return stop or self.not_found()
        page = definition.page(page_id)
        if page.id not in {p.id for p in forms.visible_pages(definition, draft.answers)}:
            return redirect(self._resume_url(definition, draft))
        change = request.field("change") == "1"
        saving = request.field("action") == "save"
        if any(q.type == "file" for q in page.questions):
            return self._post_file_page(request, definition, draft, page, change=change, saving=saving)
        raw = forms.form_to_raw(page, request.form)
        addresses = self.address_flow.read(
            page, request.form, draft, finding=request.field("action") == FIND_ACTION, saving=saving
        )
        if addresses.looked_up and not saving:  # show the addresses found (kept in the draft) on the same page
            self._save(draft)
            raw.update(addresses.raw)
            return self._render_page(
                request, definition, draft, page, raw, addresses.errors, change=change, address_modes=addresses.modes
            )
        raw.update(addresses.raw)
        result = forms.validate_page(definition, page.id, raw, draft.answers, on=self._today())
        refused_ids = {e["field"].split(".", 1)[0] for e in addresses.errors}  # a UPRN not from the lookup
        errors = addresses.errors + [e for e in result.errors if e["field"].split(".", 1)[0] not in refused_ids]
        values = {k: v for k, v in result.values.items() if k not in refused_ids}
        own = {q.id for q in page.questions}
        if saving:  # keep what is valid so far; the page is finished later
            draft.answers = {**{k: v for k, v in draft.answers.items() if k not in own}, **values}
            self._save(draft)
            return redirect(f"{self._service_path(definition)}/save")
        if errors:
            return self._render_page(
                request, definition, draft, page, raw, errors, change=change, address_modes=addresses.modes
            )
        draft.answers = {**{k: v for k, v in draft.answers.items() if k not in own}, **values}
        if page.id not in draft.completed:
            draft.completed.append(page.id)
        self._save(draft)
        return redirect(self._next_url(definition, draft, page.id, change))

    def _today(self) -> date:
        return forms.today(_utc(self.clock()))

    # -- file questions -----------------------------------------------------------------------------------------
    def _render_file_page(
        self,
        request: Request,
        definition: ServiceDefinition,
        draft: Draft,
        question: Question,
        common: dict[str, Any],
        cookies: list[str],
        status: int | None,
    ) -> Reply:
        pending = draft.uploads.get(question.id)
        answer = draft.answers.get(question.id)
        uploaded = None
        if pending is not None:
            uploaded = {"filename": pending["filename"], "pending": True}
        elif answer:
            uploaded = {"filename": answer["filename"], "pending": False}
        upload_form = None
        if uploaded is None and self.ports.uploads is not None:
            upload_id = new_upload_id()
            token = security.upload_token(draft.id, question.id, upload_id, now=self.clock())
            redirect_url = f"{request.origin}{common['action']}/uploaded?{_query(t=token)}"
            upload_form = self.ports.uploads.form(draft_id=draft.id, upload_id=upload_id, redirect_url=redirect_url)
        accept = ",".join(f".{ext}" for ext in question.accept or ()) + (
            ",.jpeg" if "jpg" in (question.accept or ()) else ""
        )
        failed = bool(common["errors"])
        return self._html(
            "file.html",
            status or (400 if failed else 200),
            cookies,
            q=question,
            uploaded=uploaded,
            upload=upload_form,
            accept=accept,
            **common,
        )

    def uploaded(self, request: Request, definition: ServiceDefinition, page_id: str) -> Reply:
        """Where S3 sends the browser after an upload to the quarantine bucket."""
        draft, stop = self._journey_draft(request, definition)
        if draft is None:
            return stop or self.not_found()
        page = definition.page(page_id)
        question = next((q for q in page.questions if q.type == "file"), None)
        claims = security.read_upload_token(request.arg("t"), now=self.clock())
        key = request.arg("key")
        uploads = self.ports.uploads
        if (
            question is None
            or uploads is None
            or claims is None
            or claims.get("d") != draft.id
            or claims.get("q") != question.id
            or not key.startswith(f"{draft.id}/{claims.get('u')}/")
        ):
            return self._file_error(request, definition, draft, page, question, UPLOAD_AGAIN_MESSAGE)
        stored = uploads.stored(key)
        filename = safe_filename(key)
        extension = extension_of(filename)
        message = None
        if stored is None:
            message = UPLOAD_AGAIN_MESSAGE
        elif stored.size_bytes == 0:
            message = forms.DEFAULT_MESSAGES["file_empty"]
        elif stored.size_bytes > question.max_bytes:
            message = forms.file_size_message(question)
        elif extension not in (question.accept or ()) or extension not in sniff_extension(stored.head):
            message = forms.file_type_message(question)
        if message is not None or stored is None:
            if stored is not None:
                uploads.discard(key)
            return self._file_error(request, definition, draft, page, question, message or UPLOAD_AGAIN_MESSAGE)
        previous = draft.uploads.pop(question.id, None)
        if previous is not None:
            uploads.discard(previous["key"])
        draft.answers.pop(question.id, None)
        draft.uploads[question.id] = {
            "key": key,
            "upload_id": str(claims["u"]),
            "filename": filename,
            "size_bytes": stored.size_bytes,
            "content_type": forms.FILE_TYPES[extension][0],
        }
        self._save(draft)
        return redirect(f"{self._service_path(definition)}/{page.id}")

    def _file_error(
        self,
        request: Request,
        definition: ServiceDefinition,
        draft: Draft,
        page: Page,
        question: Question | None,
        message: str,
    ) -> Reply:
        errors: list[forms.FieldError] = [{"field": question.id if question else "file", "message": message}]
        return self._render_page(request, definition, draft, page, {}, errors, change=False)

    def _post_file_page(
        self, request: Request, definition: ServiceDefinition, draft: Draft, page: Page, *, change: bool, saving: bool
    ) -> Reply:
        question = next(q for q in page.questions if q.type == "file")
        pending = draft.uploads.get(question.id)
        uploads = self.ports.uploads
        if request.field("action") == "remove":
            if pending is not None and uploads is not None:
                uploads.discard(pending["key"])
            draft.uploads.pop(question.id, None)
            draft.answers.pop(question.id, None)
            if page.id in draft.completed:
                draft.completed.remove(page.id)
            self._save(draft)
            return redirect(with_query(f"{self._service_path(definition)}/{page.id}", change="1" if change else ""))
        if saving:
            self._save(draft)
            return redirect(f"{self._service_path(definition)}/save")
        if pending is not None and uploads is not None:
            status = uploads.scan_status(pending["key"])
            if status == "pending":
                return self._file_error(request, definition, draft, page, question, SCAN_PENDING_MESSAGE)
            if status != "clean":
                uploads.discard(pending["key"])
                draft.uploads.pop(question.id)
                self._save(draft)
                message = VIRUS_MESSAGE if status == "infected" else SCAN_FAILED_MESSAGE
                return self._file_error(request, definition, draft, page, question, message)
            uploads.release(pending["key"], pending["upload_id"], pending["filename"])
            draft.uploads.pop(question.id)
            draft.answers[question.id] = {
                "upload_id": pending["upload_id"],
                "filename": pending["filename"],
                "content_type": pending["content_type"],
                "size_bytes": pending["size_bytes"],
            }
        result = forms.validate_page(
            definition, page.id, {question.id: draft.answers.get(question.id)}, draft.answers, on=self._today()
        )
        if not result.ok:
            return self._render_page(request, definition, draft, page, {}, result.errors, change=change)
        if page.id not in draft.completed:
            draft.completed.append(page.id)
        self._save(draft)
        return redirect(self._next_url(definition, draft, page.id, change))

    # -- check your answers, submission, confirmation -----------------------------------------------------------
    def check_answers(
        self, request: Request, definition: ServiceDefinition, errors: list[forms.FieldError] | None = None
    ) -> Reply:
        draft, stop = self._journey_draft(request, definition)
        if draft is None:
            return stop or self.not_found()
        resume = self._resume_url(definition, draft)
        if not resume.endswith("/check-answers"):
            return redirect(resume)
        answers = forms.shown_answers(definition, draft.answers)
        rows = forms.check_your_answers(definition, answers)
        try:
            fee = forms.fee_summary(definition, answers)
        except ValueError:
            fee = None
        token, cookies = self._csrf(request, definition, draft.id)
        pages = forms.visible_pages(definition, answers)
        summary = []
        for error in errors or []:
            question_id = error["field"].split(".", 1)[0]
            row = next((r for r in rows if r.question_id == question_id), None)
            href = f"{self._service_path(definition)}/{row.page_id}?change=1" if row else "#main-content"
            summary.append({"href": href, "message": error["message"]})
        return self._html(
            "check.html",
            400 if errors else 200,
            cookies,
            service=definition,
            service_name=definition.title,
            service_url=self._service_path(definition),
            rows=rows,
            fee=fee,
            csrf_token=token,
            back_url=f"{self._service_path(definition)}/{pages[-1].id}" if pages else self._service_path(definition),
            errors=summary,  # errors from the API link to the page to change them on
        )

    def submit(self, request: Request, definition: ServiceDefinition) -> Reply:
        if (refused := self._check_csrf(request)) is not None:
            return refused
        draft, expired = self._load(request, definition)
        if expired:
            return self.expired(definition)
        if draft is None:
            return redirect(self._service_path(definition))
        if draft.submitted:  # a second click, or the back button: the request was sent once
            return redirect(f"{self._service_path(definition)}/confirmation")
        resume = self._resume_url(definition, draft)
        if not resume.endswith("/check-answers"):
            return redirect(resume)
        answers = forms.shown_answers(definition, draft.answers)
        result = self.ports.api.submit(
            definition.id, answers, idempotency_key=draft.id, correlation_id=request.correlation_id
        )
        if result.ok:
            draft.reference = str(result.body["reference"])
            draft.amount_due_pence = int(result.body.get("amount_due_pence", 0))
            self._save(draft)
            return redirect(f"{self._service_path(definition)}/confirmation")
        if result.status == 422 and result.body.get("errors"):
            return self.check_answers(request, definition, errors=result.body["errors"])
        if result.status == 409:
            return self._message(
                409,
                "We are still sending your request",
                ["Wait a few seconds, then check your request has been sent."],
                {"href": f"{self._service_path(definition)}/check-answers", "text": "Check your request"},
            )
        return self._message(
            503,
            "Sorry, there is a problem with the service",
            ["We could not send your request. Your answers are saved.", "Try again in a few minutes."],
            {"href": f"{self._service_path(definition)}/check-answers", "text": "Go back to your answers"},
        )

    def confirmation(self, request: Request, definition: ServiceDefinition) -> Reply:
        draft, expired = self._load(request, definition)
        if draft is None or not draft.submitted:
            return self.expired(definition) if expired else redirect(self._service_path(definition))
        amount = forms.format_pence(draft.amount_due_pence) if draft.amount_due_pence else ""
        return self._html(
            "confirmation.html",
            service=definition,
            service_name=definition.title,
            service_url=self._service_path(definition),
            reference=draft.reference,
            amount_due=amount,
        )

    # -- save and return ----------------------------------------------------------------------------------------
    def save_page(
        self,
        request: Request,
        definition: ServiceDefinition,
        errors: list[forms.FieldError] | None = None,
        typed: str | None = None,
    ) -> Reply:
        draft, stop = self._journey_draft(request, definition)
        if draft is None:
            return stop or self.not_found()
        token, cookies = self._csrf(request, definition, draft.id)
        sent = request.arg("sent") == "1" and draft.email is not None and errors is None
        return self._html(
            "save.html",
            400 if errors else 200,
            cookies,
            service=definition,
            service_name=definition.title,
            service_url=self._service_path(definition),
            csrf_token=token,
            email=typed if typed is not None else (draft.email or ""),
            sent_to=draft.email if sent else "",
            expires=draft.expiry_date(),
            continue_url=self._resume_url(definition, draft),
            back_url=self._resume_url(definition, draft),
            errors=[{"href": "email", "message": e["message"]} for e in errors or []],
            field_errors={e["field"]: e["message"] for e in errors or []},
        )

    def save(self, request: Request, definition: ServiceDefinition) -> Reply:
        if (refused := self._check_csrf(request)) is not None:
            return refused
        draft, stop = self._journey_draft(request, definition)
        if draft is None:
            return stop or self.not_found()
        typed = request.field("email").strip()
        email = normalise_email(typed) if typed else None
        if email is None:
            message = EMAIL_MESSAGE if typed else "Enter your email address"
            return self.save_page(request, definition, [{"field": "email", "message": message}], typed)
        draft.email = email
        draft.return_path = f"{self._service_path(definition)}/return/{draft.id}.{security.return_token()}"
        self._save(draft)
        event = new_event(
            EventType.DRAFT_SAVED,
            source="web",
            correlation_id=request.correlation_id,
            data={"draft_id": draft.id, "service_id": definition.id, "expires_at": draft.expires_at},
        )
        self.ports.publish(event)
        return redirect(f"{self._service_path(definition)}/save?sent=1")

    def come_back(self, request: Request, definition: ServiceDefinition, token: str) -> Reply:
        draft_id = token.split(".", 1)[0]
        draft = self.ports.drafts.get(draft_id) if security.is_draft_id(draft_id) else None
        path = f"{self._service_path(definition)}/return/{token}"
        if draft is None or draft.return_path is None or not hmac.compare_digest(draft.return_path, path):
            return self.expired(definition)
        if draft.expired(self.clock()) or draft.service_id != definition.id:
            return self.expired(definition)
        cookies = [self._cookie(request, definition, security.DRAFT_COOKIE, draft.id)]
        return redirect(self._resume_url(definition, draft), cookies=cookies)

    # -- bin collection reminders -------------------------------------------------------------------------------
    # Sign up, and the pages the emailed confirm and unsubscribe links open. A GET only ever shows a page (mail
    # scanners follow links); the change is a POST with a CSRF token, through the subscriptions API's own logic.
    def _reminders_route(self, request: Request, step: str) -> Reply:
        post = request.method == "POST"
        if step == "":
            return self.subscribe(request) if post else self.reminders_page(request)
        if step in ("confirm", "unsubscribe"):
            return self.change_reminders(request, step) if post else self.reminder_link_page(request, step)
        if step in ("requested", "confirmed", "unsubscribed"):
            return self._only_get(request) or self._reminders_done(step, request.arg("by"))
        return self.not_found()

    def _reminders_csrf(self, request: Request) -> tuple[str, list[str]]:
        current = request.cookies.get(security.CSRF_COOKIE, "")
        try:
            security.check_csrf(security.REMINDERS_CSRF_BINDING, current, current)
        except (security.CsrfMissing, security.CsrfInvalid):
            token = security.csrf_token(security.REMINDERS_CSRF_BINDING)
            cookie = security.cookie(
                security.CSRF_COOKIE,
                token,
                path=REMINDERS_PATH,
                secure=not request.is_local_http,
                max_age=security.REMINDERS_CSRF_SECONDS,
            )
            return token, [cookie]
        return current, []

    def _reminders_html(
        self, template: str, status: int = 200, cookies: list[str] | None = None, **context: Any
    ) -> Reply:
        return self._html(
            template, status, cookies, service_name=REMINDERS_TITLE, service_url=REMINDERS_PATH, **context
        )

    def reminders_page(
        self,
        request: Request,
        typed: dict[str, str] | None = None,
        errors: list[forms.FieldError] | None = None,
    ) -> Reply:
        token, cookies = self._reminders_csrf(request)
        return self._reminders_html(
            "reminders.html",
            400 if errors else 200,
            cookies,
            csrf_token=token,
            typed=typed or {},
            errors=[{"href": e["field"], "message": e["message"]} for e in errors or []],
            field_errors={e["field"]: e["message"] for e in errors or []},
        )

    def subscribe(self, request: Request) -> Reply:
        if (refused := self._check_csrf(request, security.REMINDERS_CSRF_BINDING)) is not None:
            return refused
        typed = {name: request.field(name).strip()[:100] for name in ("postcode", "how", "email", "phone")}
        postcode, contact, errors = _reminder_form(typed)
        if errors:
            return self.reminders_page(request, typed, errors)
        result = self.ports.api.reminders(
            "subscriptions", {"postcode": postcode, "contact": contact}, correlation_id=request.correlation_id
        )
        if result.ok:
            return redirect(with_query(f"{REMINDERS_PATH}/requested", by=typed["how"]))
        if result.status == 422 and result.body.get("errors"):
            fields = {"postcode": "postcode", "contact.email": "email", "contact.phone": "phone"}
            for error in result.body["errors"]:
                field = fields.get(str(error.get("field")), "how")
                message = "Enter a postcode in the borough" if field == "postcode" else str(error.get("message"))
                errors.append({"field": field, "message": message})
            return self.reminders_page(request, typed, errors)
        return self._message(503, "Sorry, there is a problem with the service", ["Try again in a few minutes."])

    def reminder_link_page(self, request: Request, action: str) -> Reply:
        token = request.arg("token")
        if not REMINDER_LINK_TOKEN.match(token):
            return self._reminder_link_refused(400)
        csrf, cookies = self._reminders_csrf(request)
        return self._reminders_html("reminder_link.html", 200, cookies, action=action, token=token, csrf_token=csrf)

    def change_reminders(self, request: Request, action: str) -> Reply:
        if (refused := self._check_csrf(request, security.REMINDERS_CSRF_BINDING)) is not None:
            return refused
        token = request.field("token")
        if not REMINDER_LINK_TOKEN.match(token):
            return self._reminder_link_refused(400)
        result = self.ports.api.reminders(
            "confirm" if action == "confirm" else "unsubscribe", {"token": token}, correlation_id=request.correlation_id
        )
        if result.ok:
            return redirect(f"{REMINDERS_PATH}/{'confirmed' if action == 'confirm' else 'unsubscribed'}")
        if result.status == 400:
            return self._reminder_link_refused(410)
        return self._message(503, "Sorry, there is a problem with the service", ["Try again in a few minutes."])

    def _reminder_link_refused(self, status: int) -> Reply:
        return self._reminders_html(
            "message.html",
            status,
            heading="This link has expired or has already been used",
            lines=[
                "Links to confirm reminders work for 7 days. Links to stop reminders work for 90 days. Each link "
                "works once.",
                "If you still want reminders, ask for them again. Every reminder has a new link to stop them.",
            ],
            link={"href": REMINDERS_PATH, "text": "Get bin collection reminders"},
        )

    def _reminders_done(self, step: str, by: str) -> Reply:
        if step == "requested":
            where = "text message" if by == "sms" else "email"
            heading = f"Check your {'phone' if by == 'sms' else 'email'}"
            lines = [
                f"We have sent you a {where} with a link to confirm your reminders. The link works for 7 days.",
                "You will not get reminders until you confirm. If you already get reminders for this postcode, you "
                "will not get another message.",
            ]
        elif step == "confirmed":
            heading = "Your bin collection reminders are set up"
            lines = [
                "We will remind you the evening before your bins are collected.",
                "Every reminder has a link to stop them.",
            ]
        else:
            heading = "You will not get any more bin collection reminders"
            lines = ["We will delete your details within 30 days."]
        return self._reminders_html(
            "message.html", heading=heading, lines=lines, link={"href": "/", "text": "Go to all services"}
        )

    # -- track your request -------------------------------------------------------------------------------------
    def track(self, request: Request) -> Reply:
        typed = request.arg("reference").strip()[:40]
        if "reference" not in request.query:
            return self._html("track.html", reference="", result=None, errors=[], field_errors={})
        reference = normalise_reference(typed) if typed else None
        message = None
        result = None
        if not typed:
            message = "Enter your reference number"
        elif reference is None:
            message = "Enter your reference number exactly as it is shown in your email or text message, like HF7K-3XA9"
        else:
            found = self.ports.api.track(reference, correlation_id=request.correlation_id)
            if found.status == 404:
                message = "We cannot find a request with that reference number. Check it and try again"
            elif not found.ok:
                return self._message(503, "Sorry, there is a problem with the service", ["Try again in a few minutes."])
            else:
                result = _tracked(found.body)
        errors = [{"href": "reference", "message": message}] if message else []
        return self._html(
            "track.html",
            400 if message else 200,
            reference=typed,
            result=result,
            errors=errors,
            field_errors={"reference": message} if message else {},
        )


def _same_page_parent(question: Question, own: Mapping[str, Question]) -> tuple[str, str] | None:
    """(parent question id, option) when this question is shown by one choice of a choice question on its page."""
    conditions = question.show_if or ()
    if len(conditions) != 1:
        return None
    condition = conditions[0]
    parent = own.get(condition.question)
    if parent is None or parent.type not in ("radios", "yes-no", "checkboxes"):
        return None
    values = condition.values()
    if condition.not_ is not None or len(values) != 1:
        return None
    return parent.id, values[0]


def display_value(question: Question, value: Any) -> Any:
    """A clean answer back in the shape its form fields show (the same shape `forms.form_to_raw` reads)."""
    if value is None:
        return None
    match question.type:
        case "date":
            day = date.fromisoformat(value)
            return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}
        case "uk-phone":
            return forms.display_phone(value)
        case "number":
            return str(value)
        case "contact":
            shown = dict(value)
            if shown.get("phone"):
                shown["phone"] = forms.display_phone(shown["phone"])
            return shown
        case "location":
            return {k: str(v) for k, v in value.items()}
    return value


def _tracked(body: dict[str, Any]) -> dict[str, Any]:
    def when(stamp: str) -> str:
        try:
            moment = _parse_time(stamp)
        except ValueError:
            return stamp
        return f"{moment.day} {moment:%B %Y} at {moment:%-I:%M%p}".replace("AM", "am").replace("PM", "pm")

    expected = body.get("expected_by")
    if expected:
        try:
            day = date.fromisoformat(expected)
            expected = f"{day.day} {day:%B %Y}"
        except ValueError:
            pass
    return {
        **body,
        "submitted": when(str(body.get("submitted_at", ""))),
        "expected_by": expected,
        "history": [{**h, "at": when(str(h.get("at", "")))} for h in body.get("history", [])],
    }


def _parse_time(stamp: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(stamp).astimezone(forms.LONDON)


def _utc(epoch: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC)


def _query(**params: str) -> str:
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())


def _reminder_form(typed: dict[str, str]) -> tuple[str, dict[str, str], list[forms.FieldError]]:
    """(postcode, contact for the subscriptions API, errors) from the sign-up form's fields."""
    errors: list[forms.FieldError] = []
    postcode = normalise_postcode(typed["postcode"]) if typed["postcode"] else None
    if not typed["postcode"]:
        errors.append({"field": "postcode", "message": "Enter your postcode"})
    elif postcode is None:
        errors.append({"field": "postcode", "message": "Enter a full UK postcode, like ME15 6JQ"})
    contact: dict[str, str] = {}
    if typed["how"] == "email":
        email = normalise_email(typed["email"]) if typed["email"] else None
        if email is None:
            errors.append(
                {"field": "email", "message": EMAIL_MESSAGE if typed["email"] else "Enter your email address"}
            )
        else:
            contact = {"email": email, "preference": "email"}
    elif typed["how"] == "sms":
        phone = normalise_uk_phone(typed["phone"]) if typed["phone"] else None
        if phone is None or not is_uk_mobile(phone):
            errors.append(
                {"field": "phone", "message": MOBILE_MESSAGE if typed["phone"] else "Enter your mobile phone number"}
            )
        else:
            contact = {"phone": phone, "preference": "sms"}
    else:
        errors.append({"field": "how", "message": "Select how you would like to get reminders"})
    return postcode or "", contact, errors
