"""Renewing a subscription from a reminder's link (garden waste): tell us once.

`GET /services/<service>/renew/<token>` asks the renewals links function (named `<prefix>-RenewalLinks`, invoked
directly; renewals/links.py checks the token's signature and expiry, and that the subscription is not renewed yet)
for the previous request's answers. They become a new draft, every page of it answered, in a new draft cookie,
and the resident is sent to check your answers: they may change any answer there, then send and pay as usual.
The token goes into a cookie of its own (`renewal`, on the service's path, HttpOnly, bound to the draft's id);
once the request is sent, the web tells the renewals function which new request renews the subscription
(`begin`), before the resident goes to pay, so the payment's subscription starts at the old one's end
(renewals/logic.py).

A link that is invalid, expired, for a subscription renewed already, or whose request has gone says so and links to
the service's start page: the resident can still apply from the beginning.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from shared import forms
from shared.catalogue import ServiceDefinition
from shared.observability import logger
from web import security
from web.drafts import Draft
from web.http import Reply, Request, redirect
from web.site import Site, service_path

RENEWAL_COOKIE = "renewal"
TOKEN_MAX_LENGTH = 200
REASONS = {
    "expired": "This renewal link has expired.",
    "renewed": "This subscription has been renewed already.",
}


class RenewalsApi(Protocol):
    def call(self, payload: dict[str, Any]) -> dict[str, Any] | None: ...


class LambdaRenewals:
    """The renewals links function, invoked directly (it is not on the HTTP API); None when it failed."""

    def __init__(self, function_name: str) -> None:
        self._function = function_name

    def call(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        from shared import aws

        response = aws.client("lambda").invoke(FunctionName=self._function, Payload=json.dumps(payload).encode())
        answer = json.loads(response["Payload"].read() or b"{}")
        return answer if not response.get("FunctionError") and isinstance(answer, dict) else None


def _token_shaped(token: str) -> bool:
    return 0 < len(token) <= TOKEN_MAX_LENGTH and all(c.isalnum() or c in "-_." for c in token)


class RenewalPages:
    def __init__(self, site: Site, renewals: RenewalsApi | None) -> None:
        self.site = site
        self.renewals = renewals

    def open(self, request: Request, definition: ServiceDefinition, token: str) -> Reply:
        """The reminder's link: a draft pre-filled from the previous request, at check your answers."""
        if definition.subscription is None or not _token_shaped(token):
            return self.site.not_found()
        if self.renewals is None:
            return self.site.unavailable()
        answer = self.renewals.call({"action": "open", "token": token})
        if answer is None or "renewal" not in answer:
            return self.site.unavailable()
        renewal = answer["renewal"]
        if not renewal or renewal.get("service_id") != definition.id:
            reason = REASONS.get(str(answer.get("reason")), "This renewal link does not work.")
            return self.site.message(
                410,
                "You cannot renew with this link",
                [reason, "You can still apply from the start."],
                {"href": service_path(definition), "text": f"Start: {definition.title}"},
            )
        answers = forms.shown_answers(definition, dict(renewal.get("answers") or {}))
        draft = Draft(id=security.new_draft_id(), service_id=definition.id, answers=answers)
        draft.completed = [page.id for page in forms.visible_pages(definition, answers)]
        self.site.save(draft)
        cookies = [
            self.site.cookie(request, definition, security.DRAFT_COOKIE, draft.id),
            # Bound to this draft: another application of the service later is not taken for a renewal.
            self.site.cookie(request, definition, RENEWAL_COOKIE, f"{draft.id}~{token}"),
        ]
        return redirect(self.site.resume_url(definition, draft), cookies=cookies)

    def sent(self, request: Request, definition: ServiceDefinition, reference: str) -> None:
        """The request `reference` was sent: if it came from a renewal link, it renews that subscription."""
        draft_id, _, token = request.cookies.get(RENEWAL_COOKIE, "").partition("~")
        if definition.subscription is None or self.renewals is None:
            return
        if not _token_shaped(token) or draft_id != self.site.draft_id(request):
            return
        answer = self.renewals.call({"action": "begin", "token": token, "reference": reference})
        if not answer or not answer.get("begun"):
            # The request is sent; its payment starts a subscription from the day it is paid, not the old end.
            logger.warning(
                "Renewal not begun", extra={"reference": reference, "reason": str((answer or {}).get("reason"))}
            )
