"""A carer permit's sessions, from the permit's signed manage link (`/permits/manage/<token>/carer`): the permit's
zone and dates, the carer's vehicle covered now (if one is), starting a session for a carer's mark and ending the
running one. No new sign-in: the link names the permit and the permits function finds it
(`token` on the carer actions: permits/carer_handler.py), so the web never holds a permit id or a UPRN.

The fields are checked for shape here (a mark typed, whole hours up to the zone's longest session); every rule (one
vehicle at a time, the permit's zone, controlled hours, the permit in force, the mark's format) is the permits
function's, and its refusal is shown as the GOV.UK error summary with nothing started. A session starts now. Forms
only, no JavaScript (a phone page); CSRF as the manage pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.calendar import LONDON
from web.http import Reply, Request
from web.permit_manage_pages import MANAGE_PATH, PermitManagePages, _token_shaped

TEMPLATE = "permit_carer.html"
NOT_STARTED = "No carer session has been started."
REFUSAL_FIELDS = {"SessionRunning": "session", "OutsideControlledHours": "hours", "PermitNotInForce": "session"}


def _shown(session: dict[str, Any] | None) -> dict[str, Any] | None:
    """A session with its times as London wall-clock text for the page."""
    if not session:
        return None
    start = datetime.fromisoformat(str(session["start"])).astimezone(LONDON)
    end = datetime.fromisoformat(str(session["end"])).astimezone(LONDON)
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%H:%M on %-d %B %Y}"
    return {**session, "when": f"{start:%-d %B %Y, %H:%M} to {until}", "until": until}


class CarerPages:
    def __init__(self, manage: PermitManagePages) -> None:
        self.manage = manage
        self.p = manage.p

    def _permit(self, request: Request, token: str) -> dict[str, Any] | Reply:
        if not _token_shaped(token):
            return self.manage._bad_link()
        if self.p.permits is None:
            return self.p.unavailable(["We cannot show your carer permit just now.", "Try again later."])
        found = self.p.permits.carer(token, correlation_id=request.correlation_id)
        if found.status == 404:
            return self.manage._bad_link()
        if found.status == 422:
            return self.p.message(
                200,
                "Carer sessions are not available",
                [str(found.body.get("detail") or ""), "Carer sessions come with a carer permit that is in force."],
                {"href": f"{MANAGE_PATH}/{token}", "text": "Back to your permit"},
            )
        if not found.ok:
            return self.p.unavailable(["We cannot show your carer permit just now.", "Try again later."])
        return dict(found.body)

    def _page(self, request: Request, token: str, permit: dict[str, Any], status: int = 200, **more: Any) -> Reply:
        context: dict[str, Any] = {"values": {}, "errors": [], "started": None, "ended": None, **more}
        return self.manage._form(request, token, TEMPLATE, status, carer=permit,
                                 session=_shown(permit.get("session")), **context)  # fmt: skip

    def show(self, request: Request, token: str) -> Reply:
        permit = self._permit(request, token)
        return permit if isinstance(permit, Reply) else self._page(request, token, permit)

    def start(self, request: Request, token: str) -> Reply:
        permit = self._permit(request, token)
        if isinstance(permit, Reply):
            return permit
        values = {name: request.field(name).strip() for name in ("vrm", "hours")}
        most = int(permit.get("max_hours") or 1)
        errors = []
        if not values["vrm"]:
            errors.append({"href": "vrm", "message": "Enter your carer's vehicle registration number"})
        if not values["hours"].isdigit() or not 1 <= int(values["hours"]) <= most:
            errors.append({"href": "hours", "message": f"Enter how many hours, a whole number from 1 to {most}"})
        if errors:
            return self._page(request, token, permit, 400, values=values, errors=errors)
        fields = {"vrm": values["vrm"], "hours": int(values["hours"])}
        answer = self.p.permits.start_carer_session(token, fields, correlation_id=request.correlation_id)
        if answer.status in (400, 422):
            detail = str(answer.body.get("detail") or "")
            field = REFUSAL_FIELDS.get(str(answer.body.get("refusal") or "")) or (
                "hours" if detail.startswith("hours:") else "vrm"
            )
            named, _, rest = detail.partition(":")
            message = rest.strip() if named.strip() in ("vrm", "hours") and rest.strip() else detail
            return self._page(request, token, permit, 400 if answer.status == 400 else 200, values=values,
                              errors=[{"href": field, "message": message}])  # fmt: skip
        if answer.status != 201:
            return self.p.unavailable([NOT_STARTED, "Try again later."])
        return self._page(request, token, self._after(request, token, permit), started=_shown(answer.body["session"]))

    def end(self, request: Request, token: str) -> Reply:
        permit = self._permit(request, token)
        if isinstance(permit, Reply):
            return permit
        session_id = request.field("session_id").strip()
        answer = self.p.permits.end_carer_session(token, session_id, correlation_id=request.correlation_id)
        if answer.status in (404, 422):
            error = {"href": "session", "message": str(answer.body.get("detail") or "This session cannot be ended")}
            return self._page(request, token, permit, 200 if answer.status == 422 else 404, errors=[error])
        if answer.status != 200:
            return self.p.unavailable(["The carer session has not been ended.", "Try again later."])
        return self._page(request, token, self._after(request, token, permit), ended=_shown(answer.body["session"]))

    def _after(self, request: Request, token: str, before: dict[str, Any]) -> dict[str, Any]:
        after = self._permit(request, token)
        return after if isinstance(after, dict) else before
