"""A household's visitor permits, from the permit's signed manage link (`/permits/manage/<token>/visitors`): the
wallet's balance for this year, starting a session for a visitor's mark, and the sessions booked (an unused day
cancelled until midnight before it). No new sign-in: the link names the permit, and the permits function takes the
household and zone from it (`token` on the wallet actions: permits/manage_wallet.py), so the web never holds a UPRN.

The fields are checked for shape here (a mark, a date, a time, whole hours); every rule (hours left, controlled hours,
the mark's format, a day in the past) is the permits function's, and its refusal is shown as the GOV.UK error summary
with nothing started. Times typed are London wall-clock times. Forms only, no JavaScript; CSRF as the manage pages.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from shared.calendar import LONDON
from web.http import Reply, Request
from web.permit_manage_pages import MANAGE_PATH, PermitManagePages, _token_shaped

TEMPLATE = "permit_visitors.html"
MAX_HOURS = 24
NOT_STARTED = "No visitor session has been started."
FIELD_NAMES = frozenset({"vrm", "day", "start", "hours", "start, hours", "uprn", "zone"})  # a 400 detail's prefix
REFUSAL_FIELDS = {"OutsideControlledHours": "visit-day", "NoAllowanceLeft": "hours", "VisitorError": "visit-day"}


def _field_of(detail: str, days: bool) -> str:
    """Which input a 400's `detail` (`field: why`) is about, for the error summary's link."""
    named = detail.split(":", 1)[0].strip() if ":" in detail else ""
    if named in ("start", "hours"):
        return "start-time" if named == "start" else "hours"
    if named == "day":
        return "visit-day"
    return "vrm" if not days or named in ("vrm", "") else "visit-day"


def _date(values: dict[str, str]) -> date | None:
    try:
        return date(int(values["visit-year"]), int(values["visit-month"]), int(values["visit-day"]))
    except (KeyError, ValueError):
        return None


def _time(text: str) -> tuple[int, int] | None:
    parts = text.replace(".", ":").split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    hour, minute = int(parts[0]), int(parts[1])
    return (hour, minute) if 0 <= hour < 24 and 0 <= minute < 60 else None


class VisitorPages:
    def __init__(self, manage: PermitManagePages) -> None:
        self.manage = manage
        self.p = manage.p

    def _wallet(self, request: Request, token: str) -> dict[str, Any] | Reply:
        if not _token_shaped(token):
            return self.manage._bad_link()
        if self.p.permits is None:
            return self.p.unavailable(["We cannot show your visitor permits just now.", "Try again later."])
        found = self.p.permits.visitors(token, correlation_id=request.correlation_id)
        if found.status == 404:
            return self.manage._bad_link()
        if found.status == 422:
            return self.p.message(
                200,
                "Visitor permits are not available",
                [str(found.body.get("detail") or ""), "Visitor permits come with a permit that is in force."],
                {"href": f"{MANAGE_PATH}/{token}", "text": "Back to your permit"},
            )
        if not found.ok:
            return self.p.unavailable(["We cannot show your visitor permits just now.", "Try again later."])
        return dict(found.body)

    def _page(self, request: Request, token: str, wallet: dict[str, Any], status: int = 200, **more: Any) -> Reply:
        context: dict[str, Any] = {"values": {}, "errors": [], "started": None, "cancelled": None, **more}
        days = wallet["unit"] == "days"
        sessions = [_shown(s, days) for s in wallet.get("sessions", [])]
        return self.manage._form(request, token, TEMPLATE, status, wallet=wallet, days=days, sessions=sessions,
                                 **context)  # fmt: skip

    def show(self, request: Request, token: str) -> Reply:
        wallet = self._wallet(request, token)
        return wallet if isinstance(wallet, Reply) else self._page(request, token, wallet)

    def start(self, request: Request, token: str) -> Reply:
        wallet = self._wallet(request, token)
        if isinstance(wallet, Reply):
            return wallet
        days = wallet["unit"] == "days"
        names = ["vrm", "visit-day", "visit-month", "visit-year"] + ([] if days else ["start-time", "hours"])
        values = {name: request.field(name).strip() for name in names}
        fields, errors = self._fields(values, days)
        if errors:
            return self._page(request, token, wallet, 400, values=values, errors=errors)
        answer = self.p.permits.start_visitor_session(token, fields, correlation_id=request.correlation_id)
        if answer.status in (400, 422):
            detail = str(answer.body.get("detail") or "")
            refusal = str(answer.body.get("refusal") or "")
            field = REFUSAL_FIELDS.get(refusal) or _field_of(detail, days)
            named, _, rest = detail.partition(":")
            message = rest.strip() if named.strip() in FIELD_NAMES and rest.strip() else detail
            return self._page(request, token, wallet, 400 if answer.status == 400 else 200, values=values,
                              errors=[{"href": field, "message": message}])  # fmt: skip
        if answer.status != 201:
            return self.p.unavailable([NOT_STARTED, "Try again later."])
        return self._page(request, token, self._wallet_after(request, token, wallet),
                          started=_shown(answer.body["session"], days))  # fmt: skip

    def cancel(self, request: Request, token: str) -> Reply:
        wallet = self._wallet(request, token)
        if isinstance(wallet, Reply):
            return wallet
        session_id = request.field("session_id").strip()
        answer = self.p.permits.cancel_visitor_session(token, session_id, correlation_id=request.correlation_id)
        if answer.status in (404, 422):
            error = {"href": "sessions", "message": str(answer.body.get("detail") or "This day cannot be cancelled")}
            return self._page(request, token, wallet, 200 if answer.status == 422 else 404, errors=[error])
        if answer.status != 200:
            return self.p.unavailable(["The visitor day has not been cancelled.", "Try again later."])
        return self._page(request, token, self._wallet_after(request, token, wallet),
                          cancelled=_shown(answer.body["session"], True))  # fmt: skip

    def _wallet_after(self, request: Request, token: str, before: dict[str, Any]) -> dict[str, Any]:
        after = self._wallet(request, token)
        return after if isinstance(after, dict) else before

    @staticmethod
    def _fields(values: dict[str, str], days: bool) -> tuple[dict[str, Any], list[dict[str, str]]]:
        errors: list[dict[str, str]] = []
        if not values["vrm"]:
            errors.append({"href": "vrm", "message": "Enter your visitor's vehicle registration number"})
        day = _date(values)
        if day is None:
            errors.append({"href": "visit-day", "message": "Enter the date of the visit, for example 27 3 2027"})
        if days:
            return ({"vrm": values["vrm"], "day": day.isoformat()} if day else {}), errors
        at = _time(values["start-time"])
        if at is None:
            errors.append({"href": "start-time", "message": "Enter the start time in 24-hour format, like 09:30"})
        hours = values["hours"]
        if not hours.isdigit() or not 1 <= int(hours) <= MAX_HOURS:
            errors.append({"href": "hours", "message": f"Enter how many hours, a whole number from 1 to {MAX_HOURS}"})
        if errors or day is None or at is None:
            return {}, errors
        start = datetime(day.year, day.month, day.day, at[0], at[1], tzinfo=LONDON)
        return {"vrm": values["vrm"], "start": start.isoformat(), "hours": int(hours)}, errors


def _shown(session: dict[str, Any], days: bool) -> dict[str, Any]:
    """A session with its times as London wall-clock text for the page."""
    start = datetime.fromisoformat(str(session["start"])).astimezone(LONDON)
    end = datetime.fromisoformat(str(session["end"])).astimezone(LONDON)
    if days:
        return {**session, "when": f"{start:%A %-d %B %Y}"}
    when = f"{start:%-d %B %Y, %H:%M} to {end:%H:%M}"
    if end.date() != start.date():
        when = f"{start:%-d %B %Y, %H:%M} to {end:%-d %B %Y, %H:%M}"
    return {**session, "when": when}
