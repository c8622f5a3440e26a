"""The console's pages: the sign-in journey (authorization code with PKCE), the staff member's home, the queue."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from console import session
from console.app import Guard, Page, StaffRequest, redirect
from console.audit import AuditLog
from console.navigation import navigation
from console.oauth import OAuthFailed
from console.permissions import Permission, StaffMember
from console.queue import UNASSIGNED, CaseQueue, QueueFilter, decode_cursor
from console.team_members import TeamMembers
from console.timeline_pages import timeline_page
from console.tokens import TokenRefused, code_challenge, new_code_verifier
from console.views import CasePanel
from shared.catalogue import load_catalogue
from shared.observability import logger
from shared.references import normalise_reference
from shared.requests_repo import VERSION
from shared.sla import clock, uk_date, waiting_since_of
from shared.statuses import Status, staff_label

TEMPLATES = Path(__file__).resolve().parent / "templates"
SAVED_VIEWS = {"mine": "My cases", UNASSIGNED: "Unassigned", "overdue": "Overdue"}
# The channels requests are stored with (the catalogue's CHANNELS, functions/catalogue/logic.py): the web is "online".
CHANNELS = ("online", "phone", "face-to-face", "email", "letter")
# The queue's filters (query parameter: the heading of its MoJ filter tags), as `_filter` applies them. The saved
# view (sub navigation) and the sort (the Due column's header) are not filters: clearing the filters keeps them.
FILTERS = {
    "team": "Team",
    "status": "Status",
    "service": "Service",
    "channel": "Channel",
    "due": "Due",
    "assignee": "Assigned to",
}


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), trim_blocks=True)


class Pages:
    def __init__(
        self,
        guard: Guard,
        queue: CaseQueue,
        audit: AuditLog,
        *,
        council: str,
        stylesheet: str,
        script: str = "",
        panels: Sequence[CasePanel] = (),
        members: TeamMembers | None = None,
        staff_names: Callable[[], Mapping[str, str]] = dict,
    ) -> None:
        self.guard, self.cases, self.audit = guard, queue, audit
        self.council, self.stylesheet, self.script = council, stylesheet, script
        self.panels = tuple(panels)
        self.members = members  # who the queue's bulk assign form offers (console/bulk_assign.py)
        self.staff_names = staff_names  # Cognito sub -> email, for the timeline (console/team_members.py)

    def render(self, template: str, request: StaffRequest | None = None, status: int = 200, **context: Any) -> Page:
        staff = request.staff if request else None
        csrf = self.guard.signer.csrf_token(request.refresh_token) if request and request.refresh_token else ""
        nav = navigation(staff, request.path if request else "")
        body = (
            _environment()
            .get_template(template)
            .render(
                council=self.council,
                stylesheet=self.stylesheet,
                script=self.script,
                staff=staff,
                csrf_token=csrf,
                navigation=nav,
                **context,
            )
        )
        return Page(status, body)

    def refused(self, status: int, message: str) -> Page:
        return self.render("message.html", status=status, title=_TITLES.get(status, "Sorry"), message=message)

    # -- sign-in ---------------------------------------------------------------------------------------------------
    def start(self, request: StaffRequest) -> Page:
        return self.render("start.html", request)

    def sign_in(self, request: StaffRequest) -> Page:
        state, verifier = session.new_state(), new_code_verifier()
        location = self.guard.login.authorize_url(state=state, challenge=code_challenge(verifier))
        return redirect(location, [self.guard.signer.sign_in_cookie(state, verifier)])

    def callback(self, request: StaffRequest) -> Page:
        pending = self.guard.signer.pending_sign_in(request.cookies.get(session.SIGN_IN_COOKIE, ""))
        code, state = request.query.get("code", ""), request.query.get("state", "")
        if pending is None or not code or state != pending[0]:
            return self.refused(400, "The sign-in could not be completed. Start again from the sign-in page.")
        try:
            tokens = self.guard.login.exchange_code(code, pending[1])
            claims = self.guard.verifier.verify_id_token(str(tokens.get("id_token", "")))
        except (OAuthFailed, TokenRefused) as failed:
            logger.info("Staff sign-in refused", extra={"reason": str(failed)})
            return self.refused(400, "The sign-in could not be completed. Start again from the sign-in page.")
        cookies = [session.expired(session.SIGN_IN_COOKIE)]
        cookies += session.session_cookies(str(tokens["id_token"]), tokens.get("refresh_token"))
        staff = StaffMember.from_claims(claims)
        logger.info("Staff signed in", extra={"staff": staff.subject, "roles": sorted(staff.roles)})
        return redirect("/staff/cases" if staff.may(Permission.READ_CASE) else "/staff/home", cookies)

    def sign_out(self, request: StaffRequest) -> Page:
        try:
            self.guard.login.revoke(request.refresh_token)
        except OAuthFailed as failed:  # the cookies go anyway; the refresh token expires with the session
            logger.warning("Refresh token not revoked", extra={"reason": str(failed)})
        # A page, not a redirect: CloudFront's CSP allows forms to reach only this site, and browsers apply
        # form-action to a form's redirects too. The page moves on to Cognito's logout, which ends managed login's
        # own session and comes back to /staff/signed-out.
        page = self.render("signing_out.html", logout_url=self.guard.login.logout_url())
        page.cookies = session.signed_out_cookies()
        return page

    def signed_out(self, request: StaffRequest) -> Page:
        return self.render("message.html", title="You have signed out", message="Sign in again to work on cases.")

    # -- signed in -------------------------------------------------------------------------------------------------
    def home(self, request: StaffRequest) -> Page:
        return self.render("home.html", request, may_read=_staff(request).may(Permission.READ_CASE))

    def queue(self, request: StaffRequest, *, today: date | None = None) -> Page:
        staff = _staff(request)
        today = today or uk_today()
        query = request.query
        kept = {k: v for k, v in query.items() if k not in ("after", "before", "reference") and v}
        next_link = previous_link = ""
        teams = [name for name in _team_names() if staff.works_for(name)]
        if query.get("reference"):
            case = self._search(staff, query["reference"])
            if case is None:
                return self.render("message.html", request, status=404, title="No case found", message=_NO_CASE)
            rows = [_row(case, today)]
        else:
            page = self.cases.page(_filter(staff, query, today), today=today)
            rows = self.rows(page.cases, today, versions=staff.may(Permission.ASSIGN))
            if page.next_cursor:
                next_link = _queue_link(kept, after=page.next_cursor)
            if page.previous_cursor:
                previous_link = _queue_link(kept, before=page.previous_cursor)
        latest_first = kept.get("sort") == "due-latest"
        return self.render(
            "queue.html",
            request,
            rows=rows,
            query=kept,
            teams=teams,
            statuses=[(s.value, staff_label(s)) for s in Status],
            channels=CHANNELS,
            saved_views=SAVED_VIEWS,
            selected_filters=selected_filters(kept, teams, staff.subject),
            clear_filters=_queue_link({k: v for k, v in kept.items() if k not in FILTERS}),
            due_sort="descending" if latest_first else "ascending",
            due_sort_link=_queue_link({**kept, "sort": "" if latest_first else "due-latest"}),
            next_link=next_link,
            previous_link=previous_link,
            **self._bulk_assign(staff, rows, [query["team"]] if query.get("team") in teams else teams),
        )

    def _bulk_assign(self, staff: StaffMember, rows: list[dict[str, Any]], teams: list[str]) -> dict[str, Any]:
        """The queue's bulk assign form, for staff who may assign: each row's checkbox carries the case's version
        (read for the rows shown: the queue's index does not project it); the people offered are the members of the
        teams shown who work cases (each case is still checked against its own team when assigned)."""
        if not rows or not staff.may(Permission.ASSIGN):
            return {"bulk": False}
        if any("version" not in row for row in rows):  # a case found by its reference
            versions = self.cases.versions([row["reference"] for row in rows])
            for row in rows:
                row["version"] = versions.get(row["reference"])
        others: dict[str, Any] = {}
        members = self.members
        for team in teams if members is not None else []:
            for member in members.assignable(team) if members is not None else []:
                if member.subject != staff.subject:
                    others.setdefault(member.subject, member)
        return {"bulk": True, "assignees": sorted(others.values(), key=lambda m: m.email)}

    def rows(self, cases: Sequence[Mapping[str, Any]], today: date, *, versions: bool = False) -> list[dict[str, Any]]:
        """Cases read from an index (which projects neither the version nor when a wait began) as rows: what is
        missing is read in one BatchGetItem, only if a row waits on the resident or `versions` are wanted."""
        wanted = versions or any(case.get("status") == Status.WAITING_FOR_RESIDENT.value for case in cases)
        details = self.cases.details([str(case["reference"]) for case in cases]) if wanted and cases else {}
        rows = []
        for case in cases:
            more = details.get(str(case["reference"]))
            since = (more or {}).get("waiting_since")
            row = _row({**case, "waiting_since": since} if since else dict(case), today)
            if versions:  # a case not read (gone, or throttled) has no checkbox
                row["version"] = int(more.get(VERSION, 0)) if more is not None else None
            rows.append(row)
        return rows

    def case(self, request: StaffRequest, reference: str) -> Page:
        """One case, whole: answers, a page of its timeline (its history and its audit trail, this read included on
        the first page; `older` and `newer` cursors for the others), internal notes. Only for the staff member's
        teams; the read is audited before anything is shown."""
        staff = _staff(request)
        canonical = normalise_reference(reference[:32])
        case = self.cases.case(canonical) if canonical else None
        if case is None or not staff.works_for(case.get("team")):
            return self.render("message.html", request, status=404, title="No case found", message=_NO_CASE)
        self.audit.record(staff, "read-case", case["reference"], source_ip=request.source_ip)
        today = uk_today()
        return self.render(
            "case.html",
            request,
            case=_row(case, today) if case.get("due_date") else {"reference": case["reference"]},
            answers=sorted((str(k), _text(v)) for k, v in (case.get("answers") or {}).items()),
            timeline=self._timeline(request, case, staff),
            notes=case.get("internal_notes", []),
            panels=[(panel.template, panel.context(staff, case, request)) for panel in self.panels],
        )

    def _timeline(self, request: StaffRequest, case: dict[str, Any], staff: StaffMember) -> dict[str, Any]:
        """A page of the case's timeline (console/timeline_pages.py), with the links to the older and newer ones."""
        older, newer = request.query.get("older", ""), request.query.get("newer", "")
        page = timeline_page(case, self.audit, self._names(staff), older=older, newer=newer)
        here = f"/staff/cases/{case['reference']}"

        def link(name: str, cursor: str) -> str:
            return f"{here}?{urllib.parse.urlencode({name: cursor})}#timeline-heading" if cursor else ""

        return {
            "entries": page.items,
            "older_link": link("older", page.older),
            "newer_link": link("newer", page.newer),
            "first": not page.newer,
        }

    def _names(self, staff: StaffMember) -> dict[str, str]:
        """Staff by Cognito sub: the pool's members, and whoever is signed in (from their token)."""
        return {**self.staff_names(), staff.subject: staff.email}

    def _search(self, staff: StaffMember, typed: str) -> dict[str, Any] | None:
        """The case with that reference if one of the staff member's teams has it (one GetItem, no Scan)."""
        reference = normalise_reference(typed[:32])
        case = self.cases.find(reference) if reference else None
        return case if case is not None and staff.works_for(case.get("team")) else None


_TITLES = {400: "Sorry, there is a problem", 401: "Sign in", 403: "You cannot do that", 404: "Page not found"}
_NO_CASE = "None of your teams has a case with that reference. Check it and try again."


@cache
def _team_names() -> tuple[str, ...]:
    """Every team the catalogue's services route requests to (the index is keyed by the team's name)."""
    return tuple(sorted({definition.team for definition in load_catalogue().values()}))


def _staff(request: StaffRequest) -> StaffMember:
    assert request.staff is not None  # the guard let only signed-in staff through
    return request.staff


def _queue_link(query: Mapping[str, str], **more: str) -> str:
    """The queue with these parameters (empty ones left out), from its first page unless `after` is given."""
    wanted = {k: v for k, v in {**query, **more}.items() if v}
    return "/staff/cases?" + urllib.parse.urlencode(wanted) if wanted else "/staff/cases"


def selected_filters(query: Mapping[str, str], teams: Sequence[str], me: str) -> list[dict[str, Any]]:
    """The MoJ filter's selected filters: each filter `_filter` really applies (a team not the staff member's, an
    unknown status or assignee is ignored there, so not shown here), as a tag linking to the queue without it."""
    labels = {s.value: staff_label(s) for s in Status}
    assignees = {UNASSIGNED: "Unassigned", me: "Me"}
    shown = {
        "team": query.get("team", "") if query.get("team") in teams else "",
        "status": labels.get(query.get("status", ""), ""),
        "service": query.get("service", "")[:64],
        "channel": query.get("channel", "")[:32],
        "due": "Overdue" if query.get("due") == "overdue" else "",
        # a saved view of an assignee (my cases, unassigned) stands in for the assignee filter in `_filter`
        "assignee": "" if query.get("view") in ("mine", UNASSIGNED) else assignees.get(query.get("assignee", ""), ""),
    }
    return [
        {"heading": FILTERS[key], "text": text, "href": _queue_link({k: v for k, v in query.items() if k != key})}
        for key, text in shown.items()
        if text
    ]


def _filter(staff: StaffMember, query: dict[str, str], today: date) -> QueueFilter:
    view = query.get("view", "")
    mine = {name for name in _team_names() if staff.works_for(name)}
    team = query.get("team", "")
    teams = (team,) if team in mine else tuple(sorted(mine))
    assignee = {"mine": staff.subject, UNASSIGNED: UNASSIGNED}.get(view, query.get("assignee", ""))
    status = query.get("status", "")
    return QueueFilter(
        teams=teams,
        service=query.get("service", "")[:64],
        status=status if status in {s.value for s in Status} else "",
        assignee="" if assignee not in ("", UNASSIGNED, staff.subject) else assignee,
        channel=query.get("channel", "")[:32],
        overdue=view == "overdue" or query.get("due") == "overdue",
        latest_first=query.get("sort") == "due-latest",
        after=decode_cursor(query.get("after", "")) if query.get("after") else None,
        before=decode_cursor(query.get("before", "")) if query.get("before") and not query.get("after") else None,
    )


def _text(value: Any) -> str:
    """An answer as text: nested answers (an address, a location) joined; the template escapes it."""
    if isinstance(value, dict):
        return ", ".join(_text(v) for v in value.values() if v not in (None, ""))
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def uk_today() -> date:
    """Today in the UK: the date due dates (working days of England and Wales) are counted against."""
    return uk_date(datetime.now(UTC))


def _row(case: dict[str, Any], today: date) -> dict[str, Any]:
    """A case as the queue and the case page show it: its stored due date (moved on by every wait on the resident,
    shared/case_changes.py) and the SLA clock's words, in working days (shared/sla.py); while it waits on the
    resident, no date (it moves on when the wait ends) but the working days it had left when the clock stopped."""
    status = Status(case["status"])
    stopped = status is Status.WAITING_FOR_RESIDENT
    sla = clock(date.fromisoformat(str(case["due_date"])), today, stopped=stopped, waiting_since=waiting_since_of(case))
    return {
        "reference": case["reference"],
        "service": case.get("service_title", case.get("service_id", "")),
        "status": staff_label(status),
        "team": case.get("team", ""),
        "channel": case.get("channel", ""),
        "assigned": bool(case.get("assignee")),
        "due": sla.due.isoformat() if sla.shows_date else "",  # a stopped clock's date does not hold yet
        "when": sla.words,
        "late": sla.late,
        "stopped": sla.stopped,
    }
