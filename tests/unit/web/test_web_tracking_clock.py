"""The resident's tracking page and the SLA clock: it shows the due date the cases service stores (the one the
staff queue shows, moved on by every wait on the resident); while the request is waiting for information from the
resident it shows no date (the stored one does not hold: it moves on by the days waited) and says so."""

from __future__ import annotations

from typing import Any

import pytest
from web.tracking import tracked

from shared.references import new_reference
from shared.statuses import Status, label
from tests.unit.web.web_support import Client, harness

pytestmark = pytest.mark.unit
PAUSED = "We are waiting for information from you, so there is no date yet"


def _public(reference: str, status: Status, expected_by: str | None) -> dict[str, Any]:
    return {
        "reference": reference,
        "service_id": "fly-tipping",
        "service_title": "Report fly-tipping",
        "status": status.value,
        "status_label": label(status),
        "open311_status": "open",
        "submitted_at": "2026-12-01T10:00:00+00:00",
        "team": "Street scene",
        "expected_by": expected_by,
        "history": [{"status": status.value, "status_label": label(status), "at": "2026-12-07T10:00:00+00:00"}],
    }


def test_the_words_say_the_clock_is_paused_only_while_waiting_for_the_resident() -> None:
    waiting = tracked(_public("R", Status.WAITING_FOR_RESIDENT, "2026-12-16"))
    assert waiting["clock_paused"] is True
    assert waiting["expected_by"] is None  # the stored date does not hold while the clock is stopped
    for status in Status:
        if status is not Status.WAITING_FOR_RESIDENT:
            other = tracked(_public("R", status, "2026-12-16"))
            assert (other["clock_paused"], other["expected_by"]) == (False, "16 December 2026")


def test_the_page_shows_the_stored_date_and_the_pause(catalogue) -> None:
    h = harness(catalogue)
    client = Client(h.web)
    waiting, moving = new_reference(), new_reference()
    h.api.requests[waiting] = _public(waiting, Status.WAITING_FOR_RESIDENT, "2026-12-16")
    h.api.requests[moving] = _public(moving, Status.IN_PROGRESS, "2026-12-18")
    page = client.get(f"/track?reference={waiting}").body
    assert "We are waiting for information from you" in page
    assert "16 December 2026" not in page
    assert "We aim to respond by" not in page
    assert PAUSED in page
    page = client.get(f"/track?reference={moving}").body
    assert "We aim to respond by" in page
    assert "18 December 2026" in page
    assert PAUSED not in page
    # no due date yet (not triaged): no date, and no pause unless it waits
    h.api.requests[moving] = _public(moving, Status.RECEIVED, None)
    page = client.get(f"/track?reference={moving}").body
    assert PAUSED not in page
    assert "We aim to respond by" not in page
