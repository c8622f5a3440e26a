"""Renewing an issued parking permit from its manage link (`/permits/manage/<token>/renew`): tell us once.

(Not functions/web/renewal_pages.py: that renews a catalogue service's subscription, garden waste.)

The page asks the permits function's `renewal` for the renewal pre-filled from the permit the link names (mark, zone,
type, length, dates, price and why; nothing written) and shows it, or says in words why it cannot be renewed
(`not-issued`, `revoked`, `not-offered`, `too-early` with the day renewing opens). The application holds the household
by its UPRN only, so the resident confirms the address's postcode and gives the email address for the renewal's
messages; they may pick another length. "Continue" applies from the renewal's start, with `renews` while the permit is
in force (docs/permits.md, `permits.renewing`): 201 becomes a permit draft, submitted, in the draft cookie, and the
resident goes to the application's check your answers, pays and sees its confirmation (web/permit_payment_pages.py,
unchanged). In a zone asking evidence (permits.evidence) the renewal's answer says whether the current application's
evidence is carried forward (verified or declared: the page says so and the renewal is not held; a lapsed permit's
renewal sends `evidence_from`); if it is not, the page says what is needed and to apply for a new permit, where the
evidence page takes it (this page takes no documents). A changed vehicle is not renewed here: the page says to
change the vehicle on the permit first, or apply anew.

The link is a bearer value, as on the manage pages: in the path only, never logged; the form's CSRF token is bound
to it (the manage pages' `csrf_binding`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.location import POSTCODE_MESSAGE, normalise_postcode
from web.addresses import Address, AddressLookupFailed
from web.http import Reply, Request, redirect
from web.permit_journey import PERMITS_PATH, Errors, check_email
from web.permit_manage_pages import MANAGE_PATH, PermitManagePages
from web.permit_payment_pages import CHECK

LENGTHS = (3, 6, 12)  # the lengths a permit is sold in (the zones file's rule table); apply refuses one not on sale
REFUSED_HEADING = "This permit cannot be renewed"
REFUSALS = {
    "not-issued": "This application has no permit to renew.",
    "revoked": "This permit was cancelled, so it cannot be renewed. You can apply for a new permit.",
    "not-offered": "This type of permit is no longer sold in the zone. You can apply for another type of permit.",
}
EVIDENCE_AGAIN = (
    "Your zone asks for evidence for this type of permit, and the evidence for your current permit was not checked "
    "(or was not asked for when you applied), so we cannot carry it forward to the renewal. We need:"
)
VEHICLE_CHANGED = (
    "If you now have a different vehicle, change the vehicle on this permit first and then renew it, or apply for a "
    "new permit for the new vehicle."
)


class PermitRenewalPages:
    def __init__(self, manage: PermitManagePages) -> None:
        self.manage = manage
        self.p = manage.p

    def _renewal(self, request: Request, token: str) -> tuple[dict[str, Any], dict[str, Any]] | Reply:
        """(the permit the link names, its renewal pre-filled), or the page to answer instead."""
        opened = self.manage._open(request, token)
        if isinstance(opened, Reply):
            return opened
        answer = self.p.permits.renewal(str(opened["reference"]), correlation_id=request.correlation_id)
        back = {"href": f"{MANAGE_PATH}/{token}", "text": "Back to your permit"}
        if answer.status == 409:
            reason = str(answer.body.get("reason") or "")
            if reason == "too-early":
                opens = str(answer.body.get("renewable_from") or "")
                line = f"You can renew this permit from {_day(opens)}. We will email you before it ends."
            else:
                line = REFUSALS.get(reason, str(answer.body.get("detail") or ""))
            return self.p.message(200, REFUSED_HEADING, [line], back)
        if not answer.ok:
            return self.p.unavailable(["We cannot renew your permit just now.", "Try again later."])
        evidence = answer.body.get("evidence") or {}
        if evidence and not evidence.get("carried_forward"):  # the documents are asked again: not on this page
            return self._evidence_asked(dict(answer.body), list(evidence.get("asked") or []), back)
        return opened, dict(answer.body)

    def _evidence_asked(self, renewal: dict[str, Any], asked: list[dict[str, Any]], back: dict[str, str]) -> Reply:
        """The zone asks evidence the current permit's application cannot carry forward (never checked, or not asked
        when it was applied for): say what is needed and how to give it (a new application takes the documents)."""
        needs = [f"{a.get('name', '')}: {a.get('words', '')}." for a in asked]
        ahead = str(renewal.get("start") or "") > self.p.site.today().isoformat()
        if ahead:
            day = _day(str(renewal["start"]))
            how = f"Once this permit has ended, apply for a new permit for this vehicle from {day}: you can make the "
            how += "declarations and upload the documents as you apply."
            link = back
        else:
            how = "Apply for a new permit for this vehicle: you can make the declarations and upload the documents "
            how += "as you apply."
            link = {"href": PERMITS_PATH, "text": "Apply for a new permit"}
        lines = [EVIDENCE_AGAIN, *needs, how, "Nothing has been saved and you have not been charged."]
        return self.p.message(200, "We need your documents again", lines, link)

    def page(self, request: Request, token: str) -> Reply:
        found = self._renewal(request, token)
        if isinstance(found, Reply):
            return found
        permit, renewal = found
        values = {"months": str(renewal.get("months") or "")}
        return self._form(request, token, permit, renewal, values, [])

    def _form(self, request: Request, token: str, permit: dict[str, Any], renewal: dict[str, Any],
              values: dict[str, str], errors: Errors, status: int = 200) -> Reply:  # fmt: skip
        return self.manage._form(
            request, token, "permit_renew.html", status, permit=permit, renewal=renewal, values=values,
            errors=errors, lengths=LENGTHS, vehicle_changed=VEHICLE_CHANGED,
        )  # fmt: skip

    def renew(self, request: Request, token: str) -> Reply:
        """(POST) Apply for the renewal (`renews`): 201 is a submitted permit draft, then check your answers."""
        found = self._renewal(request, token)
        if isinstance(found, Reply):
            return found
        permit, renewal = found
        values = {k: request.field(k).strip() for k in ("postcode", "email", "months")}
        errors: Errors = []
        postcode = normalise_postcode(values["postcode"])
        if postcode is None:
            message = "Enter the postcode of the address the permit is for" if not values["postcode"] else None
            errors.append({"href": "postcode", "message": message or POSTCODE_MESSAGE})
        email, email_errors = check_email(values["email"])
        errors += email_errors
        if not values["months"].isdigit() or int(values["months"]) not in LENGTHS:
            errors.append({"href": "months", "message": "Choose how long the permit should last"})
        if errors or postcode is None or email is None:
            return self._form(request, token, permit, renewal, values, errors, 400)
        household = self._household(str(renewal["address"]["uprn"]), postcode)
        if isinstance(household, Reply):
            return household
        if household is None:
            errors = [{"href": "postcode", "message": "Enter the postcode of the address the permit is for"}]
            return self._form(request, token, permit, renewal, values, errors, 400)
        months = int(values["months"])
        application = {
            "address": {"uprn": household.uprn, "postcode": postcode, "street": household.street},
            "kind": str(renewal["kind"]),
            "months": months,
            "vrm": str(renewal["vrm"]),
            "contact": {"email": email},
            "start": str(renewal["start"]),  # the day after the permit's last day, or today once it has lapsed
        }
        application.update(_renewing(renewal, self.p.site.today()))
        answer = self.p.permits.apply(application, correlation_id=request.correlation_id)
        body = answer.body
        back = {"href": f"{MANAGE_PATH}/{token}/renew", "text": "Back to your renewal"}
        if answer.status == 201:
            draft, cookies = self.p.new_draft(request)
            draft.reference = str(body["reference"])
            draft.amount_due_pence = int(body.get("amount_pence", 0))
            draft.answers = _answers(renewal, household, email, months, body)
            self.p.save(draft)
            return redirect(CHECK, cookies=cookies)
        if answer.status in (400, 422):
            return self.p.message(
                200 if answer.status == 422 else 400,
                "We cannot renew this permit",
                [str(body.get("detail") or ""), "Nothing has been saved and you have not been charged."],
                back,
            )
        return self.p.unavailable(["We could not renew your permit just now.", "You have not been charged."])

    def _household(self, uprn: str, postcode: str) -> Address | Reply | None:
        """The permit's address found by the address lookup (its street places it in a zone), None when the
        postcode is not that address's, or the page to answer when the lookup cannot be asked."""
        lookup = self.p.site.ports.addresses
        try:
            if lookup is None or not lookup.available():
                raise AddressLookupFailed("not-configured")
            found = [a for a in lookup.by_postcode(postcode) if a.uprn == uprn]
        except AddressLookupFailed:
            return self.p.unavailable(
                ["We could not look up addresses just now, and we need to find yours to renew the permit.",
                 "Nothing has been saved and you have not been charged.", "Try again later."]
            )  # fmt: skip
        return found[0] if found else None


def _renewing(renewal: dict[str, Any], today: date) -> dict[str, str]:
    """Ahead, `renews` (the permit in force is replaced, not added to); lapsed, `evidence_from` when the current
    application's evidence is carried forward (permits.evidence), else nothing."""
    if str(renewal["start"]) > today.isoformat():
        return {"renews": str(renewal["renews"])}
    if (renewal.get("evidence") or {}).get("carried_forward"):
        return {"evidence_from": str(renewal["renews"])}
    return {}


def _answers(renewal: dict[str, Any], found: Address, email: str, months: int, made: dict[str, Any]) -> dict[str, Any]:
    """The permit draft's answers, as the application pages keep them, so check your answers and the confirmation
    show the renewal as any application."""
    kind = str(renewal["kind"])
    return {
        "address": found.to_json(),
        "zone": {"code": str(renewal["zone"]), "name": f"Zone {renewal['zone']}"},
        "permit": {"kind": kind, "months": str(months), "label": f"{kind.title()} permit, {months} months"},
        "vrm": {"vrm": str(renewal["vrm"]), "display": str(renewal["vrm"])},
        "email": email,
        "renews": str(renewal["renews"]),
        "application": made,
    }


def _day(iso: str) -> str:
    try:
        return f"{date.fromisoformat(iso):%-d %B %Y}"
    except ValueError:
        return "a later date"
