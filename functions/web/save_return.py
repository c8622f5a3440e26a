"""Save and come back later: the resident gives an email address, is sent a link, and the link reopens the draft."""

from __future__ import annotations

import hmac

from shared import forms
from shared.catalogue import ServiceDefinition
from shared.contact import EMAIL_MESSAGE, normalise_email
from shared.events import EventType, new_event
from web import security
from web.http import Reply, Request, redirect
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
        draft.return_path = f"{service_path(definition)}/return/{draft.id}.{security.return_token()}"
        self.site.save(draft)
        event = new_event(
            EventType.DRAFT_SAVED,
            source="web",
            correlation_id=request.correlation_id,
            data={"draft_id": draft.id, "service_id": definition.id, "expires_at": draft.expires_at},
        )
        self.site.ports.publish(event)
        return redirect(f"{service_path(definition)}/save?sent=1")

    def come_back(self, request: Request, definition: ServiceDefinition, token: str) -> Reply:
        draft_id = token.split(".", 1)[0]
        draft = self.site.ports.drafts.get(draft_id) if security.is_draft_id(draft_id) else None
        path = f"{service_path(definition)}/return/{token}"
        if draft is None or draft.return_path is None or not hmac.compare_digest(draft.return_path, path):
            return self.site.expired(definition)
        if draft.expired(self.site.clock()) or draft.service_id != definition.id:
            return self.site.expired(definition)
        cookies = [self.site.cookie(request, definition, security.DRAFT_COOKIE, draft.id)]
        return redirect(self.site.resume_url(definition, draft), cookies=cookies)
