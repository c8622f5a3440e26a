"""Evidence of residency and keepership (issue 12 item 3): what the zones file asks for per zone and permit type
(`zones[].evidence`), the application's evidence checked against it, and staff's check of an uploaded document.

For each of `residency` (the resident lives at the address) and `keepership` (they keep the vehicle) a zone's type
asks for nothing, a `declaration` (a tick box with the words below, kept on the application as the resident saw
them) or an `upload` (a document: the resident web takes it through its malware-scanned uploads and names the clean
copy, `uploads/parking-permit/<upload id>` in the web's uploads bucket; this service never reads the bucket).

An application with an upload is `evidence_status: awaiting` until staff verify or reject it (`check`, from the
PermitsStaff function). The rule (permits.issuing): **a permit is issued only when every upload is verified**. Paid
before staff have looked, the application waits as `paid-awaiting-evidence` (no permit, the payment kept); verified,
the permit is issued; rejected (with a reason), what was paid is refunded in full (`paid-not-issued`, reason
`evidence-rejected`). An application with declarations only is issued on payment as before (`declared`).
"""

from __future__ import annotations

import re
from typing import Any

from permits.zones import EvidenceRule, PermitType, Zone
from shared.questions import MAX_UPLOAD_BYTES  # the platform's largest upload (7 MB)
from shared.uploads import PERMIT_EVIDENCE_SERVICE_ID, clean_key

EVIDENCE_SERVICE_ID = PERMIT_EVIDENCE_SERVICE_ID  # the uploads bucket's prefix for permit evidence
KINDS = ("residency", "keepership")
NAMES = {"residency": "Proof that you live at this address", "keepership": "Proof that you keep this vehicle"}
DECLARATIONS = {
    "residency": "I declare that I live at this address and that it is my main home.",
    "keepership": "I declare that I am the registered keeper of this vehicle, or that I keep and use it as a "
    "company or lease vehicle.",
}
DOCUMENTS = {
    "residency": "a council tax bill, tenancy agreement or utility bill from the last 3 months, showing your name "
    "and this address",
    "keepership": "the vehicle's log book (V5C) in your name at this address, or a letter from your employer or "
    "lease company saying you keep and use the vehicle",
}
UPLOAD_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
AWAITING, VERIFIED, REJECTED, DECLARED = "awaiting", "verified", "rejected", "declared"
OUTCOMES = (VERIFIED, REJECTED)
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class InvalidEvidence(ValueError):
    """The application's evidence does not answer what its zone asks: the message names the field."""


def needed(zone: Zone, kind: PermitType) -> dict[str, str]:
    """{evidence kind: "declaration" | "upload"} for the type in the zone (empty: none asked)."""
    rule = zone.evidence.get(kind) or EvidenceRule()
    return {name: method for name in KINDS if (method := getattr(rule, name)) is not None}


def describe(zone: Zone) -> dict[str, list[dict[str, Any]]]:
    """For the resident web (the zone's offer): per type, what is asked, in words, with the upload limits."""
    out: dict[str, list[dict[str, Any]]] = {}
    for kind in zone.permit_types:
        asked = needed(zone, kind)
        if asked:
            out[str(kind)] = [
                {
                    "kind": name,
                    "method": method,
                    "name": NAMES[name],
                    "words": DECLARATIONS[name] if method == "declaration" else DOCUMENTS[name],
                    **({"accept": list(UPLOAD_TYPES), "max_bytes": MAX_UPLOAD_BYTES} if method == "upload" else {}),
                }
                for name, method in asked.items()
            ]
    return out


def checked(zone: Zone, kind: PermitType, given: Any) -> tuple[list[dict[str, Any]], str]:
    """The evidence as it is stored on the application and its status (`awaiting` with an upload, `declared`, or
    "" when none is asked); raises InvalidEvidence naming the field. Evidence not asked for is ignored."""
    asked = needed(zone, kind)
    if not asked:
        return [], ""
    if not isinstance(given, dict):
        raise InvalidEvidence(f"evidence: this permit needs {' and '.join(asked)} evidence.")
    stored: list[dict[str, Any]] = []
    for name, method in asked.items():
        entry = given.get(name)
        if method == "declaration":
            if not isinstance(entry, dict) or entry.get("declared") is not True:
                raise InvalidEvidence(f"evidence.{name}: the resident must make the declaration.")
            stored.append({"kind": name, "method": method, "words": DECLARATIONS[name]})
            continue
        upload = entry.get("upload") if isinstance(entry, dict) else None
        if not isinstance(upload, dict):
            raise InvalidEvidence(f"evidence.{name}: upload a document ({DOCUMENTS[name]}).")
        stored.append({"kind": name, "method": method, **_upload(name, upload)})
    return stored, AWAITING if any(e["method"] == "upload" for e in stored) else DECLARED


def _upload(name: str, upload: dict[str, Any]) -> dict[str, Any]:
    upload_id = str(upload.get("upload_id") or "")
    if not _UPLOAD_ID.match(upload_id):
        raise InvalidEvidence(f"evidence.{name}.upload.upload_id: the id of a scanned-clean upload.")
    content_type = str(upload.get("content_type") or "")
    if content_type not in UPLOAD_TYPES.values():
        raise InvalidEvidence(f"evidence.{name}.upload.content_type: one of {', '.join(UPLOAD_TYPES.values())}.")
    size = upload.get("size_bytes")
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= MAX_UPLOAD_BYTES:
        raise InvalidEvidence(f"evidence.{name}.upload.size_bytes: from 1 byte to {MAX_UPLOAD_BYTES} bytes.")
    filename = re.sub(r"[\x00-\x1f\x7f]", "", str(upload.get("filename") or "")).strip()
    if not filename or len(filename) > 255:
        raise InvalidEvidence(f"evidence.{name}.upload.filename: the file's name (up to 255 characters).")
    return {
        "upload_id": upload_id,
        "key": clean_key(EVIDENCE_SERVICE_ID, upload_id),
        "filename": filename,
        "content_type": content_type,
        "size_bytes": size,
    }


# -- a renewal: the current application's evidence carried forward (issue 12 item 3) ------------------------------
def carried(zone: Zone, kind: PermitType, previous: dict[str, Any]) -> tuple[list[dict[str, Any]], str, Any] | None:
    """The evidence of the application whose permit is renewed (same address, vehicle and type: permits.renewing),
    carried forward when it answers what the zone asks now and was verified or declared: (entries, each with
    `carried_from`; the status; the check, with `carried_from`, or None for declarations). None when it cannot be:
    never checked, rejected, awaiting, the zone asks for more (or asks by upload what was only declared), or the
    keepership was shown for another vehicle (the application's `evidence_vrm` is not its `mark`: changed since)."""
    asked = needed(zone, kind)
    status = str(previous.get("evidence_status") or "")
    if not asked or status not in (VERIFIED, DECLARED):
        return None
    reference = str(previous.get("reference") or "")
    by_kind = {str(e.get("kind")): dict(e) for e in previous.get("evidence") or [] if isinstance(e, dict)}
    entries: list[dict[str, Any]] = []
    for name, method in asked.items():
        entry = by_kind.get(name)
        if entry is None:
            return None
        if method == "upload" and (entry.get("method") == "declaration" or status != VERIFIED):
            return None  # a declaration does not stand for a document, nor an unchecked one for a checked one
        if name == "keepership" and (previous.get("evidence_vrm") or "") != previous.get("mark"):
            return None  # the vehicle was changed since (permits.changes): the evidence was for another one
        entries.append({**entry, "carried_from": entry.get("carried_from") or reference})
    check = previous.get("evidence_check")
    if status == VERIFIED and isinstance(check, dict):
        check = {**check, "carried_from": check.get("carried_from") or reference}
    return entries, status, check if status == VERIFIED else None


# -- an application staff make for a resident (assisted digital, issue 12 item 8) -----------------------------------
SEEN, LATER = "seen", "later"  # the console's choice per kind: seen by staff, or the resident sends it later
MAX_NOTE = 300


def staff_checked(
    zone: Zone, kind: PermitType, given: Any, *, staff: str, at: str
) -> tuple[list[dict[str, Any]], str, dict[str, Any] | None]:
    """Evidence staff record for a resident: per kind asked, `{"seen": {"note"}}` (originals seen face to face, or a
    document emailed or posted: recorded with the member of staff and counted as verified) or `{"later": true}`
    (an upload the resident sends later: the application is `awaiting` until staff check it on the permit page).
    Answers (entries, status, the check when every kind was seen); raises InvalidEvidence naming the field."""
    asked = needed(zone, kind)
    if not asked:
        return [], "", None
    if not isinstance(given, dict):
        raise InvalidEvidence(f"evidence: this permit needs {' and '.join(asked)} evidence.")
    entries: list[dict[str, Any]] = []
    notes: list[str] = []
    for name, method in asked.items():
        found = given.get(name)
        entry: dict[str, Any] = found if isinstance(found, dict) else {}
        if isinstance(entry.get(SEEN), dict):
            note = " ".join(str(entry[SEEN].get("note") or "").split())
            if not note or len(note) > MAX_NOTE:
                what = DOCUMENTS[name] if method == "upload" else "the resident's declaration"
                raise InvalidEvidence(
                    f"evidence.{name}.seen.note: say what you saw ({what}), up to {MAX_NOTE} characters."
                )
            entries.append({"kind": name, "method": method, "seen_by_staff": {"by": staff, "at": at, "note": note}})
            notes.append(f"{name}: {note}")
        elif entry.get(LATER) is True and method == "upload":
            entries.append({"kind": name, "method": method, "to_follow": True})
        else:
            later = " or say the resident will send it later" if method == "upload" else ""
            raise InvalidEvidence(f"evidence.{name}: record what you saw{later}.")
    if any(e.get("to_follow") for e in entries):
        return entries, AWAITING, None
    check = {"outcome": VERIFIED, "by": staff, "at": at, "note": "seen by staff: " + "; ".join(notes)}
    return entries, VERIFIED, check
