"""Evidence on a renewal and on an application staff make for a resident (permits.evidence `carried` and
`staff_checked`, through permits.application): a renewal of a permit whose evidence was verified carries it forward
(recorded with where from and its check) and is issued on payment, not held; one whose evidence was never verified
is asked for it again (400 naming `evidence`, nothing written); staff record what they saw (verified, with their
subject) or leave an upload to follow (held as for the web). Against moto's DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from permits.application import ISSUED, Application, ApplicationRequest, Applications, InvalidApplication
from permits.evidence import carried
from permits.issuing import AWAITING_EVIDENCE, issue_paid
from permits.renewal import renewal
from permits.store import PermitsStore
from permits.zones import PermitType, load_zones, parse_zones
from tests.unit.permits.permits_support import create_permits_table
from tests.unit.permits.test_application import NOW, Dvla
from tests.unit.permits.test_evidence_issuing import EVIDENCE, STATION, check, paid

pytestmark = pytest.mark.unit
AHEAD = datetime(2026, 8, 20, 10, 0, tzinfo=UTC)  # the first permit (1 June to 31 August) still active
LAPSED = datetime(2026, 9, 10, 10, 0, tzinfo=UTC)
STAFF_SEEN = {
    "residency": {"seen": {"note": "Council tax bill 2026 seen at the counter"}},
    "keepership": {"seen": {"note": "Hire agreement emailed, name and dates match"}},
}
ASSISTED = {"channel": "face-to-face", "reason": "No internet at home", "staff": "staff-sub-7"}


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        yield create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits")


def apply(table: Any, when: datetime, **changes: Any) -> Application:
    data: dict[str, Any] = {"address": STATION, "kind": "temporary", "months": 3, "vrm": "lb19 ptr",
                            "contact": {"email": "resident@example.org"}, **changes}  # fmt: skip
    service = Applications(zones=load_zones(), store=PermitsStore(table), vehicles=Dvla, clock=lambda: when)
    return service.apply(ApplicationRequest.parse(data, today=when.date()))


def stored(table: Any, reference: str) -> dict[str, Any]:
    item = PermitsStore(table).get_application(reference)
    assert item is not None
    return item


@pytest.fixture
def verified(table: Any) -> Application:
    """A zone D temporary permit whose hire agreement staff verified, issued."""
    application = apply(table, NOW, evidence=EVIDENCE)
    assert check(table, application.reference, "verified", "Hire agreement matches")["status"] == 200
    assert issue_paid(PermitsStore(table), paid(application), now=NOW).outcome == ISSUED
    return application


def test_a_renewal_ahead_carries_the_verified_evidence_forward_and_is_issued_on_payment(table, verified):
    renewed = apply(table, AHEAD, renews=verified.reference, start="2026-09-01")
    assert renewed.evidence_status == "verified"
    item = stored(table, renewed.reference)
    assert [(e["kind"], e["method"], e["carried_from"]) for e in item["evidence"]] == [
        ("residency", "declaration", verified.reference), ("keepership", "upload", verified.reference),
    ]  # fmt: skip
    assert item["evidence"][1]["key"] == stored(table, verified.reference)["evidence"][1]["key"]
    check_ = item["evidence_check"]
    assert (check_["outcome"], check_["note"], check_["by"], check_["carried_from"]) == (
        "verified", "Hire agreement matches", "staff-sub-1", verified.reference,
    )  # fmt: skip
    assert issue_paid(PermitsStore(table), paid(renewed), now=AHEAD).outcome == ISSUED  # not held


def test_the_renewal_answer_says_the_evidence_is_carried_forward(table, verified):
    answer = renewal(PermitsStore(table), load_zones(), verified.reference, AHEAD.date())
    assert answer["status"] == 200
    assert answer["body"]["evidence"] == {"carried_forward": True, "from": verified.reference, "status": "verified"}


def test_a_lapsed_permits_renewal_carries_it_with_evidence_from(table, verified):
    renewed = apply(table, LAPSED, evidence_from=verified.reference)
    assert renewed.evidence_status == "verified"
    assert stored(table, renewed.reference)["evidence"][0]["carried_from"] == verified.reference


def test_evidence_from_another_vehicle_is_refused_and_nothing_is_written(table, verified):
    before = table.scan()["Items"]  # the test reads the whole table
    with pytest.raises(InvalidApplication, match=r"^evidence_from: "):
        apply(table, LAPSED, evidence_from=verified.reference, vrm="KX68DSL")
    assert table.scan()["Items"] == before


def test_evidence_never_verified_is_asked_for_again(table, verified):
    """The zone started asking since the permit was applied for: the current application holds no evidence."""
    table.update_item(
        Key={"pk": f"APPLICATION#{verified.reference}", "sk": "APPLICATION"},
        UpdateExpression="REMOVE evidence, evidence_status, evidence_check",
    )
    answer = renewal(PermitsStore(table), load_zones(), verified.reference, AHEAD.date())
    asked = answer["body"]["evidence"]
    assert asked["carried_forward"] is False
    assert [(a["kind"], a["method"]) for a in asked["asked"]] == [
        ("residency", "declaration"),
        ("keepership", "upload"),
    ]
    before = table.scan()["Items"]
    with pytest.raises(InvalidApplication, match=r"^evidence: .*no verified evidence to carry forward"):
        apply(table, AHEAD, renews=verified.reference, start="2026-09-01")
    assert table.scan()["Items"] == before
    renewed = apply(table, AHEAD, renews=verified.reference, start="2026-09-01", evidence=EVIDENCE)  # sent again
    assert renewed.evidence_status == "awaiting"


def test_only_verified_or_declared_evidence_is_carried(zones_data):
    zone = load_zones().zone("D")
    both = [{"kind": "residency", "method": "declaration"}, {"kind": "keepership", "method": "upload"}]
    previous = {"reference": "AAAA-BBBB", "evidence_status": "rejected", "evidence": both, "mark": "LB19PTR",
                "evidence_vrm": "LB19PTR"}  # fmt: skip
    assert carried(zone, PermitType.TEMPORARY, previous) is None
    assert carried(zone, PermitType.TEMPORARY, {**previous, "evidence_status": "awaiting"}) is None
    declared = {**previous, "evidence_status": "declared",
                "evidence": [{"kind": "residency", "method": "declaration"},
                             {"kind": "keepership", "method": "declaration"}]}  # fmt: skip
    assert carried(zone, PermitType.TEMPORARY, declared) is None  # the zone asks a document, not a declaration
    zones_data["zones"][3]["evidence"] = {"temporary": {"residency": "declaration", "keepership": "declaration"}}
    asks_declarations = parse_zones(zones_data).zone("D")
    entries, status, check_ = carried(asks_declarations, PermitType.TEMPORARY, declared) or ([], "", "x")
    assert (status, check_, entries[1]["carried_from"]) == ("declared", None, "AAAA-BBBB")


# -- an application staff make for a resident ----------------------------------------------------------------------
def test_evidence_staff_saw_is_verified_with_their_subject_and_issued_on_payment(table):
    application = apply(table, NOW, assisted=ASSISTED, evidence=STAFF_SEEN)
    assert application.evidence_status == "verified"
    item = stored(table, application.reference)
    residency, keepership = item["evidence"]
    assert residency["seen_by_staff"] == {"by": "staff-sub-7", "at": "2026-06-01T10:00:00+00:00",
                                          "note": "Council tax bill 2026 seen at the counter"}  # fmt: skip
    assert keepership["method"] == "upload"
    assert "key" not in keepership
    assert item["evidence_check"]["by"] == "staff-sub-7"
    assert item["evidence_check"]["note"].startswith("seen by staff: residency: Council tax bill")
    assert issue_paid(PermitsStore(table), paid(application), now=NOW).outcome == ISSUED


def test_an_upload_left_for_the_resident_holds_the_paid_application_as_for_the_web(table):
    evidence = {**STAFF_SEEN, "keepership": {"later": True}}
    application = apply(table, NOW, assisted=ASSISTED, evidence=evidence)
    assert application.evidence_status == "awaiting"
    assert stored(table, application.reference)["evidence"][1] == {"kind": "keepership", "method": "upload",
                                                                   "to_follow": True}  # fmt: skip
    assert issue_paid(PermitsStore(table), paid(application), now=NOW).outcome == AWAITING_EVIDENCE
    assert check(table, application.reference, "verified", "Posted hire agreement checked")["status"] == 200


@pytest.mark.parametrize(
    ("evidence", "field"),
    [
        (None, "evidence: "),
        ({"residency": STAFF_SEEN["residency"]}, "evidence.keepership: "),
        ({**STAFF_SEEN, "residency": {"seen": {"note": "  "}}}, "evidence.residency.seen.note: "),
        ({**STAFF_SEEN, "residency": {"later": True}}, "evidence.residency: "),  # a declaration does not follow
        ({**STAFF_SEEN, "keepership": {"seen": {"note": "x" * 301}}}, "evidence.keepership.seen.note: "),
    ],
)
def test_staff_evidence_missing_is_refused_naming_the_field_and_nothing_is_written(table, evidence, field):
    with pytest.raises(InvalidApplication) as refused:
        apply(table, NOW, assisted=ASSISTED, evidence=evidence)
    assert str(refused.value).startswith(field)
    assert table.scan()["Items"] == []


def test_a_resident_cannot_say_staff_saw_it(table):
    with pytest.raises(InvalidApplication, match=r"^evidence\.residency: the resident must make the declaration"):
        apply(table, NOW, evidence=STAFF_SEEN)
    assert table.scan()["Items"] == []


def test_keepership_shown_for_a_vehicle_changed_since_is_not_carried(table, verified):
    item = stored(table, verified.reference)
    assert item["evidence_vrm"] == item["mark"] == "LB19PTR"
    zone = load_zones().zone("D")
    assert carried(zone, PermitType.TEMPORARY, item) is not None
    assert carried(zone, PermitType.TEMPORARY, {**item, "mark": "KX68DSL"}) is None  # as change-vehicle leaves it
    assert carried(zone, PermitType.TEMPORARY, {**item, "evidence_vrm": None}) is None
