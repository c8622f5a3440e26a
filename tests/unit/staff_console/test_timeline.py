"""The case timeline: the case's history and its audit trail merged in time order (newest first), staff named by
email where known, and nothing a member of staff typed into an audit entry, nor a search key, shown."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from console.timeline import UNKNOWN_STAFF, merge
from shared.references import new_reference
from tests.unit.staff_console.conftest import Console

V2, V3 = {"version": 2}, {"version": 3}
NAMES = {"sub-ann": "ann@example.org", "sub-bob": "bob@example.org"}


def _case() -> dict:
    return {
        "reference": "7KXM-3RAH",
        "status": "investigating",
        "history": [
            {"status": "received", "at": "2026-11-20T10:00:00+00:00"},
            {
                "status": "received",
                "at": "2026-11-20T11:00:00+00:00",
                "staff_only": True,
                "action": "assign",
                "by": "sub-ann",
                "detail": "Assigned to ann@example.org",
                "version": 1,
            },
            {
                "status": "received",
                "at": "2026-11-20T12:00:00+00:00",
                "staff_only": True,
                "action": "internal-note",
                "by": "sub-ann",
                "detail": "Internal note added",
                "version": 2,
            },
            {
                "status": "investigating",
                "at": "2026-11-20T13:00:00+00:00",
                "update": "An officer will visit.",
                "update_id": "u1",
                "by": "sub-bob",
                "version": 3,
            },
        ],
        "internal_notes": [
            {"status": "received", "at": "2026-11-20T12:00:00+00:00", "note": "Owner known", "by": "sub-ann"} | V2,
            {"status": "investigating", "at": "2026-11-20T13:00:00+00:00", "note": "Tricky", "by": "sub-bob"} | V3,
        ],
    }


def _audit(action: str, at: str, staff: str = "sub-ann", **more) -> dict:
    return {"record": "7KXM-3RAH", "entry": f"{at}#x", "at": at, "staff": staff, "action": action, **more}


def test_history_and_audit_entries_are_merged_newest_first() -> None:
    trail = [
        _audit("read-case", "2026-11-20T10:30:00.000+00:00"),
        _audit("assign", "2026-11-20T10:59:59.900+00:00", detail="assigned to themself"),
        _audit("change-status", "2026-11-20T12:59:59.500+00:00", staff="sub-bob", detail="to investigating with x"),
        _audit("read-case", "2026-11-21T09:00:00.250+00:00", staff="sub-bob"),
    ]
    items = merge(_case(), trail, NAMES)
    assert [item.at for item in items] == sorted((item.at for item in items), reverse=True)
    assert [(item.title, item.by) for item in items] == [
        ("Viewed the case", "bob@example.org"),
        ("Investigating", "bob@example.org"),
        ("Changed the status", "bob@example.org"),
        ("Internal note added", "ann@example.org"),
        ("Assigned to ann@example.org", "ann@example.org"),
        ("Changed who the case is assigned to", "ann@example.org"),
        ("Viewed the case", "ann@example.org"),
        ("Received", ""),
    ]
    status_change = items[1]
    assert status_change.text == "An officer will visit."
    assert status_change.note == "Tricky"  # the note made with the status change
    assert not status_change.staff_only
    assert not status_change.audit
    assert items[2].text == "To investigating"
    assert items[2].audit
    assert items[3].note == "Owner known"  # the note joined to its own staff-only entry, not shown twice
    assert sum(item.note == "Owner known" for item in items) == 1


def test_a_change_comes_just_after_the_audit_entry_that_accounts_for_it_whatever_the_seconds() -> None:
    # History keeps whole seconds: the change at 10:00:00.950 is kept as 10:00:00, after its audit at .900; a read
    # at .980 of the same second is after both.
    case = {
        "history": [
            {"status": "received", "at": "2026-11-20T09:00:00+00:00"},
            {"status": "investigating", "at": "2026-11-20T10:00:00+00:00", "by": "sub-ann", "version": 1},
        ]
    }
    trail = [
        _audit("change-status", "2026-11-20T10:00:00.900+00:00", detail="to investigating"),
        _audit("read-case", "2026-11-20T10:00:00.980+00:00", staff="sub-bob"),
    ]
    items = merge(case, trail, NAMES)
    assert [item.title for item in items] == ["Viewed the case", "Investigating", "Changed the status", "Received"]


def test_a_refused_change_is_not_paired_and_an_unpaired_change_keeps_its_own_time() -> None:
    case = {"history": [{"status": "investigating", "at": "2026-11-20T10:00:00+00:00", "by": "sub-ann"}]}
    trail = [
        _audit("change-status-refused", "2026-11-20T10:00:00.500+00:00"),
        _audit("read-case", "2026-11-20T09:59:59.999+00:00"),
    ]
    items = merge(case, trail, NAMES)
    assert [item.title for item in items] == ["Changed the status (refused)", "Investigating", "Viewed the case"]


def test_unknown_staff_are_not_named_and_outcomes_are_said() -> None:
    items = merge(
        {"history": []},
        [
            _audit("assign-refused", "2026-11-20T10:00:00.000+00:00", staff="sub-gone"),
            _audit("refund-failed", "2026-11-20T11:00:00.000+00:00"),
        ],
        NAMES,
    )
    assert [(item.title, item.by) for item in items] == [
        ("Asked for a refund (failed)", "ann@example.org"),
        ("Changed who the case is assigned to (refused)", UNKNOWN_STAFF),
    ]
    assert "sub-gone" not in repr([item.by for item in items])


def test_what_staff_typed_and_search_keys_in_audit_entries_are_not_shown() -> None:
    trail = [
        _audit(
            "act-for-resident",
            "2026-11-20T10:00:00.000+00:00",
            details={"channel": "phone", "reason": "Mrs Jones at 4 High St cannot use a computer", "service": "s"},
        ),
        _audit(
            "export-subject-access",
            "2026-11-20T11:00:00.000+00:00",
            details={"key": "f00dfeedcafe", "found": ["7KXM-3RAH"]},
        ),
        _audit("search-reference", "2026-11-20T12:00:00.000+00:00", details={"kind": "reference"}),
    ]
    items = merge({"history": []}, trail, NAMES)
    shown = repr([(item.title, item.by, item.text) for item in items])
    for secret in ("Mrs Jones", "High St", "f00dfeedcafe"):
        assert secret not in shown
    assert [(item.title, item.text) for item in items] == [
        ("Found the case by its reference", ""),
        ("Included the case in a subject access export", ""),
        ("Submitted the request for the resident", "By phone"),
    ]


def test_times_of_both_precisions_compare_as_times() -> None:
    items = merge(
        {"history": [{"status": "received", "at": "2026-11-20T10:00:01+00:00"}]},
        [_audit("read-case", "2026-11-20T10:00:00.999+00:00")],
        NAMES,
    )
    assert [item.audit for item in items] == [False, True]
    assert items[0].at == datetime(2026, 11, 20, 10, 0, 1, tzinfo=UTC)
    assert items[0].when == "20 November 2026, 10:00:01 UTC"


def test_a_read_shows_on_the_case_pages_timeline_with_who_read_it(console: Console) -> None:
    reference = new_reference()
    console.add_case(reference, team="Street scene", due="2026-12-01")
    ann = console.staff("ann", roles=("caseworker",), teams=("street-scene",))
    bob = console.staff("bob", roles=("team-lead",), teams=("street-scene",))
    console.get(f"/staff/cases/{reference}", ann)
    page = console.get(f"/staff/cases/{reference}", bob)["body"]
    timeline = page[page.index('<div class="moj-timeline"') : page.index("Internal notes")]
    titles = re.findall(r'<h3 class="moj-timeline__title">([^<]+)', timeline)
    bylines = re.findall(r'<p class="moj-timeline__byline">by ([^<]+)</p>', timeline)
    assert [t.strip() for t in titles] == ["Viewed the case", "Viewed the case", "Received"]
    assert bylines == ["bob@example.org", "ann@example.org"]  # bob from his token, ann from the staff pool
    assert timeline.count('data-kind="audit"') == 2
