"""Grouping a stack's resources in constructs keeps their logical ids (stacks/constructs/logical_ids.py): the ids
are CDK's own for the same resources built directly in the stack, so a refactor never replaces a table or bucket."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.constructs import logical_ids

pytestmark = pytest.mark.infra


class _GroupingStack(cdk.Stack):
    def _allocate_logical_id(self, cfn_element: cdk.CfnElement) -> str:
        return logical_ids.allocate(self, cfn_element)


def _queue_ids(stack: cdk.Stack) -> set[str]:
    return set(cdk.assertions.Template.from_stack(stack).find_resources("AWS::SQS::Queue"))


def _build(parent: Construct) -> None:
    """Queues at several depths, with a repeated id (CDK drops it from the readable part) and odd characters."""
    sqs.Queue(parent, "Drafts")
    inner = Construct(parent, "Uploads")
    sqs.Queue(inner, "UploadsQueue")
    sqs.Queue(Construct(inner, "Deep-er"), "Q_1")


def test_resources_in_a_group_keep_the_ids_they_had_in_the_stack() -> None:
    plain = cdk.Stack(cdk.App(), "Plain")
    _build(plain)
    grouped = _GroupingStack(cdk.App(), "Grouped")
    _build(logical_ids.Group(grouped, "Data"))
    assert _queue_ids(grouped) == _queue_ids(plain)
    assert len(_queue_ids(plain)) == 3


def test_without_groups_the_ids_are_cdks_own() -> None:
    plain = cdk.Stack(cdk.App(), "Plain")
    _build(Construct(plain, "Data"))
    same = _GroupingStack(cdk.App(), "Same")
    _build(Construct(same, "Data"))  # an ordinary construct is part of the id, as CDK has it
    assert _queue_ids(same) == _queue_ids(plain)
    assert all(logical_id.startswith("Data") for logical_id in _queue_ids(same))


def test_the_web_stacks_data_keeps_its_stack_level_ids(dev) -> None:
    # The drafts table and upload buckets live in the WebData group; their ids carry no trace of it.
    tables = [r for r in dev.resources("AWS::DynamoDB::Table") if r.stack == dev.stack("Web")]
    buckets = [r for r in dev.resources("AWS::S3::Bucket") if r.stack == dev.stack("Web")]
    paths = {r.body["Metadata"]["aws:cdk:path"]: r.logical_id for r in tables + buckets}
    drafts = paths[f"{dev.stack('Web')}/Data/Drafts/Resource"]
    assert drafts == logical_ids.unique_id(["Drafts", "Resource"])
    assert paths[f"{dev.stack('Web')}/Data/Quarantine/Resource"] == logical_ids.unique_id(["Quarantine", "Resource"])
