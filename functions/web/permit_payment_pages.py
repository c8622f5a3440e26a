"""A parking permit application's check your answers, its price, paying, and what is true afterwards.

- Check your answers (`/permits/check-answers`): the answers with Change links and "Get your price", which makes
  the application (the permits function: every refusal before anything is stored). A refusal is its own page saying
  why, with the answer to change; DVLA down sends the resident to declare the vehicle's details; nothing is kept
  but the answers. Once made, the same page shows the answers, the price and "Why this price" (the function's
  reasons) and "Pay"; the answers are then fixed (a new application is "Start a new application"). A free permit
  (£0: no order, issued as it is priced) says "This permit is free" and offers "Get your permit" (the
  confirmation) instead of Pay.
- Pay (`POST /permits/pay`): the payments service's attempt for the application's reference (an order registered
  by the permits function, docs/decisions/0010), then Pay's card page. Pay sends the resident back to
  `/services/parking-permit/payment/<token>`, which has the payments service read the outcome from Pay and goes on
  to the confirmation.
- The confirmation (`/permits/confirmation`) says what is true now, from the application and then the payment:
  issued (a free one: "Price: Free", nothing paid); paid and being issued (with "Check again": no automatic
  refresh, which a screen reader user could not stop, WCAG 2.2.1); not paid, with "Try again"; not finished; being
  set up (it refreshes itself).
"""

from __future__ import annotations

from typing import Any

from web import permit_journey as journey
from web.http import Reply, Request, redirect
from web.payment_pages import NOT_PAID, SETTING_UP
from web.permit_journey import PERMITS_PATH
from web.permit_pages import PermitPages, PermitSite

CONFIRMATION = f"{PERMITS_PATH}/confirmation"
CHECK = f"{PERMITS_PATH}/check-answers"
REFRESH_SECONDS = 5  # the "setting up" page asks again this often (a meta refresh)
UNPAID = "You do not have a permit yet: it is issued once you have paid."


class PermitPaymentPages:
    def __init__(self, pages: PermitPages) -> None:
        self.pages = pages
        self.p: PermitSite = pages.p

    # -- check your answers, the price ---------------------------------------------------------------------------
    def check_answers(self, request: Request) -> Reply:
        draft, expired = self.p.load(request)
        if expired:
            return self.p.expired()
        if draft is None:
            return redirect(PERMITS_PATH)
        following = journey.next_step_url(draft.answers)
        if not draft.submitted and following != CHECK:
            return redirect(following)
        made = draft.answers.get("application") if draft.submitted else None
        if made is not None and self.p.permits is not None:
            now = self.p.permits.get(str(draft.reference), correlation_id=request.correlation_id)
            status = now.body.get("status") if now.ok else None
            if now.ok and status != "pending-payment" and not (status == "issued" and is_free(now.body)):
                return redirect(CONFIRMATION)  # issued (or paid and refused at issue): nothing to pay here
            if now.ok:
                made = now.body  # a free permit: issued when it was priced, "Get your permit" leads to it
        return self.p.form_page(
            request,
            draft,
            "permit_check.html",
            rows=journey.answer_rows(draft.answers, changeable=made is None),
            application=made,
            declared=bool(draft.answers.get("declared_vehicle")),
            back_url=journey.step_url("email") if made is None else PERMITS_PATH,
        )

    def get_price(self, request: Request) -> Reply:
        """(POST) Make the application: 201 keeps it and shows its price; a refusal says why, keeping nothing."""
        draft, expired = self.p.load(request)
        if expired:
            return self.p.expired()
        if draft is None:
            return redirect(PERMITS_PATH)
        if draft.submitted or journey.next_step_url(draft.answers) != CHECK:
            return redirect(CHECK if draft.submitted else journey.next_step_url(draft.answers))
        if self.p.permits is None:
            return self.p.unavailable()
        answer = self.p.permits.apply(journey.application(draft.answers), correlation_id=request.correlation_id)
        body = answer.body
        if answer.status == 201:
            draft.reference = str(body["reference"])
            draft.amount_due_pence = int(body.get("amount_pence", 0))
            draft.answers["application"] = body
            self.p.save(draft)
            return redirect(CHECK)
        if answer.status == 422 and body.get("declare"):
            draft.answers["declare"] = True
            self.p.save(draft)
            return redirect(journey.step_url("declare"))
        if answer.status == 422:
            return self._refused(str(body.get("refusal", "")), str(body.get("detail", "")))
        if answer.status == 400:
            return self.p.message(
                400,
                "Some of your answers could not be used",
                [str(body.get("detail", "")), "Nothing has been saved. Check your answers and try again."],
                {"href": CHECK, "text": "Check your answers"},
            )
        if answer.status == 503:  # the function's own answer: it stored nothing
            return self.p.unavailable([str(body.get("detail") or UNAVAILABLE_LINE), "Nothing has been saved."])
        # No answer in time (the invoke's budget: shared/aws.py): whether it stored an application is not known here,
        # but nothing is paid, and an application nobody pays for is never issued.
        return self.p.unavailable([UNAVAILABLE_LINE, "You have not been charged."])

    def _refused(self, refusal: str, detail: str) -> Reply:
        step = journey.REFUSAL_STEP.get(refusal)
        link = (
            {"href": journey.step_url(step, change=True), "text": journey.CHANGE_LINKS[step]}
            if step
            else {"href": "/", "text": "Go to all services"}
        )
        heading = journey.REFUSAL_HEADINGS.get(refusal, "We cannot issue this permit")
        return self.p.message(200, heading, [detail, "Nothing has been saved and you have not been charged."], link)

    # -- paying -------------------------------------------------------------------------------------------------
    def pay(self, request: Request) -> Reply:
        """(POST) "Pay" or "Try again": the attempt for the application's order, then Pay's card page."""
        draft, expired = self.p.load(request)
        if expired:
            return self.p.expired()
        if draft is None or not draft.submitted:
            return redirect(PERMITS_PATH)
        if is_free(draft.answers.get("application") or {}):
            return redirect(CONFIRMATION)  # nothing to pay (no order was registered): the permit was issued at once
        payments = self.p.site.ports.payments
        if payments is None:
            return self._cannot_pay()
        started = payments.start(str(draft.reference), correlation_id=request.correlation_id)
        if not started.ok:
            return self._cannot_pay()
        outcome = started.body
        if outcome.get("next_url"):
            return redirect(str(outcome["next_url"]))
        if outcome.get("status") in ("paid", "not-payable", "success", *SETTING_UP):
            return redirect(CONFIRMATION)
        return self.p.message(
            409,
            "You have already started paying",
            ["Finish paying in the window where you started, or wait 90 minutes for that payment to time out and "
             "then try again. You will not be charged twice.", UNPAID],
            {"href": CONFIRMATION, "text": "Check whether your payment has gone through"},
        )  # fmt: skip

    def back_from_pay(self, request: Request, token: str) -> Reply:
        """Pay's return URL: the payments service reads the outcome from Pay (never from the browser)."""
        payments = self.p.site.ports.payments
        if payments is None:
            return self._cannot_pay()
        result = payments.on_return(token, correlation_id=request.correlation_id)
        if result.status == 404:
            return self.p.site.not_found()
        if not result.ok:
            return self._cannot_pay()
        return redirect(CONFIRMATION)

    def _cannot_pay(self) -> Reply:
        return self.p.unavailable(
            ["We could not take you to the payment page. No money has been taken.", UNPAID, "Try again later."]
        )

    # -- what is true now ---------------------------------------------------------------------------------------
    def confirmation(self, request: Request) -> Reply:
        draft, expired = self.p.load(request)
        if expired:
            return self.p.expired()
        if draft is None or not draft.submitted:
            return redirect(PERMITS_PATH)
        reference = str(draft.reference)
        if self.p.permits is None:
            return self.p.unavailable(["We cannot show your application just now.", "Try again in a few minutes."])
        found = self.p.permits.get(reference, correlation_id=request.correlation_id)
        if not found.ok:
            return self.p.unavailable(["We cannot show your application just now.", "Try again in a few minutes."])
        application = found.body
        context: dict[str, Any] = {
            "reference": reference,
            "application": application,
            "email": draft.answers.get("email", ""),
        }
        status = application.get("status")
        if status == "issued":
            return self.p.form_page(request, draft, "permit_status.html", state="issued", **context)
        if status in ("paid-not-issued", "cancelled-unpaid", "cancelled", "paid-awaiting-evidence"):
            return self.p.form_page(request, draft, "permit_status.html", state=status, **context)
        return self._paying(request, draft, context)

    def _paying(self, request: Request, draft: Any, context: dict[str, Any]) -> Reply:
        """Not issued yet: where its payment stands, read from Pay by the payments service."""
        payments = self.p.site.ports.payments
        progress = payments.progress(context["reference"], correlation_id=request.correlation_id) if payments else None
        if progress is None or (not progress.ok and progress.status != 404):
            return self.p.unavailable(["We cannot check your payment just now.", "Try again in a few minutes."])
        state, lines = payment_state(progress.body if progress.ok else None)
        # Being issued takes a second or two (the permit journey's Issue state): "Check again", no meta refresh.
        refresh = REFRESH_SECONDS if state == "setting-up" else 0
        return self.p.form_page(
            request, draft, "permit_status.html", state=state, lines=lines, refresh_seconds=refresh, **context
        )


def is_free(application: dict[str, Any]) -> bool:
    """An application priced at £0: no order is registered and the permit is issued with no payment."""
    return application.get("amount_pence") == 0


def payment_state(outcome: dict[str, Any] | None) -> tuple[str, list[str]]:
    """What the payment's latest attempt means for an application not issued yet (None: no attempt yet)."""
    if outcome is None:
        return "unpaid", ["You have not paid yet.", UNPAID]
    status = outcome.get("status")
    if status == "success":
        return "issuing", [
            "We have received your payment. We are issuing your permit now.",
            "This takes a few seconds. Check again to see your permit.",
        ]
    if status in SETTING_UP:
        return "setting-up", ["We are setting up your payment with GOV.UK Pay. This page will update."]
    if outcome.get("finished"):
        return "not-paid", [NOT_PAID.get(str(outcome.get("code")), "Your payment was not taken."), UNPAID]
    waiting = "We have not received your payment yet. If you paid, this page will show it in a few minutes."
    return "not-finished", [waiting, UNPAID]


UNAVAILABLE_LINE = "We could not make your application just now. Please try again later."
