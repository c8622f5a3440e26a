"""Managing an issued parking permit from the signed link in its email (`/permits/manage/<token>`), without an
account: the permit (mark, zone, dates, status), "Change vehicle", "Cancel", and "Renew" when the permits function's
`renewal` answers 200 (the renewal pages: web/permit_renewal_pages.py).

The web never reads the token: the permits function checks its signature and expiry (`manage`,
permits/manage_links.py) on every page and before every change, and answers the application it names; the change
is then asked for by that reference (`change-vehicle`, `cancel`: docs/permits.md). A bad, expired or unknown link is
a 404 page. The token is a bearer value: it is in the path only, never logged or kept in a cookie. Each form's
CSRF token is bound to the link (`security.csrf_token("manage:" + token)`) and checked before anything is asked.

- Change vehicle: the new mark (checked by the permits function's `check-vrm`: the GOV.UK error summary), then the
  function's answer: applied (with any refund), a difference to pay (paid through the payments service as an
  application is: Pay's return is `/services/parking-permit-change/payment/<token>`, which says whether it was
  paid; the issuer applies a paid change and the resident is emailed), or a refusal page saying why. DVLA being down
  (the function's 422 with `declare: true`) shows the declaration form (make, colour, fuel, CO2 and engine size:
  `permit_journey.check_declaration`, the applying pages' checks), posted to `/vehicle/declare` with the mark (signed
  for this link) and sent as `declared_vehicle`; the change is then priced from it and flagged for the parking team.
- A correction still to pay (`correction_due` in the `manage` answer: staff corrected declared details and the permit
  costs more, permits.corrections): the permit's page says so, with the reasons and a "Pay" button (the same `/pay`).
- Cancel: a confirmation page saying the refund rule (the whole months left, less the zone's admin fee), then the
  refund the function gave, with its reasons.
"""

from __future__ import annotations

import hashlib
from typing import Any

from shared.fees import format_pounds
from web import security
from web.http import Reply, Request, redirect
from web.permit_journey import FUELS, PERMITS_PATH, Errors, check_declaration
from web.permit_pages import PermitSite
from web.site import Site

MANAGE_PATH = f"{PERMITS_PATH}/manage"
CHANGE_SERVICE_ID = "parking-permit-change"  # permits' order for a dearer vehicle's difference
TOKEN_MAX_LENGTH = 200
PAY_PURPOSE = "manage-change"  # the change reference in the "Pay" form, signed for this link
DECLARE_PURPOSE = "manage-declare"  # the new mark in the declaration form, signed for this link
REFUSAL_HEADINGS = {
    "VrmAlreadyPermitted": "This vehicle already has a permit",
    "VehicleNotKnown": "We could not find this vehicle",
    "VehicleMarkedForExport": "This vehicle is marked for export",
    "SameVehicle": "This permit is already for this vehicle",
    "PermitNotChangeable": "This permit cannot be changed",
    "DeclarationNeeded": "We cannot check vehicles with DVLA just now",
}
UNCHANGED = "Your permit has not been changed."


def _token_shaped(token: str) -> bool:
    return 0 < len(token) <= TOKEN_MAX_LENGTH and all(c.isalnum() or c in "-_." for c in token)


def csrf_binding(token: str) -> str:
    """What a manage page's CSRF token is bound to: the link (hashed: the binding is signed, not stored)."""
    return "manage:" + hashlib.sha256(token.encode()).hexdigest()[:32]


class PermitManagePages:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.p = PermitSite(site)

    # -- shared -------------------------------------------------------------------------------------------------
    def _open(self, request: Request, token: str) -> dict[str, Any] | Reply:
        """The application the link names, or the page to answer instead (404 for a bad link)."""
        if not _token_shaped(token):
            return self._bad_link()
        if self.p.permits is None:
            return self.p.unavailable(["We cannot show your permit just now.", "Try again later."])
        found = self.p.permits.manage(token, correlation_id=request.correlation_id)
        if found.status == 404:
            return self._bad_link()
        if not found.ok:
            return self.p.unavailable(["We cannot show your permit just now.", "Try again later."])
        return dict(found.body)

    def _bad_link(self) -> Reply:
        return self.p.message(
            404,
            "This link does not work",
            ["The link may have expired, or it was not copied in full. Links in permit emails work until 30 days "
             "after the permit's last day.", "To change or cancel your permit, contact the parking team."],
            {"href": PERMITS_PATH, "text": "Go to parking permits"},
        )  # fmt: skip

    def _form(self, request: Request, token: str, template: str, status: int = 200, **context: Any) -> Reply:
        binding = csrf_binding(token)
        current = request.cookies.get(security.CSRF_COOKIE, "")
        cookies = []
        try:
            security.check_csrf(binding, current, current)
            csrf = current
        except (security.CsrfMissing, security.CsrfInvalid):
            csrf = security.csrf_token(binding)
            cookies = [self.p.cookie(request, security.CSRF_COOKIE, csrf)]
        base = f"{MANAGE_PATH}/{token}"
        return self.p.html(template, status, cookies, csrf_token=csrf, base=base, **context)

    def refused_csrf(self, request: Request, token: str) -> Reply | None:
        """(the route's check, before any POST here) None, or the page saying the form was not sent."""
        return self.site.refused_csrf(request, csrf_binding(token)) if _token_shaped(token) else self._bad_link()

    # -- the permit ---------------------------------------------------------------------------------------------
    def show(self, request: Request, token: str) -> Reply:
        opened = self._open(request, token)
        if isinstance(opened, Reply):
            return opened
        renewable = False
        if opened.get("status") == "issued":  # "Renew" only when the renewal can be made now
            renewable = self.p.permits.renewal(str(opened["reference"]), correlation_id=request.correlation_id).ok
        due = opened.get("correction_due") or {}
        correction: dict[str, Any] = {}
        if due.get("change_reference") and int(due.get("to_pay_pence") or 0) > 0:
            signed = security.signed_value(PAY_PURPOSE, f"{csrf_binding(token)}:{due['change_reference']}")
            correction = {**due, "to_pay": format_pounds(int(due["to_pay_pence"])), "signature": signed}
        return self._form(request, token, "permit_manage.html", step="show", permit=opened, renewable=renewable,
                          correction=correction)  # fmt: skip

    # -- change vehicle -----------------------------------------------------------------------------------------
    def vehicle_page(self, request: Request, token: str) -> Reply:
        opened = self._open(request, token)
        if isinstance(opened, Reply):
            return opened
        if opened.get("status") != "issued":
            return redirect(f"{MANAGE_PATH}/{token}")
        return self._form(request, token, "permit_manage.html", step="vehicle", permit=opened, values={}, error="")

    def change_vehicle(self, request: Request, token: str) -> Reply:
        opened = self._open(request, token)
        if isinstance(opened, Reply):
            return opened
        typed = request.field("vrm").strip()
        checked = self.p.permits.check_vrm(typed, correlation_id=request.correlation_id) if typed else None
        if checked is None or checked.status == 400:
            error = str(checked.body.get("detail")) if checked else "Enter the new vehicle's registration number"
            return self._form(
                request, token, "permit_manage.html", 400, step="vehicle", permit=opened, values={"vrm": typed},
                error=error,
            )  # fmt: skip
        if not checked.ok:
            return self.p.unavailable([UNCHANGED, "Try again later."])
        return self._changed(request, token, opened, str(checked.body["vrm"]), str(checked.body["display"]))

    def declare(self, request: Request, token: str) -> Reply:
        """(POST) The new vehicle's details declared while DVLA is down, for the mark the declaration page offered."""
        opened = self._open(request, token)
        if isinstance(opened, Reply):
            return opened
        vrm, display = request.field("vrm").strip(), request.field("vrm_display").strip()
        if not security.is_signed_value(
            DECLARE_PURPOSE, f"{csrf_binding(token)}:{vrm}", request.field("vrm_signature")
        ):
            return self._bad_link()  # only the mark this link's page asked about is declared here
        form = {k: request.field(k) for k in ("make", "colour", "fuel", "co2", "engine")}
        declared, errors = check_declaration(form)
        if declared is None:
            return self._declare_page(request, token, opened, vrm, display, form, errors)
        return self._changed(request, token, opened, vrm, display, declared)

    def _declare_page(
        self,
        request: Request,
        token: str,
        opened: dict[str, Any],
        vrm: str,
        display: str,
        values: dict[str, str],
        errors: Errors,
    ) -> Reply:
        signature = security.signed_value(DECLARE_PURPOSE, f"{csrf_binding(token)}:{vrm}")
        return self._form(
            request, token, "permit_manage.html", 400 if errors else 200, step="declare", permit=opened,
            values=values, errors=errors, field_errors={e["href"]: e["message"] for e in errors}, fuels=FUELS,
            vrm=vrm, vrm_display=display or vrm, vrm_signature=signature,
        )  # fmt: skip

    def _changed(
        self,
        request: Request,
        token: str,
        opened: dict[str, Any],
        vrm: str,
        display: str,
        declared: dict[str, Any] | None = None,
    ) -> Reply:
        """The permits function asked to change the vehicle (with the declaration, when there is one): its answer."""
        answer = self.p.permits.change_vehicle(
            str(opened["reference"]), vrm, correlation_id=request.correlation_id, declared_vehicle=declared
        )
        body = answer.body
        if answer.status == 422 and body.get("declare") and declared is None:  # DVLA is down: the resident declares
            return self._declare_page(request, token, opened, vrm, display, {}, [])
        if answer.status == 200:
            return self._form(request, token, "permit_manage.html", step="changed", permit=opened, change=body,
                              refund=_refund(body), declared=declared is not None)  # fmt: skip
        if answer.status == 202:
            to_pay = format_pounds(int(body.get("to_pay_pence") or 0))
            signed = security.signed_value(PAY_PURPOSE, f"{csrf_binding(token)}:{body.get('change_reference')}")
            return self._form(request, token, "permit_manage.html", step="to-pay", permit=opened, change=body,
                              to_pay=to_pay, change_signature=signed, declared=declared is not None)  # fmt: skip
        if answer.status in (400, 422):
            refusal = str(body.get("refusal") or "")
            heading = REFUSAL_HEADINGS.get(refusal, "We cannot change the vehicle on this permit")
            return self.p.message(
                200 if answer.status == 422 else 400,
                heading,
                [str(body.get("detail") or ""), UNCHANGED],
                {"href": f"{MANAGE_PATH}/{token}", "text": "Back to your permit"},
            )
        return self.p.unavailable([UNCHANGED, "Try again later."])

    def pay_change(self, request: Request, token: str) -> Reply:
        """(POST) Pay a dearer vehicle's difference: the payments service's attempt for the change's order."""
        opened = self._open(request, token)
        if isinstance(opened, Reply):
            return opened
        change_reference = request.field("change_reference").strip()
        signature = request.field("change_signature")
        given = security.is_signed_value(PAY_PURPOSE, f"{csrf_binding(token)}:{change_reference}", signature)
        if not given:  # only the change this link's page offered is paid here
            return self._bad_link()
        payments = self.site.ports.payments
        if not _token_shaped(change_reference) or payments is None:
            return self.p.unavailable(["We could not take you to the payment page. No money has been taken."])
        started = payments.start(change_reference, correlation_id=request.correlation_id)
        if started.ok and started.body.get("next_url"):
            return redirect(str(started.body["next_url"]))
        return self.p.message(
            409 if started.ok else 503,
            "We could not start the payment",
            ["It may be paid already, or started in another window. No money has been taken twice.", UNCHANGED
             if not started.ok else "If you paid, we will email you when the vehicle is changed."],
            {"href": f"{MANAGE_PATH}/{token}", "text": "Back to your permit"},
        )  # fmt: skip

    def back_from_pay(self, request: Request, pay_token: str) -> Reply:
        """Pay's return for a change's order: the payments service reads the outcome from Pay."""
        payments = self.site.ports.payments
        if payments is None:
            return self.p.unavailable(["We cannot check your payment just now.", "Try again later."])
        result = payments.on_return(pay_token, correlation_id=request.correlation_id)
        if result.status == 404:
            return self.site.not_found()
        if result.ok and result.body.get("status") == "success":
            return self.p.message(
                200,
                "Payment received",
                ["We are updating your permit now. If you paid to change its vehicle, we will email you when it is "
                 "done; until then the permit stays valid for the old vehicle."],
            )  # fmt: skip
        return self.p.message(
            200,
            "Your payment was not taken",
            [UNCHANGED, "Use the link in your permit email to try again."],
        )

    # -- cancel -------------------------------------------------------------------------------------------------
    def cancel_page(self, request: Request, token: str) -> Reply:
        opened = self._open(request, token)
        if isinstance(opened, Reply):
            return opened
        if opened.get("status") != "issued":
            return redirect(f"{MANAGE_PATH}/{token}")
        return self._form(request, token, "permit_manage.html", step="cancel", permit=opened)

    def cancel(self, request: Request, token: str) -> Reply:
        opened = self._open(request, token)
        if isinstance(opened, Reply):
            return opened
        answer = self.p.permits.cancel(str(opened["reference"]), correlation_id=request.correlation_id)
        if answer.status == 200:
            return self._form(request, token, "permit_manage.html", step="cancelled", permit=opened,
                              change=answer.body, refund=_refund(answer.body))  # fmt: skip
        if answer.status == 422:
            return self.p.message(
                200,
                REFUSAL_HEADINGS["PermitNotChangeable"],
                [str(answer.body.get("detail") or ""), "Your permit has not been cancelled."],
                {"href": f"{MANAGE_PATH}/{token}", "text": "Back to your permit"},
            )
        return self.p.unavailable(["Your permit has not been cancelled.", "Try again later."])


def _refund(body: dict[str, Any]) -> str:
    pence = int(body.get("refund_pence") or body.get("to_refund_pence") or 0)
    return format_pounds(pence) if pence > 0 else ""
