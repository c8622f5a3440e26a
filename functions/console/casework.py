"""Case working from the case page: assign (to me, or unassign), change the status the workflow allows, internal
notes and resident updates, reopening with a reason.

Every change goes through the cases service's write path (shared/case_changes.py: the same history entries,
status-changed events and write conditions as the cases API's PATCH; docs/decisions/0008). Every form carries the
case's version; a change made from a stale copy is refused with what changed since, and nothing is overwritten.
Each change is audited before it is written (who, what, when, which case, from where), and a refused one again
with the refusal.

`CaseworkPanel` adds the forms to the case page; `Casework` answers them (POST, CSRF-checked by the guard).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from console import response_templates
from console.app import Page, StaffRequest, redirect
from console.audit import AuditLog
from console.permissions import Permission, StaffMember
from console.team_members import TeamMembers
from shared import case_changes
from shared.case_changes import MAX_TEXT, Editor, StaleCase
from shared.errors import NotFound, ValidationFailed
from shared.observability import logger
from shared.references import normalise_reference
from shared.requests_repo import RequestsRepository
from shared.statuses import Status, can_change, is_closed, staff_label

NOT_CHOSEN_BY_STAFF = case_changes.NOT_CHOSEN_BY_STAFF
# The console writes with UPDATED_NEW: its UpdateItem grant allows no return of attributes it does not write.
RETURN_VALUES = "UPDATED_NEW"

Render = Callable[..., Page]


class CaseworkRefused(Exception):
    """A change the console refuses before anything is written: `status` and a message for the member of staff."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def choices(current: Status) -> list[tuple[str, str]]:
    """The statuses a member of staff may move a case of status `current` to (the workflow's, not payments')."""
    return [(s.value, staff_label(s)) for s in Status if s not in NOT_CHOSEN_BY_STAFF and can_change(current, s)]


def status_change_guard(staff: StaffMember, current: Status, form: dict[str, str]) -> tuple[Status, str, str, str]:
    """The (status, internal note, resident update, reason for reopening) the form asks for, or CaseworkRefused
    saying why not: the staff member's permissions here, the workflow's guards (shared/case_changes.py, the same
    as the cases API's PATCH) checked before the change is audited, and again when it is written."""
    try:
        new = Status(form.get("status", ""))
    except ValueError:
        raise CaseworkRefused(400, "Choose the status to move the case to.") from None
    update, note, reason = (form.get(name, "").strip() for name in ("resident_update", "internal_note", "reason"))
    if update and not staff.may(Permission.RESIDENT_UPDATE):
        raise CaseworkRefused(403, "You do not have permission to send updates to residents.")
    if note and not staff.may(Permission.INTERNAL_NOTE):
        raise CaseworkRefused(403, "You do not have permission to add internal notes.")
    if any(len(text) > MAX_TEXT for text in (update, note, reason)):
        raise CaseworkRefused(422, f"A note, an update or a reason must be {MAX_TEXT} characters or fewer.")
    try:
        case_changes.check_status_change(current, new, resident_update=update, reason=reason)
        if new is Status.REOPENED:
            case_changes.reopening_note(reason, note)
    except ValidationFailed as refused:
        raise CaseworkRefused(422, refused.detail) from None
    return new, note, update, reason


def form_version(form: dict[str, str]) -> int:
    """The case version the form was drawn from (every case form carries one)."""
    text = form.get("version", "")
    if not text.isdigit() or len(text) > 12:
        raise CaseworkRefused(400, "The form is missing the case's version. Reload the case and try again.")
    return int(text)


class CaseworkPanel:
    """The case page's working forms: assignment, status change (with updates and notes), internal note; the
    service's response templates, one of which (`?template=<n>`) fills in the resident update."""

    template = "casework.html"

    def __init__(self, members: TeamMembers | None = None) -> None:
        response_templates.for_service("")  # a wrong templates file fails here, when the console starts
        self.members = members

    def context(self, staff: StaffMember, case: dict[str, Any], request: StaffRequest) -> dict[str, Any]:
        current = Status(case["status"])
        assignee = str(case.get("assignee", ""))
        templates = response_templates.for_service(str(case.get("service_id", "")))
        chosen = request.query.get("template", "")
        prefill = templates[int(chosen)].text if chosen.isdigit() and int(chosen) < len(templates) else ""
        others = []
        if self.members is not None and staff.may(Permission.ASSIGN) and not is_closed(current):
            others = [m for m in self.members.assignable(str(case.get("team", ""))) if m.subject != assignee]
        return {
            "others": others,
            "templates": [template.name for template in templates],
            "prefill": prefill,
            "reference": case["reference"],
            "version": case_changes.version_of(case),
            "closed": is_closed(current),
            "assigned_to": "you" if assignee == staff.subject else str(case.get("assignee_email", "")),
            "assigned": bool(assignee),
            "mine": assignee == staff.subject,
            "choices": choices(current),
            "may_assign": staff.may(Permission.ASSIGN),
            "may_change_status": staff.may(Permission.CHANGE_STATUS),
            "may_note": staff.may(Permission.INTERNAL_NOTE),
            "may_update": staff.may(Permission.RESIDENT_UPDATE),
            "max_text": MAX_TEXT,
        }


class Casework:
    """The views of the case page's forms (named by console/routes.py)."""

    def __init__(
        self, requests: RequestsRepository, audit: AuditLog, render: Render, members: TeamMembers | None = None
    ) -> None:
        self.requests, self.audit, self.render, self.members = requests, audit, render, members

    def assign_case(self, request: StaffRequest, reference: str) -> Page:
        def change(staff: StaffMember, item: dict[str, Any], version: int) -> tuple[str, str, Callable[[], Any]]:
            assignee, detail = self._assignee(staff, item, request.form)
            return (
                "assign",
                detail,
                lambda: case_changes.assign(
                    item, assignee, by=_editor(staff), expected_version=version, **self._write_options()
                ),
            )

        return self._change(request, reference, change)

    def change_case_status(self, request: StaffRequest, reference: str) -> Page:
        def change(staff: StaffMember, item: dict[str, Any], version: int) -> tuple[str, str, Callable[[], Any]]:
            new, note, update, reason = status_change_guard(staff, Status(item["status"]), request.form)
            parts = [f"to {new.value}"] + (["with a resident update"] if update else [])
            parts += ["with an internal note"] if note else []
            return (
                "reopen" if new is Status.REOPENED else "change-status",
                " ".join(parts),
                lambda: case_changes.change_status(
                    item,
                    new,
                    by=_editor(staff),
                    correlation_id=logger.get_correlation_id() or "console",
                    internal_note=note,
                    resident_update=update,
                    reason=reason,
                    expected_version=version,
                    **self._write_options(),
                ),
            )

        return self._change(request, reference, change)

    def add_case_note(self, request: StaffRequest, reference: str) -> Page:
        def change(staff: StaffMember, item: dict[str, Any], version: int) -> tuple[str, str, Callable[[], Any]]:
            note = request.form.get("note", "").strip()
            if not note:
                raise CaseworkRefused(422, "Enter the internal note.")
            if len(note) > MAX_TEXT:
                raise CaseworkRefused(422, f"The internal note must be {MAX_TEXT} characters or fewer.")
            if is_closed(Status(item["status"])):
                raise CaseworkRefused(422, "This case is closed. Reopen it, with a reason, to add a note.")
            return (
                "internal-note",
                "",
                lambda: case_changes.add_internal_note(
                    item, note, by=_editor(staff), expected_version=version, **self._write_options()
                ),
            )

        return self._change(request, reference, change)

    def _assignee(self, staff: StaffMember, item: dict[str, Any], form: dict[str, str]) -> tuple[Editor | None, str]:
        """Who the assign form names (me, nobody, or a member of the case's team who works cases) and the audit's
        words for it (a Cognito sub, not a name)."""
        wanted = form.get("assign", "")
        if wanted == "me":
            return Editor(staff.subject, staff.email), "assigned to themself"
        if wanted == "nobody":
            return None, "unassigned"
        if wanted == "other" and self.members is not None:
            member = self.members.find(str(item.get("team", "")), form.get("assignee", "")[:64])
            if member is None:
                raise CaseworkRefused(400, "Choose a member of the case's team to assign it to.")
            return Editor(member.subject, member.email), f"assigned to {member.subject}"
        raise CaseworkRefused(400, "Choose who to assign the case to.")

    def _write_options(self) -> dict[str, Any]:
        return {"repository": self.requests, "return_values": RETURN_VALUES}

    def _change(
        self,
        request: StaffRequest,
        reference: str,
        change: Callable[[StaffMember, dict[str, Any], int], tuple[str, str, Callable[[], Any]]],
    ) -> Page:
        """Read the case (one of the staff member's teams', else not found), check the form, audit the change,
        make it; a refusal is a page saying why, a stale version the conflict page with what changed."""
        assert request.staff is not None  # the guard let only signed-in staff with the route's permission through
        staff = request.staff
        item = self._case(staff, reference)
        if item is None:
            return self._refused(request, 404, "None of your teams has a case with that reference.")
        case_page = f"/staff/cases/{item['reference']}"
        try:
            version = form_version(request.form)
            if version != case_changes.version_of(item):  # before the guards: they would judge a case not seen
                return self._conflict(request, StaleCase(item, version), case_page)
            action, detail, write = change(staff, item, version)
        except CaseworkRefused as refused:
            return self._refused(request, refused.status, refused.message, case_page)
        self.audit.record(staff, action, item["reference"], source_ip=request.source_ip, detail=detail)
        try:
            write()
        except StaleCase as stale:  # changed between this read and the write
            self.audit.record(staff, f"{action}-refused", item["reference"], source_ip=request.source_ip)
            return self._conflict(request, stale, case_page)
        except ValidationFailed as failed:
            self.audit.record(staff, f"{action}-refused", item["reference"], source_ip=request.source_ip)
            return self._refused(request, 422, failed.detail or str(failed), case_page)
        except Exception:
            # The entry above stands for an attempt: say it failed (the error page follows either way).
            self.audit.record(staff, f"{action}-failed", item["reference"], source_ip=request.source_ip)
            raise
        return redirect(case_page)

    def _conflict(self, request: StaffRequest, stale: StaleCase, case_page: str) -> Page:
        """What changed since the form's version, and what the member of staff typed (not saved, not lost)."""
        yours = [(_FIELDS[name], request.form[name]) for name in _FIELDS if request.form.get(name, "").strip()]
        return self.render(
            "conflict.html",
            request,
            status=409,
            message=str(stale),
            changes=stale.changes,
            case_page=case_page,
            yours=yours,
        )

    def _case(self, staff: StaffMember, reference: str) -> dict[str, Any] | None:
        canonical = normalise_reference(reference[:32])
        try:
            item = case_changes.load(canonical, self.requests) if canonical else None
        except NotFound:
            return None
        return item if item is not None and staff.works_for(item.get("team")) else None

    def _refused(self, request: StaffRequest, status: int, message: str, back: str = "") -> Page:
        return self.render(
            "message.html",
            request,
            status=status,
            title=_TITLES.get(status, "There is a problem"),
            message=message,
            back=back,
        )


# The words a member of staff typed into a case form: shown back on the conflict page, so nothing typed is lost.
_FIELDS = {
    "resident_update": "Update for the resident",
    "internal_note": "Internal note",
    "note": "Internal note",
    "reason": "Reason for reopening",
}
_TITLES = {400: "Sorry, there is a problem", 403: "You cannot do that", 404: "No case found"}


def _editor(staff: StaffMember) -> Editor:
    return Editor(staff.subject, staff.email)
