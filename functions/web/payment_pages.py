"""Paying for a request: off to GOV.UK Pay after "Send", back from it, and the pages for each outcome.

- After "Accept and send" on a fee service the resident is sent (303) to Pay's card page. A second click, a second
  tab or "Pay" on the confirmation page asks the payments service again, which gives the same attempt while its
  card page is unopened: one attempt, one payment.
- Pay sends the resident back to `/services/<service>/payment/<token>` (an opaque token of the attempt). The page
  shows what Pay says now: paid (on to the confirmation, which shows the amount paid), not paid (failed,
  cancelled, expired: "Try again" makes a new attempt; the answers are kept in the request), or not finished yet.
- When GOV.UK Pay is too busy to make the payment at once (its rate limit), the payments service queues the create
  and the resident is sent to `/services/<service>/setting-up-payment`: "We are setting up your payment", a page that
  refreshes itself (a meta refresh) and goes on to Pay's card page once the payment is made, or says it could not
  be set up, with "Try again".
- Everything is a link or a form: nothing needs JavaScript.
"""

from __future__ import annotations

from shared.catalogue import ServiceDefinition
from web.answers import format_pence
from web.http import Reply, Request, redirect
from web.site import Site, service_path

# What each of Pay's finished-but-unpaid outcomes means to the resident (Pay's state codes).
NOT_PAID = {
    "P0010": "Your payment was declined. No money has been taken.",
    "P0020": "Your payment timed out. No money has been taken.",
    "P0030": "You cancelled your payment. No money has been taken.",
    "P0040": "Your payment was cancelled. No money has been taken.",
    "P0050": "There was a problem with the payment service. No money has been taken.",
}
UNPAID_LINE = "Your request has not been sent to the council yet: we deal with it once you have paid."
NOT_SET_UP = "We could not set up your payment with GOV.UK Pay. No money has been taken."
SETTING_UP = ("queued", "creating")  # the payments service has yet to hear from Pay (payments.creator)
SETTING_UP_REFRESH_SECONDS = 3  # the setting-up page asks again this often (a meta refresh: no JavaScript needed)


class PaymentPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    def available(self) -> bool:
        return self.site.ports.payments is not None

    def go_to_pay(self, request: Request, definition: ServiceDefinition, reference: str) -> Reply:
        """Start (or resume) the payment for `reference` and send the browser to Pay's card page."""
        payments = self.site.ports.payments
        if payments is None:
            return self._try_later(definition)
        result = payments.start(reference, correlation_id=request.correlation_id)
        if not result.ok:
            return self._try_later(definition)
        outcome = result.body
        if outcome.get("next_url"):
            return redirect(str(outcome["next_url"]))
        if outcome.get("status") in ("paid", "not-payable", "success"):
            return redirect(f"{service_path(definition)}/confirmation")
        if outcome.get("status") in SETTING_UP:
            return redirect(f"{service_path(definition)}/setting-up-payment")
        return self._started_elsewhere(definition)

    def setting_up(self, request: Request, definition: ServiceDefinition) -> Reply:
        """(GET) While Pay is too busy to make the payment: wait (refreshing), then on to Pay's card page."""
        payments = self.site.ports.payments
        draft, expired = self.site.load(request, definition)
        if draft is None or not draft.submitted:
            return self.site.expired(definition) if expired else redirect(service_path(definition))
        if payments is None:
            return self._try_later(definition)
        result = payments.progress(str(draft.reference), correlation_id=request.correlation_id)
        if not result.ok:
            return self._try_later(definition)
        outcome = result.body
        status = outcome.get("status")
        if outcome.get("next_url"):
            return redirect(str(outcome["next_url"]))
        if status in ("paid", "not-payable", "success"):
            return redirect(f"{service_path(definition)}/confirmation")
        context = {
            **self.site.service_context(definition),
            "reference": outcome.get("reference", ""),
            "amount": format_pence(int(outcome.get("amount_pence", 0))),
        }
        if status in SETTING_UP:
            return self.site.html(
                "payment_setup.html",
                200,
                **context,
                refresh_seconds=SETTING_UP_REFRESH_SECONDS,
                unpaid_line=UNPAID_LINE,
                action=f"{service_path(definition)}/setting-up-payment",
            )
        if not outcome.get("finished"):
            return self._started_elsewhere(definition)
        token_value, cookies = self.site.csrf(request, definition, draft.id)
        return self.site.html(
            "payment.html",
            200,
            cookies,
            **context,
            heading="We could not set up your payment",
            lines=[NOT_PAID.get(str(outcome.get("code")), NOT_SET_UP), UNPAID_LINE],
            csrf_token=token_value,
            can_retry=True,
            button_text="Try again",
        )

    def _started_elsewhere(self, definition: ServiceDefinition) -> Reply:
        """Started in another window: its card page was opened, and Pay's link works once."""
        return self.site.message(
            409,
            "You have already started paying",
            [
                "Finish paying in the window where you started, or wait 90 minutes for that payment to time out "
                "and then try again. You will not be charged twice.",
                UNPAID_LINE,
            ],
            {"href": f"{service_path(definition)}/confirmation", "text": "Check whether your payment has gone through"},
        )

    def pay(self, request: Request, definition: ServiceDefinition) -> Reply:
        """(POST, CSRF checked by the route) "Pay" or "Try again" for the draft's request."""
        draft, expired = self.site.load(request, definition)
        if draft is None or not draft.submitted:
            return self.site.expired(definition) if expired else redirect(service_path(definition))
        return self.go_to_pay(request, definition, str(draft.reference))

    def back_from_pay(self, request: Request, definition: ServiceDefinition, token: str) -> Reply:
        """Pay's return URL: the outcome, read from Pay by the payments service (never from the browser)."""
        payments = self.site.ports.payments
        if payments is None:
            return self._try_later(definition)
        result = payments.on_return(token, correlation_id=request.correlation_id)
        if result.status == 404:
            return self.site.not_found()
        if not result.ok:
            return self._try_later(definition)
        outcome = result.body
        if outcome.get("status") == "success":
            # The request is received by now (the payments service resumed it before answering): the confirmation
            # says so, and a refresh there asks nothing of Pay.
            return redirect(f"{service_path(definition)}/confirmation")
        draft, _ = self.site.load(request, definition)
        token_value, cookies = (
            self.site.csrf(request, definition, draft.id) if draft is not None and draft.submitted else ("", [])
        )
        finished = bool(outcome.get("finished"))
        heading = "Your payment was not taken" if finished else "Your payment is not finished"
        lines = (
            [NOT_PAID.get(str(outcome.get("code")), "No money has been taken.")]
            if finished
            else ["We have not received your payment yet. If you paid, this page will show it in a few minutes."]
        )
        return self.site.html(
            "payment.html",
            200,
            cookies,
            **self.site.service_context(definition),
            heading=heading,
            lines=[*lines, UNPAID_LINE],
            reference=outcome.get("reference", ""),
            amount=format_pence(int(outcome.get("amount_pence", 0))),
            csrf_token=token_value,
            can_retry=finished and bool(token_value),
            button_text="Try again",
        )

    def _try_later(self, definition: ServiceDefinition) -> Reply:
        return self.site.unavailable(
            ["We could not take you to the payment page. No money has been taken.", UNPAID_LINE, "Try again later."],
            {"href": f"{service_path(definition)}/confirmation", "text": "Go back to your request"},
        )
