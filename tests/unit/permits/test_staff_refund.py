"""A revocation's refund (`permits.staff.StaffPermits.revoke(refund=)`): staff choose the unused whole months (the
zone's cancellation rule, as a resident's cancellation) or none; the refund is kept on the application in the
revocation's transaction and asked of payments' refund-order, and asked again (the same key) when payments did not
make it. Against moto's DynamoDB, with payments faked at the refund-order boundary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from permits.refund_client import RefundAsk
from permits.staff import StaffPermits
from permits.zones import load_zones
from shared.events import EventEnvelope
from tests.unit.permits.permits_support import create_permits_table
from tests.unit.permits.test_changes import Payments
from tests.unit.permits.test_staff import LATER, STAFF, answer, applied, issued, look_up

pytestmark = pytest.mark.unit


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        yield create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits")


@pytest.fixture
def payments() -> Payments:
    return Payments()


@pytest.fixture
def staff(table: Any, payments: Payments) -> StaffPermits:
    return StaffPermits(table=table, zones=load_zones(), refund=payments.refund, clock=lambda: LATER)


def application_item(table: Any, reference: str) -> dict[str, Any]:
    return table.get_item(Key={"pk": f"APPLICATION#{reference}", "sk": "APPLICATION"})["Item"]


def revoke(staff: StaffPermits, key: str, refund: Any, reason: str = "Moved out of the zone") -> dict[str, Any]:
    return answer(staff, {"action": "revoke", "key": key, "reason": reason, "refund": refund, "staff": STAFF})


def test_revoking_with_the_unused_months_refunds_them_less_the_admin_fee_through_payments(table, staff, payments):
    application = applied(table)  # zone B: whole months refunded, less £15.00
    permit_id = issued(table, application)
    paid = application.pence
    result = revoke(staff, application.reference, "unused-months")
    assert result["status"] == 200
    # from 1 June 2026 to 31 May 2027, revoked on 3 June: 11 whole months unused of the 12 paid for
    owed = round(paid * 11 / 12) - 1500
    assert owed > 0
    assert payments.refunds == [
        RefundAsk(application.reference, owed, "Parking permit revoked", f"revoke:{application.reference}:"
                  f"{application.reference}")
    ]  # fmt: skip
    record = result["body"]["record"]
    assert (record["status"], record["refund_pence"], record["refund_status"]) == ("revoked", owed, "submitted")
    assert record["refund_reasons"][0].startswith("The permit was revoked")
    assert any("admin fee" in r for r in record["refund_reasons"])
    assert [h["what"] for h in record["history"]][-2:] == ["Revoked", "Refund on revocation"]
    stored = application_item(table, application.reference)
    assert stored["status"] == "issued"  # the permit is revoked; the application keeps what was paid and refunded
    assert [(e["order"], int(e["pence"])) for e in stored["ledger"]] == [
        (application.reference, paid),
        (application.reference, -owed),
    ]
    item = table.get_item(Key={"pk": f"PERMIT#{permit_id}", "sk": "PERMIT"})["Item"]
    assert EventEnvelope.model_validate_json(item["outbox"]).data["refund_pence"] == owed
    assert look_up(table) == "no-permit"


def test_revoking_with_no_refund_asks_payments_for_nothing(table, staff, payments):
    application = applied(table)
    issued(table, application)
    result = revoke(staff, application.reference, "none")
    assert result["status"] == 200
    assert payments.refunds == []
    assert result["body"]["record"]["refund_pence"] == 0
    assert "refund_parts" not in application_item(table, application.reference)


def test_a_refund_payments_did_not_make_is_kept_and_asked_again_with_the_same_key(table, staff, payments):
    application = applied(table)
    issued(table, application)
    payments.refuse = "checking"
    result = revoke(staff, application.reference, "unused-months")
    assert result["status"] == 200  # the permit is revoked; the refund is owed
    record = result["body"]["record"]
    assert (record["status"], record["refund_status"], record["refund_problem"]) == ("revoked", "not-made", "checking")
    assert payments.refunds == []
    assert look_up(table) == "no-permit"
    unconnected = StaffPermits(table=table, zones=load_zones(), clock=lambda: LATER)
    assert revoke(unconnected, application.reference, "unused-months")["status"] == 409  # not "asked again"
    payments.refuse = ""
    again = revoke(staff, application.reference, "unused-months", reason="")  # no second reason needed
    assert again["status"] == 200
    assert again["body"]["record"]["refund_status"] == "submitted"
    [made] = payments.refunds
    assert made.key == f"revoke:{application.reference}:{application.reference}"
    assert revoke(staff, application.reference, "unused-months")["status"] == 409  # made: nothing more to ask


@pytest.mark.parametrize("refund", ["", "all", None, 5])
def test_a_refund_that_is_neither_choice_is_refused_naming_its_field_and_nothing_is_written(
    table, staff, payments, refund
):
    application = applied(table)
    issued(table, application)
    before = table.scan()["Items"]  # the test looks at the whole table; the service never scans
    result = revoke(staff, application.reference, refund)
    assert (result["status"], result["body"]["field"]) == (400, "refund")
    assert table.scan()["Items"] == before
    assert payments.refunds == []
    assert look_up(table) == "valid"


def test_without_payments_connected_a_refund_is_refused_and_nothing_is_written(table):
    application = applied(table)
    issued(table, application)
    unconnected = StaffPermits(table=table, zones=load_zones(), clock=lambda: LATER)
    before = table.scan()["Items"]
    result = revoke(unconnected, application.reference, "unused-months")
    assert (result["status"], result["body"]["field"]) == (409, "refund")
    assert table.scan()["Items"] == before
