"""Applying for a parking permit for a resident from the console (assisted digital, issue 12 item 8), and taking its
payment by phone (MOTO).

`GET /staff/permits/apply` and `POST /staff/permits/apply` (route permission `act-for-resident`; the view also needs
`manage-permits`: a permit staff make is one they answer for): the channel and why staff apply for the resident, the
address by its UPRN and postcode (find the UPRN first, e.g. with the permits search by postcode), the type, length,
registration mark and the resident's email, and, where the zone asks evidence of residency or keepership of the
type (permits.evidence), per kind either what staff saw (originals face to face, or a document emailed or posted:
recorded with the member of staff and counted as verified) with a short note, or that the resident will send it
(the application then waits for staff to check it, as the web's does). The permits service's applications function
(`PERMIT_APPLICATIONS_FUNCTION`, by name) checks and prices it as for the web and keeps the channel, reason and
staff member on the application (permits.assisted); its amount is registered with payments as an order. The page
then shows the price and why, and the card form; a permit priced at £0 (no order: payments takes none) is issued
at once by the permits service, and the page says so, with no card step.

`POST /staff/permits/apply/pay` and `/pay/status`: the payments service's MOTO function takes the order's amount
(payments' own record of it, never one sent from here) with the card details keyed, passed on once and never
stored, logged or put back on a page; its read back. A payment taken publishes `order-paid`, on which the permits
issuer issues the permit as for a web payment.

Audit (console/audit.py): `apply-permit-for-resident` under `permit-applications` before the service is asked
(channel and type, never the mark, address or email), then on the application's record `permit:<reference>` once
made (or `apply-permit-for-resident-refused` / `-failed`); `take-payment` and `check-payment` on that record before
MOTO is asked. An entry that cannot be written stops the step.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from console.app import Page, StaffRequest
from console.assisted_pages import CHANNELS, MAX_REASON_LENGTH, Submitted, clean_reason
from console.assisted_payments import CARD_FIELDS, PaymentJourney, PaymentTaker
from console.audit import AuditLog
from console.pages import Pages
from console.permissions import Permission, StaffMember
from console.permit_pages import NOT_CONNECTED, UNANSWERED, StaffPermitsService, record_of

APPLY_RECORD = "permit-applications"
APPLY = "apply-permit-for-resident"
KINDS = {"resident": "Resident", "business": "Business", "temporary": "Temporary vehicle (courtesy car)",
         "carer": "Carer (not tied to one vehicle: leave the mark blank)"}  # fmt: skip
MONTHS = ("3", "6", "12")
EVIDENCE_KINDS = {"residency": "Proof the resident lives at the address",
                  "keepership": "Proof the resident keeps the vehicle"}  # fmt: skip
EVIDENCE_CHOICES = {  # permits.evidence.staff_checked: per kind the zone asks, seen by staff or to follow
    "seen": "I have seen it: originals face to face, or a document emailed or posted to us",
    "later": "The resident will send a document: the permit is issued only once it is checked",
}
MAX_EVIDENCE_NOTE = 300  # permits.evidence.MAX_NOTE
EVIDENCE_FIELDS = tuple(f for kind in EVIDENCE_KINDS for f in (f"evidence_{kind}", f"evidence_{kind}_note"))
FIELDS = ("channel", "reason", "uprn", "postcode", "street", "kind", "months", "vrm", "email", *EVIDENCE_FIELDS)
# The permits service's 400 names the field it refuses by its JSON path: the form's field of the same thing.
_SERVICE_FIELDS = {
    "address.uprn": "uprn",
    "address.postcode": "postcode",
    "kind": "kind",
    "months": "months",
    "vrm": "vrm",
    "contact.email": "email",
    "assisted.reason": "reason",
    "assisted.channel": "channel",
}
PERMIT_PAYMENT = PaymentJourney(  # the request's card form and outcome pages, for a permit application
    caption="Permit application",
    noun="permit application",
    pay_action="/staff/permits/apply/pay",
    status_action="/staff/permits/apply/pay/status",
    paid_message="The permit is issued as soon as the payment reaches the permits service, and the resident is "
    "emailed when it is.",
    record_path="/staff/permits/",
    unpaid_message="The permit is issued once it is paid.",
    another_path="/staff/permits/apply",
    another_text="Apply for another permit for a resident",
)
_REFERENCE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")
NOT_PERMITTED = "You do not have permission to apply for a permit for a resident: it needs manage-permits too."
NO_DECLARING = (
    "DVLA cannot check the vehicle just now. Nothing was saved: try again later (declaring the vehicle's details "
    "for the resident is not yet possible in the console)."
)


class PermitApplyPages:
    def __init__(
        self, pages: Pages, audit: AuditLog, applications: StaffPermitsService | None, taker: PaymentTaker
    ) -> None:
        self.pages, self.audit, self.applications, self.taker = pages, audit, applications, taker

    # -- the application -------------------------------------------------------------------------------------------
    def permit_apply_form(self, request: StaffRequest) -> Page:
        return self._form(request, {})

    def permit_apply(self, request: StaffRequest) -> Page:
        staff = _staff(request)
        if not staff.may(Permission.MANAGE_PERMITS):
            return self.pages.refused(403, NOT_PERMITTED)
        typed = {name: request.form.get(name, "").strip()[:500] for name in FIELDS}
        typed["reason"] = clean_reason(typed["reason"])
        error = _first_error(typed)
        if error:
            return self._form(request, typed, status=400, error=error[1], error_field=error[0])
        if self.applications is None:
            return self._form(request, typed, status=503, failed=NOT_CONNECTED)
        details = {"channel": typed["channel"], "kind": typed["kind"]}
        if seen := _evidence_choices(typed):  # what staff record of the evidence (never their notes)
            details["evidence"] = seen
        self.audit.record(staff, APPLY, APPLY_RECORD, source_ip=request.source_ip, details=details)
        answer = self.applications({"action": "apply", "application": _application(typed, staff)})
        if answer.status == 201:
            reference = str(answer.body.get("reference", ""))
            self.audit.record(staff, APPLY, record_of(reference), source_ip=request.source_ip,
                              details={"channel": typed["channel"]})  # fmt: skip
            if answer.body.get("amount_pence") == 0:
                return self._free(request, reference, answer.body)  # no card by phone: issued at once
            return self._pay_page(request, reference, answer.body)
        failed = answer.status not in (400, 422)
        self.audit.record(staff, f"{APPLY}-{'failed' if failed else 'refused'}", APPLY_RECORD,
                          source_ip=request.source_ip)  # fmt: skip
        if failed:
            return self._form(request, typed, status=503, failed=UNANSWERED)
        detail = str(answer.body.get("detail", ""))
        if answer.body.get("declare"):
            return self._form(request, typed, status=422, error=NO_DECLARING, error_field="vrm")
        if detail.startswith("evidence"):  # the zone asks evidence the form did not give: the kind's own field
            return self._form(request, typed, status=400, error=_evidence_words(detail),
                              error_field=_evidence_field(detail))  # fmt: skip
        field = _SERVICE_FIELDS.get(detail.split(":", 1)[0], "vrm") if answer.status == 400 else "uprn"
        return self._form(request, typed, status=answer.status, error=detail, error_field=field)

    def _form(self, request: StaffRequest, typed: dict[str, str], status: int = 200, **context: Any) -> Page:
        return self.pages.render(
            "permit_apply.html", request, status=status, typed=typed, channels=CHANNELS, kinds=KINDS, months=MONTHS,
            evidence_kinds=EVIDENCE_KINDS, evidence_choices=EVIDENCE_CHOICES,
            available=self.applications is not None, may_manage=_staff(request).may(Permission.MANAGE_PERMITS),
            **context,
        )  # fmt: skip

    # -- the payment by phone ---------------------------------------------------------------------------------------
    def permit_apply_pay(self, request: StaffRequest) -> Page:
        reference = _reference(request)
        if not reference:
            return self._unreadable(request)
        card = {name: request.form.get(name, "") for name in CARD_FIELDS}
        self.audit.record(_staff(request), "take-payment", record_of(reference), source_ip=request.source_ip)
        return self._outcome(request, reference, self.taker.take(reference, card, correlation_id=str(uuid.uuid4())))

    def permit_apply_pay_status(self, request: StaffRequest) -> Page:
        reference = _reference(request)
        if not reference:
            return self._unreadable(request)
        self.audit.record(_staff(request), "check-payment", record_of(reference), source_ip=request.source_ip)
        return self._outcome(request, reference, self.taker.status(reference, correlation_id=str(uuid.uuid4())))

    def _outcome(self, request: StaffRequest, reference: str, answer: Submitted) -> Page:
        body = answer.body
        amount = int(body.get("amount_pence") or 0)
        if answer.status == 422 and body.get("errors"):
            return self._pay_page(request, reference, {"amount_pence": amount}, errors=body["errors"], status=400)
        if answer.status not in (200, 202):
            message = str(body.get("detail") or "The payment could not be taken.")
            return self._pay_page(request, reference, {"amount_pence": amount},
                                  errors=[{"field": "", "message": message}], status=answer.status)  # fmt: skip
        outcome = str(body.get("outcome", "in-progress"))
        if outcome in _TRY_AGAIN:
            field, message = _TRY_AGAIN[outcome]
            return self._pay_page(request, reference, {"amount_pence": amount},
                                  errors=[{"field": field, "message": message}])  # fmt: skip
        if outcome == "not-started":
            return self._pay_page(request, reference, {"amount_pence": amount})
        titles = {
            "paid": "Payment taken",
            "in-progress": "Taking the payment",
            "not-payable": "There is nothing to pay",
        }
        return self.pages.render(
            "assisted_paid.html", request, journey=PERMIT_PAYMENT, status=202 if outcome == "in-progress" else 200,
            title=titles.get(outcome, "The payment could not be taken"), outcome=outcome, reference=reference,
            amount_pence=amount,
        )  # fmt: skip

    def _pay_page(
        self, request: StaffRequest, reference: str, application: dict[str, Any], *,
        errors: list[dict[str, str]] | None = None, status: int = 200,
    ) -> Page:  # fmt: skip
        kept = {name: request.form.get(name, "") for name in ("expiry_date", "cardholder_name")} if errors else {}
        return self.pages.render(
            "assisted_pay.html", request, journey=PERMIT_PAYMENT, status=status, title="Take the payment by card",
            reference=reference,
            application=application, amount_pence=int(application.get("amount_pence") or 0), errors=errors or [],
            error_for={e["field"]: e["message"] for e in errors or []}, kept=kept,
            pay_action=PERMIT_PAYMENT.pay_action,
        )  # fmt: skip

    def _free(self, request: StaffRequest, reference: str, application: dict[str, Any]) -> Page:
        """A permit priced at £0: no order was registered and the permits service issued it at once."""
        issued = application.get("status") == "issued"
        message = (
            "This permit is free, so there is no payment to take. It has been issued, and the resident is emailed."
            if issued
            else "This permit is free, so there is no payment to take, but it could not be issued: another permit "
            "for the vehicle or household was issued first. Nothing was charged."
        )
        return self.pages.render(
            "message.html", request, title="Permit issued" if issued else "The permit could not be issued",
            message=message, back=f"{PERMIT_PAYMENT.record_path}{reference}", back_text="The permit application's page",
        )  # fmt: skip

    def _unreadable(self, request: StaffRequest) -> Page:
        message = "The form could not be read. Open the application from the permits search."
        return self.pages.render(
            "message.html", request, status=400, title="Sorry, there is a problem", message=message
        )


_TRY_AGAIN = {  # outcomes after which the card form is shown again: (the field it is about, the message)
    "declined": ("card_number", "The card was declined. No money was taken. Ask for another card, or try again."),
    "error": ("", "Something went wrong at the payment provider. No money was taken. Try again."),
}


def _first_error(typed: dict[str, str]) -> tuple[str, str] | None:
    """The first field to put right (the permits service checks everything again)."""
    checks = (
        ("channel", typed["channel"] in CHANNELS, "Select how the resident contacted us"),
        ("reason", bool(typed["reason"]), "Enter why you are applying for the resident"),
        ("reason", len(typed["reason"]) <= MAX_REASON_LENGTH,
         f"The reason must be {MAX_REASON_LENGTH} characters or fewer"),
        ("uprn", typed["uprn"].isdigit() and len(typed["uprn"]) <= 12, "Enter the address's UPRN: up to 12 digits"),
        ("postcode", bool(typed["postcode"]), "Enter the address's postcode"),
        ("kind", typed["kind"] in KINDS, "Select the type of permit"),
        ("months", typed["months"] in MONTHS, "Select how long the permit is for"),
        ("vrm", bool(typed["vrm"]) != (typed["kind"] == "carer"),
         "Leave the mark blank for a carer permit" if typed["kind"] == "carer"
         else "Enter the vehicle's registration mark"),
        ("email", bool(typed["email"]), "Enter the resident's email address, to tell them when the permit is issued"),
    )  # fmt: skip
    found = next(((field, message) for field, ok, message in checks if not ok), None)
    for kind, name in EVIDENCE_KINDS.items():
        choice, note = typed[f"evidence_{kind}"], typed[f"evidence_{kind}_note"]
        if found is None and choice and choice not in EVIDENCE_CHOICES:
            found = (f"evidence_{kind}", f"Select whether you have seen the {name.lower()}")
        if found is None and choice == "seen" and not note:
            found = (f"evidence_{kind}_note", f"Enter what you saw as the {name.lower()}")
        if found is None and len(note) > MAX_EVIDENCE_NOTE:
            found = (f"evidence_{kind}_note", f"The note must be {MAX_EVIDENCE_NOTE} characters or fewer")
    return found


def _evidence_choices(typed: dict[str, str]) -> str:
    return ",".join(f"{kind}:{typed[f'evidence_{kind}']}" for kind in EVIDENCE_KINDS if typed[f"evidence_{kind}"])


def _evidence(typed: dict[str, str]) -> dict[str, Any]:
    """The evidence as permits.evidence.staff_checked takes it; a kind not chosen is left out (the service says if
    the zone asks it)."""
    given: dict[str, Any] = {}
    for kind in EVIDENCE_KINDS:
        choice = typed[f"evidence_{kind}"]
        if choice == "seen":
            given[kind] = {"seen": {"note": typed[f"evidence_{kind}_note"]}}
        elif choice == "later":
            given[kind] = {"later": True}
    return given


def _evidence_field(detail: str) -> str:
    """The form's field for the service's `evidence...` refusal: the kind's choice, or its note."""
    path = detail.split(":", 1)[0].split(".")
    kind = path[1] if len(path) > 1 and path[1] in EVIDENCE_KINDS else next(iter(EVIDENCE_KINDS))
    return f"evidence_{kind}_note" if path[-1] == "note" else f"evidence_{kind}"


def _evidence_words(detail: str) -> str:
    words = detail.split(":", 1)[1].strip() if ":" in detail else detail
    return words[:1].upper() + words[1:]


def _application(typed: dict[str, str], staff: StaffMember) -> dict[str, Any]:
    return {
        "address": {"uprn": typed["uprn"], "postcode": typed["postcode"], "street": typed["street"]},
        "kind": typed["kind"],
        "months": int(typed["months"]),
        **({} if typed["kind"] == "carer" else {"vrm": typed["vrm"]}),  # a carer permit has no mark
        "contact": {"email": typed["email"]},
        "assisted": {"channel": typed["channel"], "reason": typed["reason"], "staff": staff.subject},
        **({"evidence": given} if (given := _evidence(typed)) else {}),
    }


def _reference(request: StaffRequest) -> str:
    text = request.form.get("reference", "").strip().upper()
    return text if _REFERENCE.match(text) else ""


def _staff(request: StaffRequest) -> StaffMember:
    assert request.staff is not None  # the guard let only signed-in staff with the route's permission through
    return request.staff
