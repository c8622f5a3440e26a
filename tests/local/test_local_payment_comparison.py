"""The nightly comparison in the local cloud: the deployed function, with the role the template gives it (read
only), compares yesterday's attempts with the local Pay's search and reports what differs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from local import pay_standin
from local.moto_session import LOCK
from tests.local.payment_support import function_named_by_handler, invoke, put_awaiting_requests

pytestmark = pytest.mark.local


def test_the_nightly_comparison_reports_yesterdays_mismatches_and_nothing_else(local_cloud):
    pay = pay_standin.sandbox()
    yesterday = datetime.now(UTC) - timedelta(days=1)
    payments_table = local_cloud.physical_id("Borough-dev-Payments/Payments")
    put_awaiting_requests(local_cloud, ["CMP0-0001"])
    # A payment Pay made yesterday (its clock set back for the create), ours recorded today: matched by reference
    # and attempt across the two days, not reported missing. Pay has expired it since (90 minutes), and ours still
    # says created (the reconciler polls attempts older than 30 s: this one is seconds old): a state that differs.
    real = pay.clock
    pay.clock = lambda: yesterday
    try:
        started = invoke(local_cloud, function_named_by_handler(local_cloud, "payments.handler.handler"),
                         {"action": "start", "reference": "CMP0-0001"})  # fmt: skip
    finally:
        pay.clock = real
    assert started["body"]["status"] == "created", started
    # An attempt of ours from yesterday whose payment Pay does not have.
    with LOCK:
        local_cloud.client("dynamodb").put_item(
            TableName=payments_table,
            Item={
                "reference": {"S": "CMP0-0002"},
                "attempt": {"N": "1"},
                "service_id": {"S": "bulky-waste"},
                "amount": {"N": "2500"},
                "status": {"S": "success"},
                "finished": {"BOOL": True},
                "return_token": {"S": "t" * 24},
                "created_at": {"S": yesterday.isoformat(timespec="seconds")},
                "created_day": {"S": yesterday.date().isoformat()},
                "payment_id": {"S": "not-at-pay-0000000000000001"},
            },
        )
    counts = invoke(local_cloud, function_named_by_handler(local_cloud, "payments.reconciler.nightly_handler"), {})
    assert counts == {"missing-at-pay": 1, "missing-here": 0, "state-differs": 1, "amount-differs": 0}
