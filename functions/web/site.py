"""What every page of the resident web shares: its ports, rendering, drafts in cookies, CSRF and where a journey is.

Plain Python behind small ports (drafts, the API, uploads, the event publisher, addresses), so unit tests run the
pages with in-memory fakes and the handler wires the AWS adapters. Each journey's pages (start.py, questions.py,
file_pages.py, submission.py, save_return.py, reminder_pages.py, tracking.py) take one `Site`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from aws_lambda_powertools.shared.cookies import Cookie

from shared import forms
from shared.catalogue import ServiceDefinition, load_catalogue
from shared.events import EventEnvelope
from web import security
from web.address_flow import AddressFlow
from web.addresses import AddressLookup
from web.api import Api
from web.drafts import Draft, DraftStore
from web.http import Reply, Request, redirect
from web.payments_api import PaymentsApi
from web.permits_api import PermitsApi
from web.render import render
from web.uploads import Uploads

# Steps of a service that are not question pages (routes.py routes each; a page may not have one of these ids).
RESERVED_STEPS = frozenset({"begin", "restart", "check-answers", "confirmation", "save", "return"})
TRY_AGAIN_LATER = ["Try again in a few minutes."]


@dataclass(frozen=True)
class Ports:
    drafts: DraftStore
    api: Api
    uploads: Uploads | None
    publish: Callable[[EventEnvelope], object]
    addresses: AddressLookup | None = None  # None: addresses are typed in (no OS Places key)
    payments: PaymentsApi | None = None  # None: fee services cannot be paid online (the pages say try later)
    permits: PermitsApi | None = None  # None: no parking permit applications (the permit pages say try later)


def service_path(definition: ServiceDefinition) -> str:
    return f"/services/{definition.id}"


def has_page(definition: ServiceDefinition, page_id: str) -> bool:
    return page_id not in RESERVED_STEPS and any(p.id == page_id for p in definition.pages)


class Site:
    """One per container: the ports, the council's name, the catalogue and the clock every page uses."""

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

    def today(self) -> date:
        return forms.today(datetime.fromtimestamp(self.clock(), UTC))

    # -- rendering ----------------------------------------------------------------------------------------------
    def html(self, template: str, status: int = 200, cookies: list[Cookie] | None = None, **context: Any) -> Reply:
        body = render(template, council=self.council, **context)
        return Reply(status=status, body=body, cookies=cookies or [])

    @staticmethod
    def service_context(definition: ServiceDefinition) -> dict[str, Any]:
        """What the layout of a service's pages needs: the service, its name and where it starts."""
        return {"service": definition, "service_name": definition.title, "service_url": service_path(definition)}

    def message(
        self,
        status: int,
        heading: str,
        lines: list[str],
        link: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        reply = self.html("message.html", status, heading=heading, lines=lines, link=link)
        reply.headers.update(headers or {})
        return reply

    def not_found(self) -> Reply:
        return self.message(
            404,
            "Page not found",
            [
                "If you typed the web address, check it is correct.",
                "If you pasted the web address, check you copied the entire address.",
            ],
            {"href": "/", "text": "Find a council service"},
        )

    def method_not_allowed(self, allow: str) -> Reply:
        return self.message(405, "Method not allowed", ["This page cannot do that."], headers={"allow": allow})

    def unavailable(self, lines: list[str] | None = None, link: dict[str, str] | None = None) -> Reply:
        return self.message(503, "Sorry, there is a problem with the service", lines or TRY_AGAIN_LATER, link)

    def expired(self, definition: ServiceDefinition) -> Reply:
        return self.message(
            410,
            "Your answers have expired",
            [
                "We keep unsent answers for 28 days after you last saved them. We have deleted yours.",
                "You will need to start again.",
            ],
            {"href": f"{service_path(definition)}/begin", "text": f"Start {definition.title.lower()} again"},
        )

    # -- drafts and cookies -------------------------------------------------------------------------------------
    @staticmethod
    def cookie(request: Request, definition: ServiceDefinition, name: str, value: str) -> Cookie:
        return security.cookie(name, value, path=service_path(definition), secure=not request.is_local_http)

    @staticmethod
    def draft_id(request: Request) -> str | None:
        value = request.cookies.get(security.DRAFT_COOKIE, "")
        return value if security.is_draft_id(value) else None

    def load(self, request: Request, definition: ServiceDefinition) -> tuple[Draft | None, bool]:
        """(the draft in the cookie, whether the cookie named a draft that no longer exists or has expired)."""
        draft_id = self.draft_id(request)
        if draft_id is None:
            return None, False
        draft = self.ports.drafts.get(draft_id)
        if draft is not None and draft.service_id != definition.id:
            return None, False  # another service's draft (cookies are scoped by path, so only if tampered with)
        if draft is None or draft.expired(self.clock()):
            return None, True
        return draft, False

    def journey_draft(self, request: Request, definition: ServiceDefinition) -> tuple[Draft | None, Reply | None]:
        """The draft a question, check or save page works on; otherwise the reply that sends the resident on."""
        draft, expired = self.load(request, definition)
        if expired:
            return None, self.expired(definition)
        if draft is None:
            return None, redirect(service_path(definition))
        if draft.submitted:
            return None, redirect(f"{service_path(definition)}/confirmation")
        return draft, None

    def new_draft(self, request: Request, definition: ServiceDefinition) -> tuple[Draft, list[Cookie]]:
        draft = Draft(id=security.new_draft_id(), service_id=definition.id)
        draft.touch(self.clock())
        self.ports.drafts.put(draft)
        return draft, [self.cookie(request, definition, security.DRAFT_COOKIE, draft.id)]

    def save(self, draft: Draft) -> None:
        draft.touch(self.clock())
        self.ports.drafts.put(draft)
        if draft.email:
            self.ports.drafts.put_reminders(draft)
        if draft.save_id:  # the pointer expires (TTL) with the draft, so it moves on with each save
            self.ports.drafts.point_to(draft)

    # -- CSRF ---------------------------------------------------------------------------------------------------
    def csrf(self, request: Request, definition: ServiceDefinition, draft_id: str) -> tuple[str, list[Cookie]]:
        """A token for this page's forms: the cookie's if it belongs to this draft, otherwise a new one."""
        current = request.cookies.get(security.CSRF_COOKIE, "")
        try:
            security.check_csrf(draft_id, current, current)
        except (security.CsrfMissing, security.CsrfInvalid):
            token = security.csrf_token(draft_id)
            return token, [self.cookie(request, definition, security.CSRF_COOKIE, token)]
        return current, []

    def refused_csrf(self, request: Request, bound_to: str | None = None) -> Reply | None:
        """None if the form's token matches the cookie's and is signed for the cookie's draft (or `bound_to`);
        otherwise the page that says the form was not sent."""
        try:
            security.check_csrf(
                bound_to or self.draft_id(request),
                request.field(security.CSRF_FIELD),
                request.cookies.get(security.CSRF_COOKIE, ""),
            )
        except security.CsrfMissing:
            return self.message(
                400,
                "Sorry, we could not read your form",
                [
                    "Your form was missing a security code, so we did not save it.",
                    "Go back, reload the page and try again.",
                ],
                {"href": "/", "text": "Go to all services"},
            )
        except security.CsrfInvalid:
            return self.message(
                403,
                "Sorry, your form could not be sent",
                [
                    "Your form's security code did not match, so we did not save it.",
                    "Go back, reload the page and try again.",
                ],
                {"href": "/", "text": "Go to all services"},
            )
        return None

    # -- where a journey is -------------------------------------------------------------------------------------
    @staticmethod
    def resume_url(definition: ServiceDefinition, draft: Draft) -> str:
        if draft.submitted:
            return f"{service_path(definition)}/confirmation"
        for page in forms.visible_pages(definition, draft.answers):
            if page.id not in draft.completed:
                return f"{service_path(definition)}/{page.id}"
        return f"{service_path(definition)}/check-answers"

    @staticmethod
    def back_url(definition: ServiceDefinition, draft: Draft, page_id: str, change: bool) -> str:
        if change:
            return f"{service_path(definition)}/check-answers"
        previous = forms.previous_page(definition, draft.answers, page_id)
        return f"{service_path(definition)}/{previous.id}" if previous else service_path(definition)

    def next_url(self, definition: ServiceDefinition, draft: Draft, page_id: str, change: bool) -> str:
        if change:  # back to check your answers, unless the change opened a page not yet answered
            return self.resume_url(definition, draft)
        following = forms.next_page(definition, draft.answers, after=page_id)
        if following is None:
            return f"{service_path(definition)}/check-answers"
        return f"{service_path(definition)}/{following.id}"

    def complete(self, definition: ServiceDefinition, draft: Draft, page_id: str, change: bool) -> Reply:
        """A page answered: mark it done, save, and go on to the next step."""
        if page_id not in draft.completed:
            draft.completed.append(page_id)
        self.save(draft)
        return redirect(self.next_url(definition, draft, page_id, change))
