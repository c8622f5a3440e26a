"""The permits stack: the Permits table (the council's key, PITR, the two indexes the store queries)."""

from __future__ import annotations

import pytest

from permits.store import BY_HOUSEHOLD, BY_VRM

pytestmark = pytest.mark.infra


def _tables(synth) -> dict[str, object]:
    return {t.logical_id: t for t in synth.resources("AWS::DynamoDB::Table") if t.stack == synth.stack("Permits")}


def _permits_table(synth):
    (table,) = [t for t in _tables(synth).values() if t.logical_id.startswith("Permits")]
    return table


def test_the_permits_table_is_encrypted_with_the_councils_key_and_recoverable(synth):
    props = _permits_table(synth).props
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["SSESpecification"]["SSEType"] == "KMS"
    assert "KMSMasterKeyId" in props["SSESpecification"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props.get("DeletionProtectionEnabled", False) is (synth.environment == "prod")
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["pk", "sk"]
    indexes = {index["IndexName"]: index for index in props["GlobalSecondaryIndexes"]}
    assert set(indexes) == {BY_VRM, BY_HOUSEHOLD}
    assert [k["AttributeName"] for k in indexes[BY_VRM]["KeySchema"]] == ["vrm"]
    assert [k["AttributeName"] for k in indexes[BY_HOUSEHOLD]["KeySchema"]] == ["household", "zone"]
