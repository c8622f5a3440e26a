"""The case page's timeline in the local cloud: the case's history and its audit trail (read by the console's own
Query grant on the audit table), each read shown on the next view with who read it, by email from the staff pool."""

from __future__ import annotations

import re

import pytest

from local.staff import DEMO_STAFF
from tests.local.test_local_console import _form, _report, _signed_in

pytestmark = pytest.mark.local


def _timeline(page: bytes) -> list[tuple[str, str]]:
    """(title, byline) of each timeline item, newest first (the title without its badge)."""
    text = page.decode()
    timeline = text[text.index('<div class="moj-timeline"') : text.index("Internal notes")]
    items = timeline.split('<div class="moj-timeline__item"')[1:]
    found = []
    for item in items:
        title = re.search(r'<h3 class="moj-timeline__title">([^<]+)', item)
        by = re.search(r'<p class="moj-timeline__byline">by ([^<]+)</p>', item)
        assert title is not None
        found.append((title.group(1).strip(), by.group(1) if by else ""))
    return found


def test_a_read_appears_on_the_next_views_timeline_with_who_read_it(local_cloud):
    reference = _report(local_cloud, "fly-tipping", "Sofa behind the shops")
    case_path = f"/staff/cases/{reference}"
    caseworker = _signed_in(local_cloud, DEMO_STAFF["caseworker"])
    first = caseworker.request("GET", case_path)
    assert first.status == 200, first.body
    assert _timeline(first.body)[0] == ("Viewed the case", DEMO_STAFF["caseworker"])  # this read, audited first

    lead = _signed_in(local_cloud, DEMO_STAFF["team-lead"])
    seen = lead.request("GET", case_path)
    assert seen.status == 200, seen.body
    timeline = _timeline(seen.body)
    assert timeline[:2] == [
        ("Viewed the case", DEMO_STAFF["team-lead"]),
        ("Viewed the case", DEMO_STAFF["caseworker"]),  # the other's read, named from the staff pool
    ]
    assert timeline[-1][1] == ""  # the submission: by the resident, nobody named

    done = lead.request(
        "POST", case_path + "/notes", {**_form(seen.body, case_path + "/notes"), "note": "Seen on CCTV"}
    )
    assert done.status == 303, done.body
    after = caseworker.request("GET", case_path)
    timeline = _timeline(after.body)
    assert timeline[:4] == [
        ("Viewed the case", DEMO_STAFF["caseworker"]),
        ("Internal note added", DEMO_STAFF["team-lead"]),
        ("Added an internal note", DEMO_STAFF["team-lead"]),
        ("Viewed the case", DEMO_STAFF["team-lead"]),
    ]
    assert b"Seen on CCTV" in after.body


def test_a_long_timeline_is_paged_25_at_a_time_older_and_newer(local_cloud):
    reference = _report(local_cloud, "fly-tipping", "Fridge by the river")
    case_path = f"/staff/cases/{reference}"
    caseworker = _signed_in(local_cloud, DEMO_STAFF["caseworker"])
    for _ in range(30):
        assert caseworker.request("GET", case_path).status == 200
    page = caseworker.request("GET", case_path)  # 31 reads and the submission's history
    first = _timeline(page.body)
    assert len(first) == 25
    assert all(item == ("Viewed the case", DEMO_STAFF["caseworker"]) for item in first)
    text = page.body.decode()
    older = re.search(r'href="([^"]+\?older=[^"#]+)#timeline-heading" rel="next"', text)
    assert older is not None, text
    assert "?newer=" not in text
    second = caseworker.request("GET", older.group(1).replace("&amp;", "&"))
    assert second.status == 200, second.body
    rest = _timeline(second.body)
    assert len(rest) >= 31 - 25 + 1  # the older reads, then the submission (later history entries: triage)
    assert rest[-1][1] == ""  # the submission: by the resident, at the very end
    assert 'rel="next"' not in second.body.decode()
    newer = re.search(r'href="([^"]+\?newer=[^"#]+)#timeline-heading" rel="prev"', second.body.decode())
    assert newer is not None
    back = caseworker.request("GET", newer.group(1).replace("&amp;", "&"))
    assert _timeline(back.body) == first  # the same page as before (the reads since are newer still)
