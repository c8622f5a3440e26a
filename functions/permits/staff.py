"""Permits for staff: what the staff console asks of the permits service (the console never reads the Permits table).

`StaffPermits` answers the PermitsStaff function's actions (`permits.staff_handler`), each without a Scan:

- `search(by, value)`: by registration mark (one Query of `by-vrm`), by application reference or permit id (GetItem),
  or by the household's UPRN (one Query of `by-household`). There is no search by postcode here: the address lookup
  that turns a postcode into UPRNs is the web's (OS Places), which neither the console nor this service may import.
- `record(key)`: one application and its permit, whole, for the console's permit page: mark, zone, type, dates,
  status, the vehicle, the price and its reasons, and its history (applied, paid, issued, verified, ended). The
  devices' look-ups (PermitLookups) are not read: they are the enforcement audit, not the permit's.
- `verify(reference, ...)`: an application whose vehicle details were declared (DVLA was down:
  `needs_verification`) is confirmed as declared, with a note, or corrected; one conditional UpdateItem, so a second
  verification finds nothing to verify. A correction of an issued permit in force reprices it in the same write
  (`permits.corrections`: the difference for the months left charged through a payments order the resident pays from
  the manage link, or refunded; the resident emailed); otherwise the price stays as registered or paid.
- `check_evidence(reference, ...)`: an application's uploaded documents (permits.evidence) verified or rejected with
  a note; one conditional UpdateItem carrying the `permit-evidence-checked` event, on which the issuer issues (or
  refunds) a paid application held for them.
- `revoke(key, ..., refund)`: `PermitsStore.end(REVOKED)`: the status, the VRM guard released, the household counter
  lowered and the `outbox` event `permit-ended` (ids, dates and the refund's amount, never the reason) in one
  transaction. The enforcement look-up then answers `no-permit`, and the devices' feed carries the revocation. Staff
  choose the refund: `none`, or `unused-months`, the zone's cancellation rule as the resident's cancellation
  (`permits.changes.ending_refund`), kept on the application in the same transaction and asked of payments'
  `refund-order` split across the permit's payments (keys `revoke:<reference>:<order>`), so finance sees it.

Who may do what is the console's (roles.yaml `view-permits`, `manage-permits`), which audits each call before it
makes it; this function is invoked by the console alone (an exact invoke grant). Staff are passed as Cognito subs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from botocore.exceptions import ClientError

from permits import evidence
from permits.application import ISSUED, DeclaredVehicle, InvalidApplication
from permits.assisted import assisted_words
from permits.changes import PermitNotChangeable, ending_refund, parts_of, refund_parts
from permits.changes_store import ChangesStore, application_key
from permits.corrections import CorrectionNotMade, Corrections
from permits.pricing import pounds
from permits.refund_client import Refunder
from permits.refund_parts import allocate, ledger_of, refunded
from permits.store import Permit, PermitNotActive, PermitsStore, Status
from permits.vrm import InvalidVrm, parse_vrm
from permits.zones import ZonesFile
from shared import outbox
from shared.dynamo_values import plain
from shared.events import EventType, derived_id, new_event
from shared.references import normalise_reference

NOTE_MAX = 500  # a verification note or a revocation reason
SEARCHES = ("vrm", "reference", "uprn")
OUTCOMES = ("confirmed", "corrected")
NO_REFUND, UNUSED_MONTHS = "none", "unused-months"
REFUNDS = (NO_REFUND, UNUSED_MONTHS)  # a revocation's refund, chosen by staff
LONDON = ZoneInfo("Europe/London")
_PERMIT_ID = re.compile(r"^[0-9a-f]{32}$")
SOURCE = "permits"


class StaffRefused(ValueError):
    """A request staff can put right: `field` names the form field (the console's error summary links to it)."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status, self.field = status, field


@dataclass(frozen=True)
class StaffRef:
    subject: str  # Cognito sub
    roles: frozenset[str] = frozenset()  # their console roles


def staff_ref(data: Any, *, may: frozenset[str] | None = None) -> StaffRef:
    """The member of staff the console names; with `may`, one of whose roles must be among those (else 403)."""
    subject = str((data or {}).get("subject", "")) if isinstance(data, dict) else ""
    if not subject or len(subject) > 128:
        raise StaffRefused(400, "", "No member of staff was named.")
    roles = frozenset(str(r) for r in (data.get("roles") or []) if isinstance(r, str))
    if may is not None and not roles & may:
        raise StaffRefused(403, "", "Only staff with the manage-permits permission may change permits.")
    return StaffRef(subject, roles)


def _text(value: Any, field: str, what: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise StaffRefused(400, field, f"Enter {what}")
    if len(text) > NOTE_MAX:
        raise StaffRefused(400, field, f"{what[0].upper()}{what[1:]} must be {NOTE_MAX} characters or fewer")
    return text


class StaffPermits:
    def __init__(
        self,
        *,
        table: Any,
        zones: ZonesFile,
        refund: Refunder | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        register_order: Callable[[str, str, str, int], None] | None = None,
    ) -> None:
        """`table` is the Permits table (a boto3 Table); its permits are ended through `PermitsStore`; a correction
        reprices through payments' `register-order` and `refund-order` (permits.corrections); `refund` also asks
        payments for a revocation's refund (None: a revocation with a refund is refused)."""
        self.store, self._table, self.zones, self._clock = PermitsStore(table), table, zones, clock
        self.corrections = Corrections(table=table, zones=zones, register_order=register_order, refund=refund,
                                       clock=clock)  # fmt: skip
        self._refund = refund

    @property
    def table(self) -> Any:
        """The Permits table (the visitor wallets' too: permits.wallet_staff)."""
        return self._table

    # -- finding ---------------------------------------------------------------------------------------------------
    def search(self, by: str, value: str) -> list[dict[str, Any]]:
        """Summaries of what matches (newest first); raises StaffRefused for a value that cannot match anything."""
        typed = str(value or "").strip()[:64]
        if by == "vrm":
            try:
                mark = parse_vrm(typed).value
            except InvalidVrm:
                raise StaffRefused(
                    400, "vrm", "Enter a registration mark in the correct format, like AB12 CDE"
                ) from None
            return self._newest([self._summary(permit=_permit_fields(p)) for p in self.store.by_vrm(mark)[0]])
        if by == "reference":
            if self._key_kind(typed) is None:
                raise StaffRefused(
                    400, "reference", "Enter an application reference like 7KXM-3RAH, or a permit's 32-character id"
                )
            found = self.record(typed)
            return [found["summary"]] if found else []
        if by == "uprn":
            if not typed.isdigit() or len(typed) > 12:
                raise StaffRefused(400, "uprn", "Enter the address's UPRN: up to 12 digits")
            permits = self.store.household_permits(typed)
            return self._newest([self._summary(permit=_permit_fields(p)) for p in permits])
        raise StaffRefused(400, "", f"Search by one of {', '.join(SEARCHES)}.")

    @staticmethod
    def _key_kind(key: str) -> str | None:
        if normalise_reference(key[:32]):
            return "reference"
        if _PERMIT_ID.match(key.lower()):
            return "permit"
        return None

    def record(self, key: str) -> dict[str, Any] | None:
        """An application (by its reference) or a permit (by its id), with the other half when there is one."""
        kind = self._key_kind(key)
        application: dict[str, Any] | None = None
        permit: dict[str, Any] | None = None
        if kind == "reference":
            reference = normalise_reference(key[:32]) or ""
            application = self.store.get_application(reference)
            if application and application.get("permit_id"):
                permit = self._permit_item(str(application["permit_id"]))
        elif kind == "permit":
            permit = self._permit_item(key.lower())
            if permit and permit.get("reference"):
                application = self.store.get_application(str(permit["reference"]))
        if application is None and permit is None:
            return None
        return self._describe(application, permit)

    def _permit_item(self, permit_id: str) -> dict[str, Any] | None:
        found = self._table.get_item(Key={"pk": f"PERMIT#{permit_id}", "sk": "PERMIT"}).get("Item")
        return dict(found) if found else None

    # -- verifying declared details --------------------------------------------------------------------------------
    def verify(
        self, reference: str, *, staff: StaffRef, outcome: str, note: Any, vehicle: Any = None, correlation_id: str = ""
    ) -> dict[str, Any]:
        canonical = normalise_reference(str(reference)[:32])
        application = self.store.get_application(canonical) if canonical else None
        if application is None:
            raise StaffRefused(404, "", "There is no application with this reference.")
        if outcome not in OUTCOMES:
            raise StaffRefused(400, "outcome", "Select whether the declared details are right or need correcting")
        text = _text(note, "note", "a note saying how you checked the details")
        before = dict(application.get("vehicle") or {})
        check: dict[str, Any] = {"outcome": outcome, "by": staff.subject, "at": self._now(), "note": text}
        values: dict[str, Any] = {":no": False, ":yes": True, ":check": check}
        sets = "needs_verification = :no, verification = :check"
        corrected: dict[str, Any] | None = None
        if outcome == "corrected":
            corrected = _corrected(vehicle)
            check["declared"] = before  # what the resident said, kept beside the correction
            values[":vehicle"] = corrected
            sets += ", vehicle = :vehicle"
        update = {"Key": {"pk": f"APPLICATION#{canonical}", "sk": "APPLICATION"}, "UpdateExpression": f"SET {sets}",
                  "ConditionExpression": "needs_verification = :yes", "ExpressionAttributeValues": values}  # fmt: skip
        if (
            corrected is not None
            and application.get("needs_verification")
            and self.corrections.repriceable(application)
        ):
            try:
                repriced = self.corrections.correct(application, corrected, update, correlation_id)
            except CorrectionNotMade:
                raise StaffRefused(503, "", "Payments could not take the charge for the corrected details, so nothing "
                                   "was changed. Try again later.") from None  # fmt: skip
            except PermitNotChangeable as error:
                raise StaffRefused(409, "", str(error)) from None
            if repriced is None:
                raise StaffRefused(409, "", "This permit changed meanwhile, or its details were verified already: "
                                   "nothing was changed.")  # fmt: skip
            found = self.record(str(canonical))
            assert found is not None
            return found
        try:
            self._table.update_item(**update)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            raise StaffRefused(409, "", "These details need no verification: they came from DVLA, or were verified "
                               "already.") from None  # fmt: skip
        found = self.record(str(canonical))
        assert found is not None
        return found

    # -- checking uploaded evidence (permits.evidence) ------------------------------------------------------------
    def check_evidence(
        self, reference: str, *, staff: StaffRef, outcome: str, note: Any, correlation_id: str = ""
    ) -> dict[str, Any]:
        """Verified or rejected, with a note (a rejection's reason): one UpdateItem under `evidence_status =
        awaiting`, with the `permit-evidence-checked` event (reference and outcome only) in the same item, which the
        issuer acts on for a paid application held for it (permits.issuing)."""
        canonical = normalise_reference(str(reference)[:32])
        application = self.store.get_application(canonical) if canonical else None
        if application is None:
            raise StaffRefused(404, "", "There is no application with this reference.")
        if outcome not in evidence.OUTCOMES:
            raise StaffRefused(400, "outcome", "Select whether the documents are verified or rejected")
        what = "the reason the documents are rejected" if outcome == evidence.REJECTED else "how you checked them"
        text = _text(note, "note", what)
        event = new_event(
            EventType.PERMIT_EVIDENCE_CHECKED,
            source=SOURCE,
            correlation_id=correlation_id or "unknown",
            data={"reference": canonical, "outcome": outcome},  # never the note: it stays in the application
            id_=derived_id(f"{canonical}:evidence-checked"),
        )
        check = {"outcome": outcome, "by": staff.subject, "at": self._now(), "note": text}
        try:
            self._table.update_item(
                Key={"pk": f"APPLICATION#{canonical}", "sk": "APPLICATION"},
                UpdateExpression="SET evidence_status = :outcome, evidence_check = :check, #outbox = :event",
                ConditionExpression="evidence_status = :awaiting",
                ExpressionAttributeNames={"#outbox": outbox.ATTRIBUTE},
                ExpressionAttributeValues={
                    ":outcome": outcome, ":check": check, ":awaiting": evidence.AWAITING,
                    ":event": outbox.stored(event),
                },
            )  # fmt: skip
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            raise StaffRefused(409, "", "There are no documents waiting to be checked on this application: none "
                               "were uploaded, or they were checked already.") from None  # fmt: skip
        found = self.record(str(canonical))
        assert found is not None
        return found

    # -- revoking -------------------------------------------------------------------------------------------------
    def revoke(
        self, key: str, *, staff: StaffRef, reason: Any, refund: Any = NO_REFUND, correlation_id: str = ""
    ) -> dict[str, Any]:
        """End the permit as revoked; with `refund` `unused-months`, the zone's cancellation refund (its whole months
        unused from today, less the admin fee) asked of payments as a cancellation's is. Revoking again a permit
        revoked with a refund payments did not make asks for it again (the same keys: one refund)."""
        found = self.record(key)
        if found is None or not found["permit_id"]:
            raise StaffRefused(404, "", "There is no permit with this reference.")
        if found["status"] == Status.REVOKED and found["refund_status"] in ("owed", "not-made"):
            return self._refund_again(found)
        text = _text(reason, "reason", "the reason for revoking the permit")
        if refund not in REFUNDS:
            raise StaffRefused(400, "refund", "Select whether to refund the unused months or make no refund")
        if found["status"] != Status.ACTIVE:
            raise StaffRefused(409, "", "This permit is not active: it has ended already.")
        now = self._clock()
        today = now.astimezone(LONDON).date()
        permit_id, reference = str(found["permit_id"]), str(found["reference"])
        pence, parts, also = self._revocation_refund(found, today) if refund == UNUSED_MONTHS else (0, [], ())
        event = new_event(
            EventType.PERMIT_ENDED,
            source=SOURCE,
            correlation_id=correlation_id or "unknown",
            # ids, dates and the amount only: the reason is staff's text, kept in the permit, never in an event
            data={
                "reference": reference,
                "permit_id": permit_id,
                "ended_on": today.isoformat(),
                "refund_pence": pence,
            },
            id_=derived_id(f"permit:{permit_id}:ended"),
        )
        attributes = {
            "ended_at": now.astimezone(UTC).isoformat(timespec="seconds"),
            "ended_by": staff.subject,
            "end_reason": text,
            outbox.ATTRIBUTE: outbox.stored(event),
        }
        try:
            self.store.end(permit_id, Status.REVOKED, attributes=attributes, also=also)
        except PermitNotActive:
            raise StaffRefused(409, "", "This permit is not active: it has ended already.") from None
        if pence:
            assert self._refund is not None
            refund_parts(ChangesStore(self._table), self._refund, application_key(reference), parts)
        after = self.record(permit_id)
        assert after is not None
        return after

    def _revocation_refund(
        self, found: dict[str, Any], today: date
    ) -> tuple[int, list[dict[str, Any]], tuple[dict[str, Any], ...]]:
        """The refund staff chose (`unused-months`): its amount, its parts and the application's write of it."""
        reference = str(found["reference"])
        application = self.store.get_application(reference) if reference else None
        if application is None or application.get("status") != ISSUED or self._refund is None:
            raise StaffRefused(409, "refund", "This permit has no payment on record to refund: revoke it with no "
                               "refund, and refund it from the payments page if it is owed.")  # fmt: skip
        ended = ending_refund(application, self.zones.zone(str(found["zone"])).cancellation, today)
        ledger = ledger_of(application)
        split = allocate(ledger, ended.pence)
        parts = parts_of(split, "Parking permit revoked", f"revoke:{reference}")
        reasons = ["The permit was revoked, so its unused months are counted from today.", *ended.reasons]
        return ended.pence, parts, (self._refund_kept(reference, ended.pence, reasons, parts, refunded(ledger, split)),)

    def _refund_kept(
        self, reference: str, pence: int, reasons: list[str], parts: list[dict[str, Any]], ledger: list[Any]
    ) -> dict[str, Any]:
        """The application's refund, written in the revocation's transaction (under its status still `issued`)."""
        return {
            "Update": {
                "TableName": self._table.name,
                "Key": application_key(reference),
                "UpdateExpression": "SET refund_pence = :refund, refund_reasons = :reasons, refund_status = :owed, "
                "refund_parts = :parts, ledger = :ledger, refund_for = :revoked",
                "ConditionExpression": "#status = :issued",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":refund": pence,
                    ":reasons": reasons,
                    ":owed": "owed" if pence else "none",
                    ":parts": parts,
                    ":ledger": ledger,
                    ":revoked": "revoked",
                    ":issued": ISSUED,
                },
            }
        }

    def _refund_again(self, found: dict[str, Any]) -> dict[str, Any]:
        reference = str(found["reference"])
        application = self.store.get_application(reference) or {}
        if self._refund is None:
            raise StaffRefused(409, "refund", "Payments is not connected: the refund cannot be asked for again yet.")
        parts = list(application.get("refund_parts") or [])
        refund_parts(ChangesStore(self._table), self._refund, application_key(reference), parts)
        after = self.record(reference)
        assert after is not None
        return after

    # -- what staff see ------------------------------------------------------------------------------------------
    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat(timespec="seconds")

    @staticmethod
    def _newest(summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(summaries, key=lambda s: (s["valid_from"], s["key"]), reverse=True)

    def _zone_name(self, code: str) -> str:
        try:
            return self.zones.zone(code).name
        except KeyError:
            return code

    def _summary(
        self, *, permit: dict[str, Any] | None = None, application: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        source = permit or application or {}
        reference = str((application or {}).get("reference") or (permit or {}).get("reference") or "")
        permit_id = str((permit or {}).get("permit_id") or "")
        vrm = str((permit or {}).get("vrm") or (application or {}).get("mark") or "")
        zone = str((permit or {}).get("zone") or (application or {}).get("permit_zone") or "")
        return {
            "key": reference or permit_id,  # the permit page's address: the application's reference where known
            "reference": reference,
            "permit_id": permit_id,
            "vrm": vrm,
            "vrm_display": _display(vrm),
            "zone": zone,
            "zone_name": self._zone_name(zone),
            "kind": str(source.get("kind", "")),
            "valid_from": str(source.get("valid_from", "")),
            "valid_to": str(source.get("valid_to", "")),
            "status": str((permit or {}).get("status") or (application or {}).get("status") or ""),
        }

    def _describe(self, application: dict[str, Any] | None, permit: dict[str, Any] | None) -> dict[str, Any]:
        summary = self._summary(permit=permit, application=application)
        app = application or {}
        pence = app.get("amount_pence")
        return {
            **summary,
            "summary": summary,
            "application_status": str(app.get("status", "")),
            "months": int(app["months"]) if "months" in app else None,
            "household": str((permit or {}).get("household") or app.get("uprn") or ""),
            "vehicle": {str(k): plain(v) for k, v in dict(app.get("vehicle") or {}).items()},
            "vehicle_source": str(app.get("vehicle_source", "")),
            "needs_verification": bool(app.get("needs_verification", False)),
            "verification": plain(app.get("verification")) if app.get("verification") else None,
            "amount_pence": int(pence) if pence is not None else None,
            "price_now_pence": int(app["price_now_pence"]) if app.get("price_now_pence") is not None else None,
            "pending_correction": str(app.get("pending_correction", "")),
            "amount": pounds(int(pence)) if pence is not None else "",
            "reasons": [str(r) for r in app.get("reasons", [])],
            "end_reason": str((permit or {}).get("end_reason", "")),
            "evidence": [{str(k): plain(v) for k, v in dict(e).items()} for e in app.get("evidence") or []],
            "evidence_status": str(app.get("evidence_status", "")),
            "evidence_check": plain(app.get("evidence_check")) if app.get("evidence_check") else None,
            "refund_pence": int(app.get("refund_pence") or 0),
            "refund": pounds(int(app.get("refund_pence") or 0)),
            "refund_reasons": [str(r) for r in app.get("refund_reasons", [])],
            "refund_status": str(app.get("refund_status", "")),
            "refund_problem": str(app.get("refund_problem", "")),
            "history": _history(app, permit),
        }


def _permit_fields(permit: Permit) -> dict[str, Any]:
    fields = dict(permit.__dict__)
    return {**fields, "kind": str(permit.kind), "status": str(permit.status),
            "valid_from": permit.valid_from.isoformat(), "valid_to": permit.valid_to.isoformat()}  # fmt: skip


def _corrected(vehicle: Any) -> dict[str, Any]:
    try:
        declared = DeclaredVehicle.parse(vehicle)
    except InvalidApplication as error:
        message = str(error)
        field, _, words = message.partition(": ")
        name = field.removeprefix("declared_vehicle.") if field.startswith("declared_vehicle.") else "make"
        raise StaffRefused(400, name, words[:1].upper() + words[1:] if words else message) from None
    values = {
        "make": declared.make,
        "colour": declared.colour,
        "fuel": declared.fuel,
        "co2_g_km": declared.co2_g_km,
        "engine_cc": declared.engine_cc,
    }
    return {k: v for k, v in values.items() if v is not None}


def _history(application: dict[str, Any], permit: dict[str, Any] | None) -> list[dict[str, str]]:
    """What happened, oldest first: applied, paid, issued, verified, ended (from the stored times only)."""
    entries: list[dict[str, str]] = []

    def add(what: str, at: Any, detail: str = "", by: str = "") -> None:
        if at:
            entries.append({"what": what, "at": str(at), "detail": detail, "by": by})

    source = _source_words(str(application.get("vehicle_source", "")))
    made_by = assisted_words(application.get("assisted"))
    by = str((application.get("assisted") or {}).get("staff", ""))
    add("Applied", application.get("created_at"), "; ".join(w for w in (made_by, source) if w), by)
    add(
        "Paid",
        application.get("paid_at"),
        f"payment {application['payment_id']}" if application.get("payment_id") else "",
    )
    add("Issued", application.get("issued_at"))
    add(f"Moved into zone {application.get('permit_zone', '')}", application.get("moved_at"),
        "by the resident: the permit in the old zone surrendered, this one issued (permits.moving)")  # fmt: skip
    if application.get("status") == "paid-not-issued":
        add("Paid but not issued", application.get("paid_at"), str(application.get("reason", "")))
    check = application.get("verification") or {}
    if check:
        detail = "; ".join(w for w in (str(check.get("note", "")), _repricing_words(check.get("repricing"))) if w)
        add(f"Vehicle details {check.get('outcome', 'verified')}", check.get("at"), detail, str(check.get("by", "")))
    checked = application.get("evidence_check") or {}
    if checked:
        add(f"Documents {checked.get('outcome', 'checked')}", checked.get("at"), str(checked.get("note", "")),
            str(checked.get("by", "")))  # fmt: skip
    if application.get("status") == "paid-awaiting-evidence":
        add("Paid: waiting for the documents to be checked", application.get("paid_at"))
    if permit and permit.get("status") in (Status.REVOKED, Status.EXPIRED):
        what = "Revoked" if permit.get("status") == Status.REVOKED else "Expired"
        add(what, permit.get("ended_at") or permit.get("valid_to"), str(permit.get("end_reason", "")),
            str(permit.get("ended_by", "")))  # fmt: skip
        if what == "Revoked" and application.get("refund_for") == "revoked":
            pence = int(application.get("refund_pence") or 0)
            add("Refund on revocation", permit.get("ended_at"),
                f"{pounds(pence)}: {_refund_words(str(application.get('refund_status', '')))}" if pence
                else "no refund due (the zone's cancellation rule)", str(permit.get("ended_by", "")))  # fmt: skip
    return sorted(entries, key=lambda e: e["at"])


def _repricing_words(repricing: Any) -> str:
    if not isinstance(repricing, dict):
        return ""
    pence = int(repricing.get("amount_pence") or 0)
    if pence > 0:
        return f"repriced: {pounds(pence)} to pay by the resident (order {repricing.get('change_reference', '')})"
    if pence < 0:
        return f"repriced: {pounds(-pence)} refunded (correction {repricing.get('change_reference', '')})"
    return "repriced: the price is the same"


def _refund_words(status: str) -> str:
    return {
        "owed": "asked of payments",
        "not-made": "not made by payments yet: revoke again to ask again",
    }.get(status, f"refund {status or 'asked'} at GOV.UK Pay")


def _source_words(source: str) -> str:
    return {
        "dvla": "vehicle details from DVLA",
        "declared": "vehicle details declared (DVLA could not be reached)",
    }.get(source, "")


def _display(vrm: str) -> str:
    try:
        return parse_vrm(vrm).display
    except InvalidVrm:
        return vrm
