"""CloudFormation intrinsic functions as the local cloud resolves them."""

from __future__ import annotations

import pytest

from local.intrinsics import Provisioned, Scope, UnresolvedReferenceError, references, resolve

pytestmark = pytest.mark.local


@pytest.fixture
def scope() -> Scope:
    return Scope(
        stack_name="S",
        region="eu-west-2",
        account_id="123456789012",
        resources={"Table": Provisioned("t-1", {"Arn": "arn:table/t-1"}), "Fn": Provisioned("f", {"Arn": "arn:f"})},
        exports={"Other:Thing": "imported"},
        parameters={"Stage": "dev"},
        conditions={
            "IsDev": {"Fn::Equals": [{"Ref": "Stage"}, "dev"]},
            "IsProd": {"Fn::Not": [{"Condition": "IsDev"}]},
        },
        mappings={"Sizes": {"dev": {"memory": 256}}},
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ({"Ref": "Table"}, "t-1"),
        ({"Ref": "AWS::Region"}, "eu-west-2"),
        ({"Ref": "Stage"}, "dev"),
        ({"Fn::GetAtt": ["Table", "Arn"]}, "arn:table/t-1"),
        ({"Fn::GetAtt": "Table.Arn"}, "arn:table/t-1"),
        ({"Fn::Join": ["/", ["a", {"Ref": "Table"}, 3]]}, "a/t-1/3"),
        ({"Fn::Sub": "${AWS::AccountId}:${Table}:${Table.Arn}:${!Lit}"}, "123456789012:t-1:arn:table/t-1:${Lit}"),
        ({"Fn::Sub": ["${A}-${Table}", {"A": {"Ref": "AWS::Partition"}}]}, "aws-t-1"),
        ({"Fn::ImportValue": "Other:Thing"}, "imported"),
        ({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}, "b"),
        ({"Fn::If": ["IsDev", "yes", "no"]}, "yes"),
        ({"Fn::If": ["IsProd", "yes", "no"]}, "no"),
        ({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "memory"]}, 256),
        ({"Fn::Base64": "hi"}, "aGk="),
        ({"Fn::GetAZs": ""}, ["eu-west-2a", "eu-west-2b", "eu-west-2c"]),
        ({"A": {"Ref": "AWS::NoValue"}, "B": [1, {"Ref": "AWS::NoValue"}]}, {"B": [1]}),
        ({"Condition": {"StringEquals": {"k": "v"}}}, {"Condition": {"StringEquals": {"k": "v"}}}),
    ],
)  # fmt: skip
def test_resolve(scope, template, expected):
    assert resolve(template, scope) == expected


@pytest.mark.parametrize(
    "template",
    [{"Ref": "Missing"}, {"Fn::GetAtt": ["Table", "StreamArn"]}, {"Fn::ImportValue": "Nope"}, {"Fn::If": ["No", 1, 2]}],
)
def test_unresolvable_references_fail_clearly(scope, template):
    with pytest.raises(UnresolvedReferenceError):
        resolve(template, scope)


def test_references_finds_what_a_resource_depends_on():
    properties = {
        "A": {"Ref": "One"},
        "B": {"Fn::GetAtt": ["Two", "Arn"]},
        "C": {"Fn::Sub": "${Three.Arn}-${AWS::Region}-${!Not}"},
        "D": {"Fn::Sub": ["${X}", {"X": {"Ref": "Four"}}]},
        "E": [{"Fn::Join": ["", [{"Ref": "AWS::StackName"}, {"Fn::GetAtt": "Five.Arn"}]]}],
    }
    assert references(properties) == {"One", "Two", "Three", "Four", "Five"}
