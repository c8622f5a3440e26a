"""Parking permits in the staff console (`/staff/permits`; docs/console.md, docs/permits.md).

The console never reads the Permits table: every page asks the permits service's PermitsStaff function
(`PERMITS_STAFF_FUNCTION`, invoked by name; its role may invoke exactly that function), which searches without a
Scan, describes a permit, verifies declared vehicle details and revokes (permits/staff.py).

- `GET /staff/permits` (`view-permits`): small search forms, by registration mark, by application reference or
  permit id, by postcode and by the address's UPRN. A POST (the CSRF token checked by the guard), so a mark, a
  postcode or a UPRN never goes into a URL. A postcode is looked up in OS Places (shared/addresses.py, the web's
  client too): the addresses there are listed to choose one, whose permits are then searched by its UPRN (the
  permits service keeps UPRNs, never addresses). No lookup configured, or OS Places down: search by UPRN.
- `GET /staff/permits/<key>` (`view-permits`): the permit page: mark, zone, type, dates, status, the vehicle, the
  price and its reasons, the history (applied, paid, issued, verified, ended). The devices' look-ups are not shown.
- The permit page also shows the household's visitor wallet in the permit's zone (`visitor-wallet`: this year's
  balance, its sessions and the staff's adjustments), read with the page (so under its `read-permit` entry), and
  `POST /staff/permits/<key>/visitor-balance` (`manage-permits`): change it by whole hours or days with a reason
  (`adjust-visitor-balance`, audited as the other actions).
- Uploaded evidence (permits.evidence): the permit page lists the application's declarations (with their words)
  and documents; `GET /staff/permits/<key>/evidence/<kind>` (`view-permits`) audits `download-permit-evidence`
  (or `-refused` for a file not in the uploads bucket as sent) and redirects to a presigned GET valid for
  `LINK_SECONDS` (60 s); `POST /staff/permits/<key>/evidence` (`manage-permits`) verifies or rejects the documents
  with a note (`check-evidence`, audited `check-permit-evidence`): the permit is issued only once they are verified.
- `POST /staff/permits/<key>/verify` and `/revoke` (`manage-permits`): confirm or correct declared details with a
  note; revoke with a reason and a refund chosen (`refund`: the unused whole months, as the zone's cancellation
  rule gives them, through payments' refund-order; or none). A permit revoked with a refund payments did not make
  shows it and a button that posts `/revoke` again, which asks payments again (the same refund: its keys). Bad
  input is the page again with the GOV.UK error summary (400) and nothing written; a change made is a redirect
  (303) to the page, so a reload posts nothing.

Audit (console/audit.py, record `permit:<key>` for a permit, `permit-search` for a search): every search
(`search-permits`, the kind and the records found, never the mark, postcode or UPRN typed: also one entry on each
record found; a postcode's look-up, with how many addresses it found), every page read (`read-permit`) and every
action before it is asked (`verify-permit`, `revoke-permit` with the refund chosen, `refund-revoked-permit`,
`adjust-visitor-balance`; then `<action>-refused` when the permits service refuses it, `<action>-failed` when it
does not answer). An entry that cannot be written stops the page: nothing is shown or changed unaccounted for.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

from console.app import Page, StaffRequest, redirect
from console.attachments import LINK_SECONDS, CleanStore
from console.audit import AuditLog
from console.pages import Pages
from console.permissions import Permission, StaffMember
from shared.addresses import AddressLookup, AddressLookupFailed
from shared.location import normalise_postcode
from shared.observability import logger

SEARCHES = {
    "vrm": ("Registration mark", "For example, AB12 CDE"),
    "reference": ("Application reference or permit id", "For example, 7KXM-3RAH"),
    "postcode": ("Postcode of the address", "For example, ME14 1HQ: then choose the address"),
    "uprn": ("UPRN of the address", "The Unique Property Reference Number: up to 12 digits"),
}
POSTCODE = "postcode"  # the console's own search: the addresses at the postcode, then the chosen one's by UPRN
SEARCH_RECORD = "permit-search"
MAX_AUDITED = 20  # a mark or a household has a few permits; entries on the records found stop here
FUELS = ("PETROL", "DIESEL", "ELECTRICITY", "HYBRID ELECTRIC", "GAS", "OTHER")  # permits.application DECLARED_FUELS
_KEY = re.compile(r"^[A-Za-z0-9-]{1,64}$")
REVOKE_DETAILS = {  # the audit entry's detail: the refund staff chose, never the reason typed
    "unused-months": "revoked with a reason, the unused months refunded",
    "none": "revoked with a reason, no refund",
}
UNANSWERED = "The permits service did not answer. Nothing was changed: try again in a few minutes."
NOT_CONNECTED = "Parking permits are not connected to this console."
EVIDENCE_GONE = (
    "Deleted: uploaded documents are kept for 90 days after they are uploaded (the uploads bucket's rule for "
    "parking-permit/), or the file was never copied there. It was not blocked: only files scanned clean are kept."
)
EVIDENCE_CHANGED = "Withheld: the stored file is not the size or type the resident sent, so it is not served."
NO_LOOKUP = "The address lookup is not available just now. Search by the address's UPRN instead."


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


class StaffPermitsService(Protocol):
    """The permits service's PermitsStaff function (permits/staff_handler.py)."""

    def __call__(self, event: dict[str, Any]) -> Answer: ...


class LambdaStaffPermits:
    """StaffPermitsService invoked by name (the console's role may invoke exactly that function)."""

    def __init__(self, function_name: str) -> None:
        self._function = function_name

    def __call__(self, event: dict[str, Any]) -> Answer:
        from shared import aws

        event = {**event, "correlation_id": logger.get_correlation_id() or ""}
        try:
            response = aws.client("lambda").invoke(FunctionName=self._function, Payload=json.dumps(event).encode())
            answer = json.loads(response["Payload"].read() or b"{}")
        except Exception:  # a timeout or a throttle: "did not answer", never a refusal
            logger.exception("PermitsStaff not reached")
            return Answer(502, {"detail": UNANSWERED})
        if response.get("FunctionError") or not isinstance(answer, dict) or "status" not in answer:
            return Answer(502, {"detail": UNANSWERED})
        body = answer.get("body")
        return Answer(int(answer["status"]), body if isinstance(body, dict) else {})


def record_of(key: str) -> str:
    """The audit record of a permit (its page's key: the application's reference, else the permit's id)."""
    return f"permit:{key}"


class PermitPages:
    def __init__(
        self,
        pages: Pages,
        audit: AuditLog,
        permits: StaffPermitsService | None,
        addresses: AddressLookup | None = None,
        evidence: CleanStore | None = None,
    ) -> None:
        """`addresses`: the OS Places lookup for the search by postcode (None: search by UPRN only)."""
        self.pages, self.audit, self.permits, self.addresses = pages, audit, permits, addresses
        self.evidence = evidence  # the uploads bucket, where the residents' scanned-clean documents are

    # -- search ------------------------------------------------------------------------------------------------------
    def permits_search_form(self, request: StaffRequest) -> Page:
        return self._search_page(request)

    def permits_search(self, request: StaffRequest) -> Page:
        staff = _staff(request)
        by = request.form.get("by", "")
        if by not in SEARCHES:
            return self._search_page(request, 400, error="Choose what to search by", error_field="vrm")
        value = request.form.get(by, "").strip()[:64]
        if not value:
            label = SEARCHES[by][0]
            return self._search_page(request, 400, error=f"Enter the {label[0].lower()}{label[1:]}", error_field=by)
        if self.permits is None:
            return self._search_page(request, 503, failed=NOT_CONNECTED)
        if by == POSTCODE:
            return self._addresses_at(request, value)
        answer = self.permits({"action": "search", "by": by, "value": value})
        if answer.status == 400:
            field = str(answer.body.get("field") or by)
            return self._search_page(
                request, 400, error=str(answer.body.get("detail", "")), error_field=field, typed={by: value}
            )
        if answer.status != 200:
            return self._search_page(request, 503, failed=UNANSWERED, typed={by: value})
        results = [r for r in answer.body.get("results", []) if isinstance(r, dict)]
        keys = [str(r.get("key", "")) for r in results]
        details = {"kind": by, "found": keys[:MAX_AUDITED]}
        self.audit.record(staff, "search-permits", SEARCH_RECORD, source_ip=request.source_ip, details=details)
        for key in keys[:MAX_AUDITED]:
            self.audit.record(
                staff, "search-permits", record_of(key), source_ip=request.source_ip, details={"kind": by}
            )
        return self._search_page(request, results=results, searched=SEARCHES[by][0].lower(), kind=by)

    def _addresses_at(self, request: StaffRequest, typed: str) -> Page:
        """The addresses at a postcode (OS Places), to choose one: its permits are then searched by its UPRN (the
        same form as a UPRN typed). Audited as a search (`postcode`, how many addresses), never the postcode."""
        postcode = normalise_postcode(typed)
        if postcode is None:
            return self._search_page(request, 400, error="Enter a full postcode, like ME14 1HQ", error_field=POSTCODE,
                                     typed={POSTCODE: typed})  # fmt: skip
        if self.addresses is None or not self.addresses.available():
            return self._search_page(request, 503, failed=NO_LOOKUP, typed={POSTCODE: typed})
        try:
            found = self.addresses.by_postcode(postcode)
        except AddressLookupFailed as failure:
            logger.warning("Address lookup failed for a permits search", extra={"reason": failure.reason})
            return self._search_page(request, 503, failed=NO_LOOKUP, typed={POSTCODE: typed})
        self.audit.record(_staff(request), "search-permits", SEARCH_RECORD, source_ip=request.source_ip,
                          details={"kind": POSTCODE, "addresses": len(found)})  # fmt: skip
        return self._search_page(request, addresses=found, postcode=postcode, typed={POSTCODE: typed})

    def _search_page(self, request: StaffRequest, status: int = 200, **context: Any) -> Page:
        context.setdefault("typed", {})
        return self.pages.render(
            "permits.html", request, status=status, searches=SEARCHES, available=self.permits is not None, **context
        )

    # -- a permit --------------------------------------------------------------------------------------------------
    def permit(self, request: StaffRequest, key: str) -> Page:
        staff = _staff(request)
        found = self._get(request, key)
        if isinstance(found, Page):
            return found
        self.audit.record(staff, "read-permit", record_of(found["key"]), source_ip=request.source_ip)
        return self._permit_page(request, found, done=request.query.get("done", ""))

    def verify_permit(self, request: StaffRequest, key: str) -> Page:
        staff = _staff(request)
        found = self._get(request, key)
        if isinstance(found, Page):
            return found
        form = request.form
        outcome = form.get("outcome", "")
        event: dict[str, Any] = {
            "action": "verify",
            "reference": found["reference"],
            "outcome": outcome,
            "note": form.get("note", ""),
            "staff": {"subject": staff.subject, "roles": sorted(staff.roles)},
        }
        if outcome == "corrected":
            event["vehicle"] = _vehicle(form)
        detail = {"confirmed": "declared details confirmed", "corrected": "declared details corrected"}.get(outcome, "")
        return self._act(request, found, "verify-permit", detail, event, "verified")

    def revoke_permit(self, request: StaffRequest, key: str) -> Page:
        staff = _staff(request)
        found = self._get(request, key)
        if isinstance(found, Page):
            return found
        refund = request.form.get("refund", "")  # "unused-months" or "none"; anything else refused by the service
        event = {"action": "revoke", "key": found["key"], "reason": request.form.get("reason", ""), "refund": refund,
                 "staff": {"subject": staff.subject, "roles": sorted(staff.roles)}}  # fmt: skip
        detail = REVOKE_DETAILS.get(refund, "revoked with a reason")
        if found.get("status") == "revoked" and found.get("refund_status") in ("owed", "not-made"):  # asked again
            return self._act(request, found, "refund-revoked-permit", "refund asked again", event, "refunded")
        return self._act(request, found, "revoke-permit", detail, event, "revoked")

    def adjust_visitor_balance(self, request: StaffRequest, key: str) -> Page:
        """(`manage-permits`) Change the household's visitor balance in the permit's zone, with a reason."""
        staff = _staff(request)
        found = self._get(request, key)
        if isinstance(found, Page):
            return found
        typed = request.form.get("change", "").strip()
        change: Any = int(typed) if re.fullmatch(r"[+-]?\d{1,4}", typed) else typed  # else refused by the service
        event = {"action": "adjust-visitor-balance", "uprn": found.get("household", ""), "zone": found.get("zone", ""),
                 "change": change, "reason": request.form.get("reason", ""),
                 "staff": {"subject": staff.subject, "roles": sorted(staff.roles)}}  # fmt: skip
        return self._act(request, found, "adjust-visitor-balance", "visitor balance changed with a reason", event,
                         "adjusted")  # fmt: skip

    # -- uploaded evidence (permits.evidence) -------------------------------------------------------------------
    def check_evidence(self, request: StaffRequest, key: str) -> Page:
        """(`manage-permits`) The uploaded documents verified or rejected, with a note (a rejection's reason)."""
        staff = _staff(request)
        found = self._get(request, key)
        if isinstance(found, Page):
            return found
        outcome = request.form.get("outcome", "")
        event = {"action": "check-evidence", "reference": found["reference"], "outcome": outcome,
                 "note": request.form.get("note", ""),
                 "staff": {"subject": staff.subject, "roles": sorted(staff.roles)}}  # fmt: skip
        detail = {"verified": "documents verified", "rejected": "documents rejected with a reason"}.get(outcome, "")
        return self._act(request, found, "check-permit-evidence", detail, event, "evidence", form_name="evidence")

    def download_evidence(self, request: StaffRequest, key: str, kind: str) -> Page:
        """(`view-permits`) One uploaded document: audited, then a redirect to a link valid for `LINK_SECONDS`; a
        file that is not in the uploads bucket as the resident sent it is refused (and the refusal audited)."""
        staff = _staff(request)
        found = self._get(request, key)
        if isinstance(found, Page):
            return found
        back = f"/staff/permits/{found['key']}"
        wanted = next((e for e in self._evidence(found) if e["kind"] == kind[:32] and e["method"] == "upload"), None)
        if wanted is None:
            return self.pages.render("message.html", request, status=404, title="No such file", back=back,
                                     message="This application has no document of that kind.")  # fmt: skip
        action = "download-permit-evidence" if wanted["state"] == "clean" else "download-permit-evidence-refused"
        details = {"kind": wanted["kind"], "upload": str(wanted.get("upload_id", ""))}
        self.audit.record(staff, action, record_of(found["key"]), source_ip=request.source_ip, details=details)
        if wanted["state"] != "clean" or self.evidence is None:
            return self.pages.render("message.html", request, status=409, title="This file cannot be downloaded",
                                     message=wanted["why"], back=back)  # fmt: skip
        return redirect(self.evidence.link(str(wanted["key"]), filename=str(wanted["filename"]), seconds=LINK_SECONDS))

    def _evidence(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """The application's evidence, each upload with its state in the uploads bucket (one HEAD each)."""
        shown = []
        for entry in record.get("evidence") or []:
            item = {**entry, "state": "", "why": ""}
            if entry.get("seen_by_staff") or entry.get("to_follow"):  # staff applied for the resident: no file here
                item["state"] = "seen" if entry.get("seen_by_staff") else "to-follow"
            elif entry.get("method") == "upload":
                stored = self.evidence.find(str(entry.get("key", ""))) if self.evidence is not None else None
                expected = (int(entry.get("size_bytes", 0)), str(entry.get("content_type", "")))
                if stored is None:
                    item.update(state="deleted", why=EVIDENCE_GONE)
                elif (stored.size_bytes, stored.content_type) != expected:
                    item.update(state="changed", why=EVIDENCE_CHANGED)
                else:
                    item["state"] = "clean"
            shown.append(item)
        return shown

    def _act(
        self, request: StaffRequest, found: dict[str, Any], action: str, detail: str, event: dict[str, Any], done: str,
        form_name: str = "",
    ) -> Page:  # fmt: skip
        """Audit, then ask; a refusal is the page again with why (nothing changed), a change a redirect to it."""
        staff, record = _staff(request), record_of(found["key"])
        assert self.permits is not None  # _get answered, so the service is connected
        self.audit.record(staff, action, record, source_ip=request.source_ip, detail=detail)
        answer = self.permits(event)
        if answer.status == 200:
            return redirect(f"/staff/permits/{found['key']}?done={done}")
        failed = answer.status not in (400, 403, 404, 409, 422)
        self.audit.record(staff, f"{action}-{'failed' if failed else 'refused'}", record, source_ip=request.source_ip)
        message = UNANSWERED if failed else str(answer.body.get("detail", ""))
        if answer.status == 503 and answer.body.get("detail"):  # the permits service's own why (payments down)
            message = str(answer.body["detail"])
        field = str(answer.body.get("field") or "") if answer.status == 400 else ""
        form_name = form_name or action.removesuffix("-permit")
        return self._permit_page(
            request,
            found,
            status=answer.status if not failed else 503,
            error=message,
            error_field=f"{form_name}-{field}" if field else "permit-details",
            form_name=form_name,
            typed=dict(request.form),
        )

    def _get(self, request: StaffRequest, key: str) -> dict[str, Any] | Page:
        if self.permits is None:
            return self.pages.render("message.html", request, status=503, title="Not available", message=NOT_CONNECTED)
        if not _KEY.match(key):
            return self._not_found(request)
        answer = self.permits({"action": "get", "key": key})
        if answer.status == 404:
            return self._not_found(request)
        record = answer.body.get("record")
        if answer.status != 200 or not isinstance(record, dict):
            return self.pages.render("message.html", request, status=503, title="Sorry", message=UNANSWERED)
        return record

    def _not_found(self, request: StaffRequest) -> Page:
        return self.pages.render(
            "message.html",
            request,
            status=404,
            title="No permit found",
            message="There is no permit or application with that reference. Check it and search again.",
        )

    def _permit_page(self, request: StaffRequest, record: dict[str, Any], status: int = 200, **context: Any) -> Page:
        staff = _staff(request)
        context.setdefault("typed", {})
        context.setdefault("form_name", "")
        return self.pages.render(
            "permit.html",
            request,
            status=status,
            permit=record,
            may_manage=staff.may(Permission.MANAGE_PERMITS),
            names={**self.pages.staff_names(), staff.subject: staff.email},
            fuels=FUELS,
            wallet=self._wallet(record),
            evidence=self._evidence(record),
            link_seconds=LINK_SECONDS,
            **context,
        )

    def _wallet(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """The household's visitor wallet in the permit's zone (`visitor-wallet`), or None: no UPRN, a zone without
        visitor permits, or no answer (the page then says the balance cannot be shown)."""
        if self.permits is None or not record.get("household") or not record.get("zone"):
            return None
        answer = self.permits({"action": "visitor-wallet", "uprn": record["household"], "zone": record["zone"]})
        return answer.body if answer.status == 200 else None


def _vehicle(form: dict[str, str]) -> dict[str, Any]:
    """The corrected vehicle as the permits service takes it: numbers as numbers, a blank left out."""
    vehicle: dict[str, Any] = {name: form.get(name, "").strip() for name in ("make", "colour", "fuel")}
    for name in ("co2_g_km", "engine_cc"):
        text = form.get(name, "").strip()
        if text:
            vehicle[name] = int(text) if text.isdigit() and len(text) <= 6 else -1  # -1: refused as not a number
    return vehicle


def _staff(request: StaffRequest) -> StaffMember:
    assert request.staff is not None  # the guard let only signed-in staff with the route's permission through
    return request.staff
