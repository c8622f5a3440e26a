"""Save and come back later: the resident gives an email address, is sent a link, and the link reopens the draft
under a new id (web/return_links.py says how the link is made and why it works once)."""

from __future__ import annotations

from shared import forms
from shared.catalogue import ServiceDefinition
from shared.contact import EMAIL_MESSAGE, normalise_email
from shared.events import EventType, new_event
from web import security
from web.http import Reply, Request, redirect
from web.return_links import open_link
from web.site import Site, service_path


class SaveAndReturnPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    def save_page(
        self,
        request: Request,
        definition: ServiceDefinition,
        errors: list[forms.FieldError] | None = None,
        typed: str | None = None,
    ) -> Reply:
        draft, stop = self.site.journey_draft(request, definition)
        if draft is None:
            return stop or self.site.not_found()
        token, cookies = self.site.csrf(request, definition, draft.id)
        sent = request.arg("sent") == "1" and draft.email is not None and errors is None
        return self.site.html(
            "save.html",
            400 if errors else 200,
            cookies,
            **self.site.service_context(definition),
            csrf_token=token,
            email=typed if typed is not None else (draft.email or ""),
            sent_to=draft.email if sent else "",
            expires=draft.expiry_date(),
            continue_url=self.site.resume_url(definition, draft),
            back_url=self.site.resume_url(definition, draft),
            errors=[{"href": "email", "message": e["message"]} for e in errors or []],
            field_errors={e["field"]: e["message"] for e in errors or []},
        )

    def save(self, request: Request, definition: ServiceDefinition) -> Reply:
        """(POST, CSRF checked by the route) Keep the email address and announce the save (`draft-saved`)."""
        draft, stop = self.site.journey_draft(request, definition)
        if draft is None:
            return stop or self.site.not_found()
        typed = request.field("email").strip()
        email = normalise_email(typed) if typed else None
        if email is None:
            message = EMAIL_MESSAGE if typed else "Enter your email address"
            return self.save_page(request, definition, [{"field": "email", "message": message}], typed)
        draft.email = email
        draft.save_id = draft.save_id or security.new_save_id()
        self.site.save(draft)
        event = new_event(
            EventType.DRAFT_SAVED,
            source="web",
            correlation_id=request.correlation_id,
            data={"save_id": draft.save_id, "service_id": definition.id, "expires_at": draft.expires_at},
        )
        self.site.ports.publish(event)
        return redirect(f"{service_path(definition)}/save?sent=1")

    def come_back(self, request: Request, definition: ServiceDefinition, token: str) -> Reply:
        """The emailed link: the answers under a new draft id, in a new cookie; the link and the old id are dead."""
        draft = open_link(self.site.ports.drafts, token, service_id=definition.id, now=self.site.clock())
        if draft is None:
            return self.site.expired(definition)
        self.site.save(draft)  # the resident is back: 28 more days, and reminders for the new id
        cookies = [self.site.cookie(request, definition, security.DRAFT_COOKIE, draft.id)]
        return redirect(self.site.resume_url(definition, draft), cookies=cookies)
