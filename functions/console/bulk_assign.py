"""Bulk assign from the queue: the cases a member of staff ticks, assigned to themself or to a member of the
cases' team who works cases, at most `MAX_CASES` per submission.

Each ticked case is a checkbox `case:<reference>` whose value is the version the queue showed (console/queue.py
`CaseQueue.versions`), and each goes through the per-case path (shared/case_changes.py `assign`, as the case page's
assign form does): the team check, a version check against what the queue showed, the write conditional on that
version, an `assign` audit entry before the write (and `assign-refused` or `assign-failed` after it if it did not
happen). A case that is not one of the staff member's teams', changed since the queue was shown, closed, already
with that person, or of a team the chosen person does not work for is skipped: never overwritten.

A submission that cannot be read (no case ticked, more than `MAX_CASES`, a tampered field) is refused whole and
assigns nothing. Otherwise the answer is a redirect (POST, then GET: a reload does not assign again) to a page that
says which cases were assigned and which were not, and why; the outcome waits for it in a signed, short-lived
cookie bound to the member of staff (references and reasons only, no case data).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from console import session
from console.app import Page, StaffRequest, redirect
from console.audit import AuditLog
from console.permissions import StaffMember
from console.team_members import TeamMembers
from shared import case_changes
from shared.case_changes import Editor, StaleCase
from shared.errors import NotFound, ValidationFailed
from shared.observability import logger
from shared.references import normalise_reference
from shared.requests_repo import RequestsRepository
from shared.statuses import Status, is_closed

MAX_CASES = 50  # cases one submission may assign
CASE_FIELD = "case:"  # a ticked case: `case:<reference>`, its value the version the queue showed
ME = "me"
RESULT_PATH = "/staff/cases/bulk-assign"
RESULT_COOKIE = "borough_staff_bulk_assign"
RESULT_SECONDS = 10 * 60
RETURN_VALUES = "UPDATED_NEW"  # as console/casework.py: the console's UpdateItem grant allows no more

Render = Callable[..., Page]


class Outcome(StrEnum):
    ASSIGNED = "assigned"
    NOT_YOURS = "not-yours"
    CHANGED = "changed"
    CLOSED = "closed"
    NOT_IN_TEAM = "not-in-team"
    ALREADY = "already"
    REFUSED = "refused"
    FAILED = "failed"
    NOT_TRIED = "not-tried"


# Why a case was not assigned, in the result page's words.
REASONS = {
    Outcome.NOT_YOURS: "None of your teams has a case with this reference.",
    Outcome.CHANGED: "Someone else changed this case after the queue was shown: nothing was overwritten. "
    "Open the case to see what changed.",
    Outcome.CLOSED: "This case is closed: it can only be reopened, with a reason, from its page.",
    Outcome.NOT_IN_TEAM: "The person you chose does not work cases for this case's team.",
    Outcome.ALREADY: "This case is already assigned to them.",
    Outcome.REFUSED: "The change was refused. Open the case to see why.",
    Outcome.FAILED: "The change could not be saved. Try again.",
    Outcome.NOT_TRIED: "Not tried: an earlier case could not be saved. Try again.",
}


class BulkRefused(Exception):
    """A submission refused whole, before anything is written: `status` and a message for the member of staff."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class Selection:
    cases: tuple[tuple[str, int], ...]  # (reference, version the queue showed), in the order ticked
    assignee: str  # ME, or the Cognito sub of a member of the cases' team


@dataclass(frozen=True)
class BulkResult:
    assignee: str  # "you", or the email of the member of staff chosen
    outcomes: tuple[tuple[str, Outcome], ...]

    @property
    def assigned(self) -> list[str]:
        return [reference for reference, outcome in self.outcomes if outcome is Outcome.ASSIGNED]

    @property
    def skipped(self) -> list[tuple[str, str]]:
        return [
            (reference, REASONS[outcome]) for reference, outcome in self.outcomes if outcome is not Outcome.ASSIGNED
        ]


def selection(form: dict[str, str]) -> Selection:
    """The ticked cases and the chosen assignee of a bulk assign form, or BulkRefused saying why not."""
    ticked = [(name.removeprefix(CASE_FIELD), value) for name, value in form.items() if name.startswith(CASE_FIELD)]
    if not ticked:
        raise BulkRefused(400, "Select at least one case to assign.")
    if len(ticked) > MAX_CASES:
        raise BulkRefused(
            422, f"You selected {len(ticked)} cases. Assign at most {MAX_CASES} at a time: nothing was assigned."
        )
    cases: dict[str, int] = {}
    for typed, version in ticked:
        reference = normalise_reference(typed[:32])
        if reference is None or not version.isdigit() or len(version) > 12:
            raise BulkRefused(400, "The form could not be read: nothing was assigned. Reload the queue and try again.")
        cases.setdefault(reference, int(version))
    assignee = form.get("assignee", "").strip()
    if not assignee or len(assignee) > 64:
        raise BulkRefused(400, "Choose who to assign the selected cases to.")
    return Selection(tuple(cases.items()), assignee)


class BulkAssign:
    """The bulk assignment itself: plain logic over the cases service's write path (tests call it directly)."""

    def __init__(self, requests: RequestsRepository, audit: AuditLog, members: TeamMembers | None) -> None:
        self.requests, self.audit, self.members = requests, audit, members

    def run(self, staff: StaffMember, chosen: Selection, *, source_ip: str) -> BulkResult:
        batch = str(uuid.uuid4())  # ties the audit entries of one submission together
        label = "you" if chosen.assignee == ME else ""
        outcomes: list[tuple[str, Outcome]] = []
        for position, (reference, version) in enumerate(chosen.cases):
            try:
                outcome, who = self._one(staff, reference, version, chosen.assignee, source_ip=source_ip, batch=batch)
            except Exception:
                logger.exception("Bulk assign stopped: a case could not be saved", extra={"reference": reference})
                outcomes.append((reference, Outcome.FAILED))
                outcomes += [(later, Outcome.NOT_TRIED) for later, _ in chosen.cases[position + 1 :]]
                break
            label = label or who
            outcomes.append((reference, outcome))
        return BulkResult(label or "the member of staff you chose", tuple(outcomes))

    def _one(
        self, staff: StaffMember, reference: str, version: int, wanted: str, *, source_ip: str, batch: str
    ) -> tuple[Outcome, str]:
        """One case through the per-case path: its outcome, and the chosen assignee's email if they were found."""
        item = self._case(staff, reference)
        if item is None:
            return Outcome.NOT_YOURS, ""
        if version != case_changes.version_of(item):
            return Outcome.CHANGED, ""
        if is_closed(Status(item["status"])):
            return Outcome.CLOSED, ""
        assignee, detail = self._assignee(staff, item, wanted)
        if assignee is None:
            return Outcome.NOT_IN_TEAM, ""
        who = "" if wanted == ME else assignee.email
        if item.get("assignee") == assignee.subject:
            return Outcome.ALREADY, who
        details = {"bulk_assignment": batch}
        self.audit.record(staff, "assign", reference, source_ip=source_ip, detail=detail, details=details)
        try:
            case_changes.assign(
                item,
                assignee,
                by=Editor(staff.subject, staff.email),
                expected_version=version,
                repository=self.requests,
                return_values=RETURN_VALUES,
            )
        except StaleCase:  # changed between this read and the write
            self.audit.record(staff, "assign-refused", reference, source_ip=source_ip, details=details)
            return Outcome.CHANGED, who
        except ValidationFailed:
            self.audit.record(staff, "assign-refused", reference, source_ip=source_ip, details=details)
            return Outcome.REFUSED, who
        except Exception:
            self.audit.record(staff, "assign-failed", reference, source_ip=source_ip, details=details)
            raise
        return Outcome.ASSIGNED, who

    def _case(self, staff: StaffMember, reference: str) -> dict[str, Any] | None:
        try:
            item = case_changes.load(reference, self.requests)
        except NotFound:
            return None
        return item if staff.works_for(item.get("team")) else None

    def _assignee(self, staff: StaffMember, item: dict[str, Any], wanted: str) -> tuple[Editor | None, str]:
        """The Editor the case is to go to (None: not someone who works this case's team's cases) and the audit's
        words for it (a Cognito sub, not a name), as the case page's assign form has them."""
        if wanted == ME:
            return Editor(staff.subject, staff.email), "assigned to themself (bulk)"
        member = self.members.find(str(item.get("team", "")), wanted) if self.members is not None else None
        if member is None:
            return None, ""
        return Editor(member.subject, member.email), f"assigned to {member.subject} (bulk)"


def result_cookie(signer: session.Signer, staff: StaffMember, result: BulkResult, *, now: float | None = None) -> Any:
    """The outcome, for the result page only: signed, bound to this member of staff, ten minutes long."""
    payload = {
        "s": staff.subject,
        "e": int((now or time.time()) + RESULT_SECONDS),
        "to": result.assignee,
        "o": [[reference, outcome.value] for reference, outcome in result.outcomes],
    }
    encoded = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
    return session.cookie(RESULT_COOKIE, f"{encoded}.{signer.sign('bulk-assign', encoded)}", RESULT_SECONDS)


def read_result(
    signer: session.Signer, staff: StaffMember, value: str, *, now: float | None = None
) -> BulkResult | None:
    """The outcome in an untampered, unexpired cookie of this member of staff's, else None."""
    encoded, _, signature = value.partition(".")
    if not encoded or not signer.matches("bulk-assign", encoded, signature):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        outcomes = tuple((str(reference), Outcome(code)) for reference, code in data["o"])
    except (ValueError, KeyError, TypeError):
        return None
    if data.get("s") != staff.subject or int(data.get("e", 0)) < (now or time.time()):
        return None
    return BulkResult(str(data.get("to", "")), outcomes)


class BulkAssignPages:
    """The views (named by console/routes.py): the queue's bulk assign form's POST, and the result page."""

    def __init__(self, bulk: BulkAssign, signer: session.Signer, render: Render) -> None:
        self.bulk, self.signer, self.render = bulk, signer, render

    def bulk_assign(self, request: StaffRequest) -> Page:
        assert request.staff is not None  # the guard let only signed-in staff with `assign` through, CSRF checked
        try:
            chosen = selection(request.form)
        except BulkRefused as refused:
            return self.render(
                "message.html",
                request,
                status=refused.status,
                title="No cases were assigned",
                message=refused.message,
                back="/staff/cases",
                back_text="Back to the cases",
            )
        result = self.bulk.run(request.staff, chosen, source_ip=request.source_ip)
        return redirect(RESULT_PATH, [result_cookie(self.signer, request.staff, result)])

    def bulk_assign_result(self, request: StaffRequest) -> Page:
        assert request.staff is not None
        result = read_result(self.signer, request.staff, request.cookies.get(RESULT_COOKIE, ""))
        if result is None:
            return self.render(
                "message.html",
                request,
                title="No bulk assignment to show",
                message=(
                    "There is no recent bulk assignment of yours to show. Select cases on the queue to assign them."
                ),
                back="/staff/cases",
                back_text="Back to the cases",
            )
        return self.render("bulk_assigned.html", request, result=result)
