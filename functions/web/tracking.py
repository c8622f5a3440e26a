"""Track your request: a reference number in, the request's status and history out (through the cases API)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from shared.forms import LONDON
from shared.references import normalise_reference
from shared.statuses import Status
from web.http import Reply, Request
from web.site import Site

MAX_REFERENCE_LENGTH = 40


class TrackingPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    def track(self, request: Request) -> Reply:
        typed = request.arg("reference").strip()[:MAX_REFERENCE_LENGTH]
        if "reference" not in request.query:
            return self.site.html("track.html", reference="", result=None, errors=[], field_errors={})
        reference = normalise_reference(typed) if typed else None
        message = None
        result = None
        if not typed:
            message = "Enter your reference number"
        elif reference is None:
            message = "Enter your reference number exactly as it is shown in your email or text message, like HF7K-3XA9"
        else:
            found = self.site.ports.api.track(reference, correlation_id=request.correlation_id)
            if found.status == 404:
                message = "We cannot find a request with that reference number. Check it and try again"
            elif not found.ok:
                return self.site.unavailable()
            else:
                result = tracked(found.body)
        errors = [{"href": "reference", "message": message}] if message else []
        return self.site.html(
            "track.html",
            400 if message else 200,
            reference=typed,
            result=result,
            errors=errors,
            field_errors={"reference": message} if message else {},
        )


def tracked(body: dict[str, Any]) -> dict[str, Any]:
    """The API's answer with its times and dates as a resident reads them. `expected_by` is the due date the cases
    service stores, the one staff see in the queue. While the council waits on the resident for information
    (`clock_paused`) that date does not hold: the working days of the wait do not count and the date moves on by
    them when the request moves on (shared/sla.py), so no date is shown until then."""

    def when(stamp: str) -> str:
        try:
            moment = datetime.fromisoformat(stamp).astimezone(LONDON)
        except ValueError:
            return stamp
        return f"{moment.day} {moment:%B %Y} at {moment:%-I:%M%p}".replace("AM", "am").replace("PM", "pm")

    paused = body.get("status") == Status.WAITING_FOR_RESIDENT.value
    expected = body.get("expected_by")
    if expected:
        try:
            day = date.fromisoformat(expected)
            expected = f"{day.day} {day:%B %Y}"
        except ValueError:
            pass
    return {
        **body,
        "submitted": when(str(body.get("submitted_at", ""))),
        "expected_by": None if paused else expected,
        "clock_paused": paused,
        "history": [{**h, "at": when(str(h.get("at", "")))} for h in body.get("history", [])],
    }
