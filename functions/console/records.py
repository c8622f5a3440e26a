"""The console's records section: search by reference, postcode or email (`/staff/search`), and the subject access
export (`/staff/subject-access`).

Both take personal data (a postcode, an email) by POST, never in the URL (access logs keep URLs). Neither reads
the table whole: a postcode or email is found through its keyed hash's index (shared/search_keys.py,
console/search_index.py), a reference by one GetItem. Every search and every export is audited before its answer
(who, what kind was searched, the key, what was found; never the value in clear); if the entry cannot be written,
nothing is shown.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from console.app import Page, StaffRequest
from console.audit import AuditLog
from console.pages import Pages, _staff, uk_today
from console.queue import CaseQueue
from console.search_index import SearchIndex
from shared import outbox
from shared.contact import normalise_email
from shared.search_keys import EMAIL_KEY, POSTCODE_KEY, Search, SearchKeys, SearchKind, recognise

MAX_RESULTS = 50  # cases one search shows, newest first
SEARCH_HINT = "A case reference like 7KXM-3RAH, a full postcode like ME15 6JQ, or an email address"
NOT_RECOGNISED = "Enter a case reference like 7KXM-3RAH, a full postcode like ME15 6JQ, or an email address"
NOT_AN_EMAIL = "Enter the resident's email address in the correct format, like name@example.com"
# Plumbing of the request item that is no information about the resident: left out of an export.
_NOT_EXPORTED = frozenset({outbox.ATTRIBUTE, POSTCODE_KEY, EMAIL_KEY})


def key_record(kind: SearchKind, key: str) -> str:
    """The audit record of searches by one postcode or email key (`email-key#<hex>`): a resident's subject access
    export includes the searches for their email."""
    return f"{kind.value}-key#{key}"


class Records:
    def __init__(
        self,
        pages: Pages,
        cases: CaseQueue,
        index: SearchIndex,
        audit: AuditLog,
        keys: Callable[[], SearchKeys],
    ) -> None:
        self.pages, self.cases, self.index, self.audit, self.keys = pages, cases, index, audit, keys

    # -- search ----------------------------------------------------------------------------------------------------
    def search_form(self, request: StaffRequest) -> Page:
        return self.pages.render("search.html", request, hint=SEARCH_HINT, searched=None)

    def search(self, request: StaffRequest, *, today: date | None = None) -> Page:
        """The staff member's teams' cases with the typed reference, postcode or email (newest first)."""
        staff = _staff(request)
        found = recognise(request.form.get("q", ""))
        if found is None:
            return self.pages.render("search.html", request, status=400, hint=SEARCH_HINT, error=NOT_RECOGNISED)
        if found.kind is SearchKind.REFERENCE:
            record, details = found.value, {"kind": found.kind.value}  # a reference is no personal data
            case = self.cases.find(found.value)
            cases = [case] if case is not None else []
        else:
            key = self.keys().of(found)
            record, details = key_record(found.kind, key), {"kind": found.kind.value, "key": key}
            cases = list(self.index.newest(found.kind, key))
        mine = [case for case in cases if case.get("due_date") and staff.works_for(case.get("team"))]
        shown = mine[:MAX_RESULTS]
        found_references = [str(case["reference"]) for case in shown]
        # Before the answer: a search that cannot be accounted for shows nothing.
        self.audit.record(
            staff,
            f"search-{found.kind.value}",
            record,
            source_ip=request.source_ip,
            details={**details, "found": found_references},
        )
        today = today or uk_today()
        return self.pages.render(
            "search.html",
            request,
            hint=SEARCH_HINT,
            searched=_described(found),
            kind=found.kind.value,
            rows=self.pages.rows(shown, today),
            more=len(mine) > MAX_RESULTS,
        )

    # -- subject access ------------------------------------------------------------------------------------------
    def subject_access_form(self, request: StaffRequest) -> Page:
        return self.pages.render("subject_access.html", request)

    def subject_access(self, request: StaffRequest) -> Page:
        """A JSON download of every request with the resident's email key (whatever the team): answers, contact,
        history with resident updates, internal notes, and each request's audit trail; the searches for that
        email too. The export is audited (on the email's record and each request's) before any request is read:
        the index gives the references (and the queue's fields) only."""
        staff = _staff(request)
        email = normalise_email(request.form.get("email", "")[:254])
        if email is None:
            return self.pages.render("subject_access.html", request, status=400, error=NOT_AN_EMAIL)
        key = self.keys().email(email)
        references = self.index.references(SearchKind.EMAIL, key)
        moment = datetime.now(UTC)
        details = {"key": key, "found": references}
        searches = key_record(SearchKind.EMAIL, key)
        for record in (searches, *references):
            self.audit.record(
                staff, "export-subject-access", record, source_ip=request.source_ip, at=moment, details=details
            )
        requests = []
        for reference in references:
            case = self.cases.case(reference)
            if case is not None:
                requests.append(_exported(case, self.audit.trail(reference)))
        document = {
            "generated_at": moment.isoformat(timespec="seconds"),
            "generated_by": staff.subject,
            "found_by": "email",
            "requests": requests,
            "audit_of_this_email": self.audit.trail(searches),  # staff's searches for it, and its exports
        }
        return Page(
            200,
            json.dumps(document, default=_json_value, indent=2, sort_keys=True),
            headers={
                "content-type": "application/json; charset=utf-8",
                "content-disposition": f'attachment; filename="subject-access-{moment:%Y%m%d-%H%M%S}.json"',
            },
        )


def _described(search: Search) -> str:
    """What was searched for, for the page only (the staff member typed it): `postcode ME15 6JQ`."""
    return f"{search.kind.value} {search.value}"


def _exported(case: dict[str, Any], audit: list[dict[str, Any]]) -> dict[str, Any]:
    exported = {name: value for name, value in case.items() if name not in _NOT_EXPORTED}
    exported["resident_updates"] = [
        {"at": entry.get("at"), "status": entry.get("status"), "update": entry["update"]}
        for entry in case.get("history", [])
        if entry.get("update")
    ]
    exported["audit"] = audit
    return exported


def _json_value(value: Any) -> Any:
    """DynamoDB's numbers (Decimal) and sets as JSON."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not exported")
