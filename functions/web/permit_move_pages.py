"""Moving a parking permit into another zone from its manage link (`/permits/manage/<token>/move`), without
JavaScript: "I have moved".

1. The new address's postcode (GOV.UK error summary for none or a malformed one), found with the web's address
   lookup (OS Places, or its local stand-in); then the address chosen from those found. The chosen UPRN is looked
   for in a fresh lookup of that postcode: nothing the browser sends but the UPRN and postcode is used.
2. The permits function prices the move (`move-quote`, nothing written): the error summary on the address page for
   a refusal (outside every zone, the permit's own zone, a zone without the permit's type, the new household at its
   limit, the mark already permitted there: the function's words), else "Check your move": the new zone and dates,
   the credit for the old permit, the new permit's price, the difference, and why (the function's reasons).
3. "Pay and move" / "Move my permit" posts the address back, signed for this link by the web when it showed the
   page (`security.signed_value`), to `move`: 200 (moved at once, any refund shown), 202 (the difference's order
   started with payments and the resident sent to Pay; Pay's return is `/services/parking-permit-move/payment/<token>`,
   which says whether it was paid: the issuer makes the paid move and the resident is emailed about the new permit),
   or a refusal page (the permit changed meanwhile).

The token is a bearer value, as on the other manage pages: in the path only, never logged; each form's CSRF token is
bound to the link.
"""

from __future__ import annotations

import json
from typing import Any

from shared.fees import format_pounds
from shared.location import POSTCODE_MESSAGE, normalise_postcode
from web import security
from web.addresses import Address, AddressLookupFailed
from web.http import Reply, Request, redirect
from web.permit_manage_pages import MANAGE_PATH, PermitManagePages, csrf_binding

MOVE_SERVICE_ID = "parking-permit-move"  # permits' order for a dearer move's difference
SIGNED_PURPOSE = "manage-move"  # the chosen address in the "Check your move" form, signed for this link
TEMPLATE = "permit_move.html"
UNMOVED = "Your permit has not been changed."


class PermitMovePages:
    def __init__(self, manage: PermitManagePages) -> None:
        self.manage = manage
        self.p = manage.p

    def _issued(self, request: Request, token: str) -> dict[str, Any] | Reply:
        opened = self.manage._open(request, token)
        if isinstance(opened, Reply):
            return opened
        if opened.get("status") != "issued":
            return redirect(f"{MANAGE_PATH}/{token}")
        return opened

    def _page(self, request: Request, token: str, step: str, status: int = 200, /, **context: Any) -> Reply:
        context.setdefault("errors", [])
        return self.manage._form(request, token, TEMPLATE, status, step=step, **context)

    # -- 1. the new address ---------------------------------------------------------------------------------------
    def page(self, request: Request, token: str) -> Reply:
        opened = self._issued(request, token)
        if isinstance(opened, Reply):
            return opened
        return self._page(request, token, "find", permit=opened, postcode="")

    def find_or_choose(self, request: Request, token: str) -> Reply:
        """(POST) Find the addresses at a postcode, or price the move to the one chosen from them."""
        opened = self._issued(request, token)
        if isinstance(opened, Reply):
            return opened
        typed = request.field("postcode").strip()
        postcode = normalise_postcode(typed)
        if postcode is None:
            message = "Enter the postcode of your new address" if not typed else POSTCODE_MESSAGE
            return self._page(request, token, "find", 400, permit=opened, postcode=typed,
                              errors=[{"href": "postcode", "message": message}])  # fmt: skip
        found = self._lookup(postcode)
        if isinstance(found, Reply):
            return found
        if request.field("action") == "find-address" or not found:
            return self._page(request, token, "find" if not found else "select", permit=opened, postcode=postcode,
                              addresses=found, not_found=not found)  # fmt: skip
        uprn = request.field("uprn").strip()
        chosen = next((a for a in found if a.uprn == uprn), None)
        if chosen is None:
            message = "Select your new address" if not uprn else "Select an address from the list"
            return self._page(request, token, "select", 400, permit=opened, postcode=postcode, addresses=found,
                              errors=[{"href": "uprn", "message": message}])  # fmt: skip
        address = _address(chosen)
        answer = self.p.permits.move_quote(str(opened["reference"]), address, correlation_id=request.correlation_id)
        if answer.status == 422:  # the function's words for why this address cannot have the permit
            refused = [{"href": "uprn", "message": str(answer.body.get("detail"))}]
            return self._page(request, token, "select", 422, permit=opened, postcode=postcode, addresses=found,
                              selected=uprn, errors=refused)  # fmt: skip
        if not answer.ok:
            return self.p.unavailable([UNMOVED, "Try again later."])
        signed = security.signed_value(SIGNED_PURPOSE, _signed(token, address))
        return self._page(request, token, "check", permit=opened, move=answer.body, address=address,
                          address_text=chosen.text, signature=signed, **_amounts(answer.body))  # fmt: skip

    def _lookup(self, postcode: str) -> list[Address] | Reply:
        lookup = self.p.site.ports.addresses
        try:
            if lookup is None or not lookup.available():
                raise AddressLookupFailed("not-configured")
            return list(lookup.by_postcode(postcode))
        except AddressLookupFailed:
            return self.p.unavailable(
                ["We could not look up addresses just now, and we need to find your new address to move the permit.",
                 UNMOVED, "Try again later."]
            )  # fmt: skip

    # -- 3. moving ------------------------------------------------------------------------------------------------
    def confirm(self, request: Request, token: str) -> Reply:
        """(POST) Move the permit to the address the check page showed (signed for this link)."""
        opened = self._issued(request, token)
        if isinstance(opened, Reply):
            return opened
        address = {k: request.field(k).strip() for k in ("uprn", "postcode", "street")}
        if not security.is_signed_value(SIGNED_PURPOSE, _signed(token, address), request.field("signature")):
            return self.manage._bad_link()  # only the address this link's page showed is moved to
        answer = self.p.permits.move(str(opened["reference"]), address, correlation_id=request.correlation_id)
        body = answer.body
        if answer.status == 200:
            return self._page(request, token, "moved", permit=opened, move=body, **_amounts(body))
        if answer.status == 202:
            return self._pay(request, token, str(body.get("move_reference") or ""))
        if answer.status in (400, 422):
            return self.p.message(
                200 if answer.status == 422 else 400,
                "We cannot move this permit",
                [str(body.get("detail") or ""), UNMOVED],
                {"href": f"{MANAGE_PATH}/{token}", "text": "Back to your permit"},
            )
        return self.p.unavailable([UNMOVED, "Try again later."])

    def _pay(self, request: Request, token: str, move_reference: str) -> Reply:
        payments = self.p.site.ports.payments
        if payments is None or not move_reference:
            return self.p.unavailable(["We could not take you to the payment page. No money has been taken.",
                                       UNMOVED])  # fmt: skip
        started = payments.start(move_reference, correlation_id=request.correlation_id)
        if started.ok and started.body.get("next_url"):
            return redirect(str(started.body["next_url"]))
        return self.p.message(
            503,
            "We could not start the payment",
            ["No money has been taken.", UNMOVED, "Try again later."],
            {"href": f"{MANAGE_PATH}/{token}", "text": "Back to your permit"},
        )

    def back_from_pay(self, request: Request, pay_token: str) -> Reply:
        """Pay's return for a move's order: the payments service reads the outcome from Pay."""
        payments = self.p.site.ports.payments
        if payments is None:
            return self.p.unavailable(["We cannot check your payment just now.", "Try again later."])
        result = payments.on_return(pay_token, correlation_id=request.correlation_id)
        if result.status == 404:
            return self.p.site.not_found()
        if result.ok and result.body.get("status") == "success":
            return self.p.message(
                200,
                "Payment received",
                ["We are moving your permit to your new address now. We will email you about the new permit when "
                 "it is done; until then your permit stays valid in its old zone."],
            )  # fmt: skip
        return self.p.message(200, "Your payment was not taken",
                              [UNMOVED, "Use the link in your permit email to try again."])  # fmt: skip


def _address(chosen: Address) -> dict[str, str]:
    """What the permits function places in a zone: the lookup's UPRN, postcode and street."""
    return {"uprn": chosen.uprn, "postcode": chosen.postcode, "street": chosen.street}


def _signed(token: str, address: dict[str, str]) -> str:
    return f"{csrf_binding(token)}:{json.dumps(address, sort_keys=True)}"


def _amounts(body: dict[str, Any]) -> dict[str, str]:
    def pounds(name: str) -> str:
        pence = int(body.get(name) or 0)
        return format_pounds(pence) if pence > 0 else ""

    return {"to_pay": pounds("to_pay_pence"), "refund": pounds("to_refund_pence"),
            "credit": format_pounds(int(body.get("credit_pence") or 0)),
            "new_price": format_pounds(int(body.get("new_price_pence") or 0))}  # fmt: skip
