"""State: every table on demand, recoverable, expiring by TTL; personal data under a customer-managed key."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

pytestmark = pytest.mark.infra


# Tables that hold no personal data, by partition key: encrypted with DynamoDB's own key (no KMS request cost).
# Every other table holds personal data and must use the council's customer-managed key.
# Powertools idempotency records (hashed keys and first responses); the KPI counters (counts, event ids, service
# ids, due dates: functions/console/kpi_counters.py)
NO_PERSONAL_DATA = {"id", "bucket"}


def _partition_key(table):
    return next(k["AttributeName"] for k in table.props["KeySchema"] if k["KeyType"] == "HASH")


def test_the_idempotency_table_uses_dynamodbs_own_key(synth):
    tables = [t for t in synth.resources("AWS::DynamoDB::Table") if _partition_key(t) in NO_PERSONAL_DATA]
    assert tables
    for table in tables:
        assert table.props.get("SSESpecification", {}).get("SSEEnabled") in (None, False), table.id


def test_every_table_is_on_demand_with_pitr_cmk_and_ttl(synth):
    for table in synth.resources("AWS::DynamoDB::Table"):
        props = table.props
        assert props.get("BillingMode") == "PAY_PER_REQUEST", table.id
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, table.id
        ttl = props["TimeToLiveSpecification"]
        assert ttl["Enabled"] is True, table.id
        assert ttl["AttributeName"], table.id
        if _partition_key(table) in NO_PERSONAL_DATA:
            continue
        sse = props["SSESpecification"]
        assert sse["SSEEnabled"] is True, table.id
        assert sse["SSEType"] == "KMS", table.id
        key = synth.refers_to(table.stack, sse.get("KMSMasterKeyId"))
        assert key is not None, table.id
        assert synth.get(key).body["Type"] == "AWS::KMS::Key", table.id


def test_tables_are_protected_and_retained_in_prod(prod):
    for table in prod.resources("AWS::DynamoDB::Table"):
        assert table.props.get("DeletionProtectionEnabled") is True, table.id
        assert table.body.get("DeletionPolicy") == "Retain", table.id
        assert table.body.get("UpdateReplacePolicy") == "Retain", table.id


def test_dev_tables_can_be_torn_down(dev):
    # The counterpart of the prod test: protection comes from config, not a constant.
    assert all(t.props.get("DeletionProtectionEnabled") is not True for t in dev.resources("AWS::DynamoDB::Table"))


def test_request_retention_ttl_attribute_matches_the_functions_contract(synth):
    synth.template("Data").has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [{"AttributeName": "reference", "KeyType": "HASH"}],
            "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
        },
    )


def test_every_kms_key_rotates_and_prod_keys_are_retained(synth):
    for key in synth.resources("AWS::KMS::Key"):
        if key.props.get("KeyUsage") == "SIGN_VERIFY":
            # KMS rotates only symmetric encryption keys; a signing key is replaced by a new one (docs/permits.md).
            assert key.props.get("KeySpec") == "ECC_NIST_P256", key.id
            assert key.props.get("EnableKeyRotation") is not True, key.id
        else:
            assert key.props.get("EnableKeyRotation") is True, key.id
        if synth.environment == "prod":
            assert key.body.get("DeletionPolicy") == "Retain", key.id


def test_log_groups_can_use_the_data_key_only_for_this_accounts_logs(synth):
    statement = Match.object_like(
        {
            "Principal": {"Service": Match.any_value()},
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": Match.any_value()}},
        }
    )
    synth.template("Foundation").has_resource_properties(
        "AWS::KMS::Key", {"KeyPolicy": {"Statement": Match.array_with([statement])}}
    )
