"""Check your answers, send the request through the API (once, whatever the clicks), and the confirmation."""

from __future__ import annotations

from collections.abc import Callable

from shared import forms
from shared.catalogue import ServiceDefinition
from web.answers import check_your_answers, fee_summary, format_pence
from web.http import Reply, Request, redirect
from web.payment_pages import UNPAID_LINE, PaymentPages
from web.site import Site, service_path


class SubmissionPages:
    def __init__(
        self,
        site: Site,
        payments: PaymentPages,
        on_sent: Callable[[Request, ServiceDefinition, str], None] | None = None,
    ) -> None:
        self.site = site
        self.payments = payments
        self.on_sent = on_sent  # a sent request renews a subscription (web/renewal_pages.py)

    def check_answers(
        self, request: Request, definition: ServiceDefinition, errors: list[forms.FieldError] | None = None
    ) -> Reply:
        draft, stop = self.site.journey_draft(request, definition)
        if draft is None:
            return stop or self.site.not_found()
        resume = self.site.resume_url(definition, draft)
        if not resume.endswith("/check-answers"):
            return redirect(resume)
        answers = forms.shown_answers(definition, draft.answers)
        rows = check_your_answers(definition, answers)
        try:
            fee = fee_summary(definition, answers)
        except ValueError:
            fee = None
        token, cookies = self.site.csrf(request, definition, draft.id)
        pages = forms.visible_pages(definition, answers)
        summary = []
        for error in errors or []:
            question_id = error["field"].split(".", 1)[0]
            row = next((r for r in rows if r.question_id == question_id), None)
            href = f"{service_path(definition)}/{row.page_id}?change=1" if row else "#main-content"
            summary.append({"href": href, "message": error["message"]})
        return self.site.html(
            "check.html",
            400 if errors else 200,
            cookies,
            **self.site.service_context(definition),
            rows=rows,
            fee=fee,
            csrf_token=token,
            back_url=f"{service_path(definition)}/{pages[-1].id}" if pages else service_path(definition),
            errors=summary,  # errors from the API link to the page to change them on
        )

    def submit(self, request: Request, definition: ServiceDefinition) -> Reply:
        """(POST, CSRF checked by the route) Send the answers; the draft id is the Idempotency-Key."""
        draft, expired = self.site.load(request, definition)
        if expired:
            return self.site.expired(definition)
        if draft is None:
            return redirect(service_path(definition))
        if draft.submitted:  # a second click, or the back button: the request was sent once
            return redirect(f"{service_path(definition)}/confirmation")
        resume = self.site.resume_url(definition, draft)
        if not resume.endswith("/check-answers"):
            return redirect(resume)
        answers = forms.shown_answers(definition, draft.answers)
        result = self.site.ports.api.submit(
            definition.id, answers, idempotency_key=draft.id, correlation_id=request.correlation_id
        )
        if result.ok:
            draft.reference = str(result.body["reference"])
            draft.amount_due_pence = int(result.body.get("amount_due_pence", 0))
            self.site.save(draft)
            if self.on_sent is not None:
                self.on_sent(request, definition, draft.reference)
            if draft.amount_due_pence > 0 and self.payments.available():  # off to GOV.UK Pay's card page
                return self.payments.go_to_pay(request, definition, draft.reference)
            return redirect(f"{service_path(definition)}/confirmation")
        if result.status == 422 and result.body.get("errors"):
            return self.check_answers(request, definition, errors=result.body["errors"])
        check = {"href": f"{service_path(definition)}/check-answers", "text": "Check your request"}
        if result.status == 409:
            return self.site.message(
                409,
                "We are still sending your request",
                ["Wait a few seconds, then check your request has been sent."],
                check,
            )
        lines = ["We could not send your request. Your answers are saved.", "Try again in a few minutes."]
        return self.site.unavailable(lines, {**check, "text": "Go back to your answers"})

    def confirmation(self, request: Request, definition: ServiceDefinition) -> Reply:
        draft, expired = self.site.load(request, definition)
        if draft is None or not draft.submitted:
            return self.site.expired(definition) if expired else redirect(service_path(definition))
        if draft.amount_due_pence <= 0:
            return self.site.html(
                "confirmation.html", **self.site.service_context(definition), reference=draft.reference
            )
        amount = format_pence(draft.amount_due_pence)
        tracked = self.site.ports.api.track(str(draft.reference), correlation_id=request.correlation_id)
        if tracked.ok and tracked.body.get("status") != "awaiting-payment":
            return self.site.html(
                "confirmation.html", **self.site.service_context(definition), reference=draft.reference, paid=amount
            )
        token, cookies = self.site.csrf(request, definition, draft.id)
        return self.site.html(
            "payment.html",
            200,
            cookies,
            **self.site.service_context(definition),
            heading=f"Pay {amount} to send your request",
            lines=[UNPAID_LINE, "You pay by card on GOV.UK Pay."],
            reference=draft.reference,
            amount=amount,
            csrf_token=token,
            can_retry=True,
            button_text=f"Pay {amount}",
        )
