"""Every resource the synthesized app declares is provisioned into moto, or listed as not served."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.assembly import source_hash
from local.model import physical_name
from local.resources import NOT_SERVED, PROVISIONERS
from local.templates import load_stacks, resource_types

pytestmark = pytest.mark.local


def test_every_declared_resource_type_is_provisioned_or_explicitly_not_served(assembly_dir):
    declared = resource_types(load_stacks(assembly_dir))
    unaccounted = declared - set(PROVISIONERS) - set(NOT_SERVED)
    assert not unaccounted, f"Decide how the local cloud serves these (local/resources.py): {sorted(unaccounted)}"
    assert not set(PROVISIONERS) & set(NOT_SERVED)


def test_stacks_load_in_dependency_order(assembly_dir):
    names = [stack.name for stack in load_stacks(assembly_dir)]
    assert names.index("Borough-dev-Foundation") < names.index("Borough-dev-Data") < names.index("Borough-dev-Api")
    assert names.index("Borough-dev-Events") < names.index("Borough-dev-Workflows")


def test_not_served_types_are_reported(local_cloud):
    reported = local_cloud.not_served()
    assert "AWS::Logs::LogGroup" in reported
    assert all(reason for reason in reported.values())
    for resource in local_cloud.inventory.resources:
        assert resource.physical_id, f"{resource.path} has no physical id"
        assert resource.served == (resource.type in PROVISIONERS)


def test_tables_exist_under_deterministic_names_with_ttl(local_cloud):
    dynamodb = local_cloud.client("dynamodb")
    names = set(dynamodb.list_tables()["TableNames"])
    requests = local_cloud.physical_id("Borough-dev-Data/Requests")
    assert requests == physical_name("Borough-dev-Data", local_cloud.resource("Borough-dev-Data/Requests").logical_id)
    assert set(local_cloud.table_names()) <= names
    ttl = dynamodb.describe_time_to_live(TableName=requests)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")


def test_function_environments_are_resolved_to_real_physical_names(local_cloud):
    functions = local_cloud.inventory.of_type("AWS::Lambda::Function")
    assert len(functions) >= 5
    for function in functions:
        environment = local_cloud.function_environment(function.physical_id)
        for key, value in environment.items():
            assert isinstance(value, str), key
            # An unresolved intrinsic would show up as a stringified dict such as {'Ref': ...} or {"Fn::...}.
            assert not any(mark in value for mark in ("Fn::", "'Ref'", '"Ref"')), (function.path, key)
    catalogue = local_cloud.function_environment("Borough-dev-Api/Catalogue/Function")
    assert catalogue["REQUESTS_TABLE"] == local_cloud.physical_id("Borough-dev-Data/Requests")
    # The catalogue stores events with its writes; the outbox publishes them from the table's stream.
    outbox = local_cloud.function_environment("Borough-dev-Api/Outbox/Publisher/Function")
    assert outbox["EVENTS_TOPIC_ARN"] == local_cloud.physical_id("Borough-dev-Events/Events")
    assign = local_cloud.function_environment("Borough-dev-Workflows/TriageAssign/Function")
    assert assign["REQUESTS_TABLE"] == local_cloud.physical_id("Borough-dev-Data/Requests")


def test_every_project_function_runs_from_its_source_folder(local_cloud):
    functions_dir = str(Path(__file__).resolve().parents[2] / "functions")
    project = [
        f for f in local_cloud.inventory.of_type("AWS::Lambda::Function")
        if f.metadata.get("aws:asset:path") == functions_dir
    ]  # fmt: skip
    assert len(project) >= 5
    for function in project:
        assert local_cloud.runtime.is_local(function.physical_id), function.path


def test_topic_subscriptions_filter_and_deliver_raw_to_queues_with_dead_letter_queues(local_cloud):
    sns, sqs = local_cloud.client("sns"), local_cloud.client("sqs")
    topic = local_cloud.physical_id("Borough-dev-Events/Events")
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert len(subscriptions) == len(local_cloud.inventory.of_type("AWS::SNS::Subscription")) >= 2
    for subscription in subscriptions:
        attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])["Attributes"]
        assert attributes["RawMessageDelivery"] == "true"
        assert "type" in json.loads(attributes["FilterPolicy"])
        queue_url = sqs.get_queue_url(QueueName=subscription["Endpoint"].rsplit(":", 1)[1])["QueueUrl"]
        queue = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
        assert json.loads(queue["RedrivePolicy"])["maxReceiveCount"] >= 1
        assert "Policy" in queue  # the queue policy that lets the topic send


def test_state_machine_definition_has_its_substitutions(local_cloud):
    machine = local_cloud.physical_id("Borough-dev-Workflows/Triage")
    definition = local_cloud.client("stepfunctions").describe_state_machine(stateMachineArn=machine)["definition"]
    assert "${" not in definition
    assert local_cloud.physical_id("Borough-dev-Workflows/TriageAssign/Function") in definition


def test_http_api_routes_and_authorizer_are_in_moto_and_the_api_url_is_local(local_cloud):
    api_id = local_cloud.physical_id("Borough-dev-Api/Api")
    client = local_cloud.client("apigatewayv2")
    route_keys = {route["RouteKey"] for route in client.get_routes(ApiId=api_id)["Items"]}
    assert {"ANY /api/v1/{proxy+}", "PATCH /api/v1/requests/{reference}"} <= route_keys
    authorizer_id = local_cloud.physical_id("Borough-dev-Api/Api/StaffAuthorizer")
    authorizer = client.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["JwtConfiguration"]["Audience"] == [local_cloud.staff_pools[0].client_id]
    assert local_cloud.inventory.outputs["Borough-dev-Api"]["ApiUrl"] == local_cloud.url


def test_staff_user_pool_has_the_seeded_caseworker(local_cloud):
    pool = local_cloud.staff_pools[0]
    cognito = local_cloud.client("cognito-idp")
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool.user_pool_id, Username="caseworker@example.org")
    assert [g["GroupName"] for g in groups["Groups"]] == ["caseworkers"]


def test_physical_names_stay_within_limits_and_are_stable():
    long = physical_name("Borough-dev-Workflows", "X" * 80, 64)
    assert len(long) == 64
    assert long == physical_name("Borough-dev-Workflows", "X" * 80, 64)
    assert physical_name("S", "Queue", 80, ".fifo") == "S-Queue.fifo"


def test_an_assembly_synthesized_in_another_checkout_is_not_reused(tmp_path):
    # Templates name asset folders by absolute path: an assembly copied from another checkout would run its code.
    for checkout in ("main", "worktree"):
        (tmp_path / checkout).mkdir()
        (tmp_path / checkout / "app.py").write_text("same source")
    assert source_hash(tmp_path / "main") != source_hash(tmp_path / "worktree")
    assert source_hash(tmp_path / "main") == source_hash(tmp_path / "main")
