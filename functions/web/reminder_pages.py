"""Bin collection reminders: sign up, and the pages the emailed confirm and unsubscribe links open.

A GET only ever shows a page (mail scanners follow links); the change is a POST with a CSRF token, through the
subscriptions API's own logic. These pages have no draft: their CSRF tokens are signed for a fixed binding, in a
cookie scoped to /reminders.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.shared.cookies import Cookie

from shared import forms
from shared.contact import reminder_contact
from shared.location import normalise_postcode
from web import security
from web.api import Client
from web.http import Reply, Request, redirect, with_query
from web.site import Site

REMINDERS_PATH = "/reminders"
REMINDERS_TITLE = "Bin collection reminders"
REMINDER_LINK_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,400}\.[A-Za-z0-9_-]{1,100}$")  # notifications.reminders.sign
_FIELDS = {"email": "email", "phone": "phone"}  # a contact problem's part -> the form field; others: "how"
DONE_STEPS = ("requested", "confirmed", "unsubscribed")
LINK_ACTIONS = ("confirm", "unsubscribe")


class ReminderPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    def csrf(self, request: Request) -> tuple[str, list[Cookie]]:
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

    def _html(self, template: str, status: int = 200, cookies: list[Cookie] | None = None, **context: Any) -> Reply:
        return self.site.html(
            template, status, cookies, service_name=REMINDERS_TITLE, service_url=REMINDERS_PATH, **context
        )

    def sign_up_page(
        self,
        request: Request,
        typed: dict[str, str] | None = None,
        errors: list[forms.FieldError] | None = None,
    ) -> Reply:
        token, cookies = self.csrf(request)
        return self._html(
            "reminders.html",
            400 if errors else 200,
            cookies,
            csrf_token=token,
            typed=typed or {},
            errors=[{"href": e["field"], "message": e["message"]} for e in errors or []],
            field_errors={e["field"]: e["message"] for e in errors or []},
        )

    def subscribe(self, request: Request) -> Reply:
        """(POST, CSRF checked by the route) Ask the subscriptions API to send a confirmation."""
        typed = {name: request.field(name).strip()[:100] for name in ("postcode", "how", "email", "phone")}
        postcode, contact, errors = _reminder_form(typed)
        if errors:
            return self.sign_up_page(request, typed, errors)
        result = self.site.ports.api.reminders(
            "subscriptions",
            {"postcode": postcode, "contact": contact},
            correlation_id=request.correlation_id,
            client=Client(request.headers.get("x-forwarded-for", ""), request.source_ip),
        )
        if result.ok:
            return redirect(with_query(f"{REMINDERS_PATH}/requested", by=typed["how"]))
        if result.status == 422 and result.body.get("errors"):
            fields = {"postcode": "postcode", "contact.email": "email", "contact.phone": "phone"}
            for error in result.body["errors"]:
                field = fields.get(str(error.get("field")), "how")
                message = "Enter a postcode in the borough" if field == "postcode" else str(error.get("message"))
                errors.append({"field": field, "message": message})
            return self.sign_up_page(request, typed, errors)
        if result.status == 429:  # the subscriptions function's per-client limit
            return self.site.message(
                429,
                "You have asked for reminders too many times",
                ["We have not sent anything this time. Wait an hour, then try again."],
                {"href": REMINDERS_PATH, "text": "Get bin collection reminders"},
            )
        return self.site.unavailable()

    def link_page(self, request: Request, action: str) -> Reply:
        token = request.arg("token")
        if not REMINDER_LINK_TOKEN.match(token):
            return self._link_refused(400)
        csrf, cookies = self.csrf(request)
        return self._html("reminder_link.html", 200, cookies, action=action, token=token, csrf_token=csrf)

    def change(self, request: Request, action: str) -> Reply:
        """(POST, CSRF checked by the route) Confirm or stop reminders with the link's token."""
        token = request.field("token")
        if not REMINDER_LINK_TOKEN.match(token):
            return self._link_refused(400)
        result = self.site.ports.api.reminders(
            "confirm" if action == "confirm" else "unsubscribe", {"token": token}, correlation_id=request.correlation_id
        )
        if result.ok:
            return redirect(f"{REMINDERS_PATH}/{'confirmed' if action == 'confirm' else 'unsubscribed'}")
        if result.status == 400:
            return self._link_refused(410)
        return self.site.unavailable()

    def _link_refused(self, status: int) -> Reply:
        return self._html(
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

    def done(self, request: Request, step: str) -> Reply:
        by = request.arg("by")
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
        return self._html(
            "message.html", heading=heading, lines=lines, link={"href": "/", "text": "Go to all services"}
        )


def _reminder_form(typed: dict[str, str]) -> tuple[str, dict[str, str], list[forms.FieldError]]:
    """(postcode, contact for the subscriptions API, errors) from the sign-up form's fields."""
    errors: list[forms.FieldError] = []
    postcode = normalise_postcode(typed["postcode"]) if typed["postcode"] else None
    if not typed["postcode"]:
        errors.append({"field": "postcode", "message": "Enter your postcode"})
    elif postcode is None:
        errors.append({"field": "postcode", "message": "Enter a full UK postcode, like ME15 6JQ"})
    how = typed["how"]  # only the chosen channel's field counts (the other may still hold what was typed)
    contact, problems = reminder_contact(
        email=typed["email"] if how == "email" else "", phone=typed["phone"] if how == "sms" else "", preference=how
    )
    errors.extend({"field": _FIELDS.get(p.part, "how"), "message": p.message} for p in problems)
    return postcode or "", contact, errors
