import itertools

import pytest

from shared.statuses import CLOSED_STATUSES, Status, can_change, is_closed, label, open311_status

pytestmark = pytest.mark.unit

CLOSED = {"fixed", "duplicate", "not-council-responsibility", "no-further-action", "closed"}


def test_vocabulary():
    assert {s.value for s in Status} == CLOSED | {
        "received",
        "for-triage",
        "investigating",
        "action-scheduled",
        "in-progress",
        "reopened",
        "awaiting-payment",
        "waiting-for-resident",
    }
    assert Status("for-triage") is Status.FOR_TRIAGE
    assert f"{Status.IN_PROGRESS}" == "in-progress"


@pytest.mark.parametrize("status", list(Status))
def test_open311_status(status):
    expected = "closed" if status.value in CLOSED else "open"
    assert open311_status(status) == expected
    assert is_closed(status) is (status.value in CLOSED)


def test_closed_statuses_constant():
    assert {s.value for s in CLOSED_STATUSES} == CLOSED


def test_labels():
    assert label(Status.NOT_COUNCIL_RESPONSIBILITY) == "Not the council's responsibility"
    assert label(Status.IN_PROGRESS) == "In progress"
    assert label(Status.AWAITING_PAYMENT) == "Awaiting payment"
    labels = [label(s) for s in Status]
    assert all(text and text[0].isupper() for text in labels)
    assert len(set(labels)) == len(labels)


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        (Status.RECEIVED, Status.FOR_TRIAGE, True),
        (Status.FOR_TRIAGE, Status.IN_PROGRESS, True),
        (Status.IN_PROGRESS, Status.FIXED, True),
        (Status.RECEIVED, Status.DUPLICATE, True),
        (Status.INVESTIGATING, Status.RECEIVED, False),
        (Status.IN_PROGRESS, Status.IN_PROGRESS, False),
        (Status.FIXED, Status.REOPENED, True),
        (Status.FIXED, Status.IN_PROGRESS, False),
        (Status.FIXED, Status.CLOSED, False),
        (Status.CLOSED, Status.CLOSED, False),
        (Status.REOPENED, Status.INVESTIGATING, True),
        (Status.REOPENED, Status.FIXED, True),
        (Status.AWAITING_PAYMENT, Status.ACTION_SCHEDULED, True),
    ],
)
def test_can_change_examples(current, new, expected):
    assert can_change(current, new) is expected


def test_can_change_exhaustively():
    allowed = 0
    for current, new in itertools.product(Status, repeat=2):
        result = can_change(current, new)
        if current == new:
            assert result is False
        elif current.value in CLOSED:
            assert result is (new is Status.REOPENED)
        elif new is Status.WAITING_FOR_RESIDENT:
            assert result is (current not in (Status.RECEIVED, Status.AWAITING_PAYMENT))
        else:
            assert result is (new is not Status.RECEIVED)
        allowed += result
    # received: any of the 12 others but waiting for the resident; 7 other open statuses: 11 each (not itself, not
    # received), less awaiting payment's to waiting for the resident; 5 closed statuses: reopened only.
    assert allowed == 11 + 7 * 11 - 1 + 5
