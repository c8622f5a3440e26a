"""Least privilege: no data action on "*", no wildcard actions, no managed policies, each function only its own
tables, topics and state machines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.infra

# Actions that support no resource-level permissions: the only ones allowed on Resource "*".
RESOURCELESS_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    # Step Functions' execution logging to CloudWatch Logs (vended log delivery).
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}
DYNAMODB_WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
# handler -> (tables it may read, tables it may write), by environment variable name.
TABLE_ACCESS = {
    "catalogue.handler.handler": ({"REQUESTS_TABLE", "IDEMPOTENCY_TABLE"}, {"REQUESTS_TABLE", "IDEMPOTENCY_TABLE"}),
    "cases.handler.handler": ({"REQUESTS_TABLE"}, {"REQUESTS_TABLE"}),
    "cases.triage.assign": ({"REQUESTS_TABLE"}, {"REQUESTS_TABLE"}),
    "notifications.handler.handler": (
        {"NOTIFICATIONS_TABLE", "REQUESTS_TABLE", "SUBSCRIPTIONS_TABLE"},  # no table of the web's
        {"NOTIFICATIONS_TABLE"},
    ),
    "notifications.callback.handler": ({"NOTIFICATIONS_TABLE"}, {"NOTIFICATIONS_TABLE"}),
    "notifications.subscriptions.handler": ({"SUBSCRIPTIONS_TABLE"}, {"SUBSCRIPTIONS_TABLE"}),
    "notifications.subscriptions.scheduled_handler": ({"SUBSCRIPTIONS_TABLE"}, set()),
    "web.handler.handler": ({"DRAFTS_TABLE"}, {"DRAFTS_TABLE"}),
    "web.reminders.handler": ({"DRAFTS_TABLE"}, set()),
    "web.return_links.handler": ({"DRAFTS_TABLE"}, {"DRAFTS_TABLE"}),
    "payments.handler.handler": ({"PAYMENTS_TABLE", "REQUESTS_TABLE"}, {"PAYMENTS_TABLE", "REQUESTS_TABLE"}),
    "payments.worker.handler": (
        {"PAYMENTS_TABLE", "REQUESTS_TABLE", "REFUNDS_TABLE"},
        {"PAYMENTS_TABLE", "REQUESTS_TABLE", "REFUNDS_TABLE"},
    ),
    "payments.reconciler.handler": (
        {"PAYMENTS_TABLE", "REQUESTS_TABLE", "REFUNDS_TABLE"},
        {"PAYMENTS_TABLE", "REQUESTS_TABLE", "REFUNDS_TABLE"},
    ),
    "payments.staff.handler": ({"PAYMENTS_TABLE", "REFUNDS_TABLE"}, {"REFUNDS_TABLE"}),
    "payments.creator_handler.handler": ({"PAYMENTS_TABLE", "REQUESTS_TABLE"}, {"PAYMENTS_TABLE", "REQUESTS_TABLE"}),
    "payments.moto_handler.handler": ({"PAYMENTS_TABLE", "REQUESTS_TABLE"}, {"PAYMENTS_TABLE", "REQUESTS_TABLE"}),
    "payments.webhooks.handler": (set(), set()),
    "payments.reconciler.nightly_handler": ({"PAYMENTS_TABLE", "REFUNDS_TABLE"}, set()),  # reads, writes nothing
    "payments.staff_api.handler": ({"PAYMENTS_TABLE", "REFUNDS_TABLE"}, {"REFUNDS_TABLE"}),
    "payments.order_refunds.handler": ({"PAYMENTS_TABLE", "REFUNDS_TABLE"}, {"REFUNDS_TABLE"}),  # refund-order
    "outbox.handler.handler": (set(), set()),  # the Requests or Permits table's stream only (below), never its items
    "catalogue.assisted_handler.handler": ({"REQUESTS_TABLE"}, {"REQUESTS_TABLE"}),
    # Requests by key and the team index, updated by case working (a conditioned UpdateItem); the audit record
    # appended to (test_infra_console.py)
    "console.handler.handler": ({"REQUESTS_TABLE", "AUDIT_TABLE", "KPIS_TABLE"}, {"REQUESTS_TABLE", "AUDIT_TABLE"}),
    "console.kpi_handler.handler": ({"KPIS_TABLE"}, {"KPIS_TABLE"}),  # its counters only (test_infra_kpis.py)
    "renewals.handler.handler": ({"RENEWALS_TABLE"}, {"RENEWALS_TABLE"}),  # never the Requests table
    "renewals.job.handler": ({"RENEWALS_TABLE"}, {"RENEWALS_TABLE"}),
    # The previous request's answers, read (GetItem) to pre-fill a renewal; never written.
    "renewals.links.handler": ({"RENEWALS_TABLE", "REQUESTS_TABLE"}, {"RENEWALS_TABLE"}),
    # The by-vrm index of the Permits table; the look-ups' audit appended to (test_infra_permits.py)
    "permits.check.handler": ({"PERMITS_TABLE", "LOOKUPS_TABLE"}, {"LOOKUPS_TABLE"}),
    # The by-change index of the Permits table (the devices' feed); each page given appended to the audit
    "permits.feed_handler.handler": ({"PERMITS_TABLE", "LOOKUPS_TABLE"}, {"LOOKUPS_TABLE"}),
    # The household's and the mark's permits (two indexes); a new application put (test_infra_permits.py)
    "permits.application_handler.handler": ({"PERMITS_TABLE"}, {"PERMITS_TABLE"}),
    # The paid application read, its permit, guard and counter written, the application marked issued; a paid change
    # of vehicle applied (the guards swapped)
    "permits.issue_handler.handler": ({"PERMITS_TABLE"}, {"PERMITS_TABLE"}),
    "permits.journey_handler.handler": ({"PERMITS_TABLE"}, {"PERMITS_TABLE"}),
    # The by-due index; each step claimed (an UpdateItem carrying its outbox event), an expiry's guard deleted
    "permits.schedule_job.handler": ({"PERMITS_TABLE"}, {"PERMITS_TABLE"}),
    # Permits for staff: the two indexes read, declared details verified, a permit revoked (test_infra_permits.py)
    "permits.staff_handler.handler": ({"PERMITS_TABLE"}, {"PERMITS_TABLE"}),
}
STREAM_ACTIONS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}
# Catalogue and cases store their events with their writes; the outbox publishes them from the table's stream.
# The payments functions publish payment-failed themselves (it changes no request: nothing for the outbox).
PUBLISHERS = {
    "outbox.handler.handler",
    "web.handler.handler",
    "web.reminders.handler",
    "payments.handler.handler",
    "payments.worker.handler",
    "payments.reconciler.handler",
    "renewals.job.handler",  # renewal-due changes no request: nothing for the outbox
    "payments.creator_handler.handler",  # a queued create whose payment Pay had finished follows it up
    "payments.moto_handler.handler",
}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(synth) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, statement) for every identity policy: AWS::IAM::Policy, managed policies and roles' inline ones."""
    for type_ in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role"):
        for resource in synth.resources(type_) if type_ != "AWS::IAM::ManagedPolicy" else _optional(synth, type_):
            documents = [resource.props.get("PolicyDocument")]
            documents += [p["PolicyDocument"] for p in resource.props.get("Policies", [])]
            for document in filter(None, documents):
                for statement in document["Statement"]:
                    yield f"{resource.stack}/{resource.logical_id}", statement


def _optional(synth, type_):
    try:
        return synth.resources(type_)
    except AssertionError:
        return []


def test_no_action_that_can_be_scoped_is_granted_on_every_resource(synth):
    offending = [
        (where, statement["Action"])
        for where, statement in _statements(synth)
        if statement["Effect"] == "Allow"
        and "*" in _as_list(statement["Resource"])
        and not set(_as_list(statement["Action"])) <= RESOURCELESS_ACTIONS
    ]
    assert not offending


def test_no_wildcard_actions(synth):
    wildcards = [
        action
        for _, statement in _statements(synth)
        for action in _as_list(statement["Action"])
        if "*" in action and action not in RESOURCELESS_ACTIONS
    ]
    assert not wildcards


def test_roles_have_no_aws_managed_policies(synth):
    for role in synth.resources("AWS::IAM::Role"):
        assert not role.props.get("ManagedPolicyArns"), role.id


class _Grants(dict):
    """handler -> (function resource, [statements]); `.every()` also gives each further function with the same
    handler (the outbox publisher runs on the Requests and the Permits tables' streams)."""

    def __init__(self) -> None:
        super().__init__()
        self.all: list[tuple[str, tuple[Any, list[dict[str, Any]]]]] = []

    def every(self) -> list[tuple[str, tuple[Any, list[dict[str, Any]]]]]:
        return self.all


def _function_grants(synth) -> _Grants:
    """handler -> (function resource, [statements of the policies attached to its role])."""
    result = _Grants()
    for function in synth.resources("AWS::Lambda::Function"):
        statements = synth.role_statements(function)
        assert statements, f"no policy for {function.props['Handler']}"
        result.setdefault(function.props["Handler"], (function, statements))
        result.all.append((function.props["Handler"], (function, statements)))
    return result


def _tables_by_variable(synth, function):
    return {
        name: synth.refers_to(function.stack, value)
        for name, value in function.props["Environment"]["Variables"].items()
        if name.endswith("_TABLE")
    }


def test_each_function_reads_and_writes_only_its_own_tables(synth):
    table_ids = {t.id for t in synth.resources("AWS::DynamoDB::Table")}
    grants = _function_grants(synth)
    assert set(grants) == set(TABLE_ACCESS)
    for handler, (function, statements) in grants.every():
        may_read, may_write = TABLE_ACCESS[handler]
        by_variable = _tables_by_variable(synth, function)
        readable = {by_variable[name] for name in may_read}
        writable = {by_variable[name] for name in may_write}
        for statement in statements:
            actions = set(_as_list(statement["Action"]))
            if not any(a.startswith("dynamodb:") for a in actions) or actions <= STREAM_ACTIONS:
                continue  # stream reads: test_only_the_outbox_reads_a_stream_and_only_the_requests_and_permits_ones
            targets = {rid for r in _as_list(statement["Resource"]) for rid in synth.references(function.stack, r)}
            assert targets, (handler, statement)
            assert targets <= table_ids, (handler, statement)
            assert targets <= readable, f"{handler} may touch {targets - readable}"
            if actions & DYNAMODB_WRITES:
                assert targets <= writable, f"{handler} may write {targets - writable}"
            assert "dynamodb:Scan" not in actions, handler


def test_only_the_outbox_reads_a_stream_and_only_the_requests_and_permits_ones(synth):
    tables = {
        t.id
        for t in synth.resources("AWS::DynamoDB::Table")
        if (t.stack == synth.stack("Data") and t.props["KeySchema"][0]["AttributeName"] == "reference")
        or (t.stack == synth.stack("Permits") and t.logical_id.startswith("Permits"))
    }
    assert len(tables) == 2
    readers, read = [], set()
    for handler, (function, statements) in _function_grants(synth).every():
        for statement in statements:
            actions = set(_as_list(statement["Action"]))
            if not actions & STREAM_ACTIONS:
                continue
            readers.append(handler)
            assert actions <= STREAM_ACTIONS, (handler, actions)  # no item reads or writes with them
            for resource in _as_list(statement["Resource"]):
                assert resource.get("Fn::GetAtt", [None, None])[1] == "StreamArn" or "Fn::ImportValue" in resource
                read.add(synth.refers_to(function.stack, resource))
    assert readers == ["outbox.handler.handler", "outbox.handler.handler"]  # one publisher per table
    assert read == tables


def test_cases_cannot_write_the_notifications_table(synth):
    notifications = next(
        t.id
        for t in synth.resources("AWS::DynamoDB::Table")
        if t.props["KeySchema"][0]["AttributeName"] == "message_id"
    )
    function, statements = _function_grants(synth)["cases.handler.handler"]
    for statement in statements:
        targets = {rid for r in _as_list(statement["Resource"]) for rid in synth.references(function.stack, r)}
        assert notifications not in targets


def test_only_publishers_publish_and_only_to_the_events_topic(synth):
    topic_ids = {t.id for t in synth.resources("AWS::SNS::Topic")}
    for handler, (function, statements) in _function_grants(synth).every():
        publishes = [s for s in statements if "sns:Publish" in _as_list(s["Action"])]
        assert bool(publishes) == (handler in PUBLISHERS), handler
        events_topic = synth.refers_to(
            function.stack, function.props["Environment"]["Variables"].get("EVENTS_TOPIC_ARN")
        )
        for statement in publishes:
            targets = {rid for r in _as_list(statement["Resource"]) for rid in synth.references(function.stack, r)}
            assert targets == {events_topic}, handler
            assert targets <= topic_ids, handler


START_ACTIONS = {"states:StartExecution", "states:StartSyncExecution"}


# The applications function starts an application's permit journey (functions/permits/journey.py), and nothing else.
JOURNEY_STARTERS = {"permits.application_handler.handler"}


def _permit_journey(synth) -> Any:
    (machine,) = [m for m in synth.resources("AWS::StepFunctions::StateMachine") if m.stack == synth.stack("Permits")]
    return machine.id


def test_only_the_applications_function_starts_a_state_machine_and_only_the_permit_journey(synth):
    # The triage pipe starts triage (tests/infra/test_infra_pipes.py); no other function may start an execution.
    starters = set()
    for handler, (function, statements) in _function_grants(synth).every():
        starting = [s for s in statements if START_ACTIONS & set(_as_list(s["Action"]))]
        if starting:
            starters.add(handler)
            assert [_as_list(s["Action"]) for s in starting] == [["states:StartExecution"]], handler
            targets = {synth.refers_to(function.stack, r) for s in starting for r in _as_list(s["Resource"])}
            assert targets == {_permit_journey(synth)}, handler
    assert starters == JOURNEY_STARTERS


def test_only_pipe_roles_start_executions_and_each_only_its_own_target(synth):
    pipes = synth.resources("AWS::Pipes::Pipe")
    targets = {synth.refers_to(p.stack, p.props["RoleArn"]): synth.refers_to(p.stack, p.props["Target"]) for p in pipes}
    starters = set()
    for role in synth.resources("AWS::IAM::Role"):
        for policy in role.props.get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                if START_ACTIONS & set(_as_list(statement["Action"])):
                    assert role.id in targets, role.id
                    resources = {synth.refers_to(role.stack, r) for r in _as_list(statement["Resource"])}
                    assert resources == {targets[role.id]}, role.id
                    starters.add(role.id)
    assert starters == set(targets)  # each pipe's role may start its target
    journey_starters = {_function_grants(synth)[h][0].id for h in JOURNEY_STARTERS}
    for policy in synth.resources("AWS::IAM::Policy"):
        for statement in policy.props["PolicyDocument"]["Statement"]:
            if START_ACTIONS & set(_as_list(statement["Action"])):
                # a function role's policy: only the journey's starters (test above)
                roles = {synth.refers_to(policy.stack, r) for r in policy.props["Roles"]}
                functions = {
                    f.id
                    for f in synth.resources("AWS::Lambda::Function")
                    if synth.refers_to(f.stack, f.props["Role"]) in roles
                }
                assert functions, policy.id
                assert functions <= journey_starters, policy.id


def test_key_use_through_dynamodb_and_sns_is_limited_to_that_service(synth):
    checked = 0
    for _, statement in _statements(synth):
        actions = set(_as_list(statement["Action"]))
        if "kms:Encrypt" in actions or "kms:GenerateDataKey" in actions:
            if statement.get("Principal"):
                continue  # key policies are not identity policies
            via = statement.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
            assert via, statement
            checked += 1
    assert checked


def test_each_function_writes_logs_only_to_its_own_log_group(synth):
    for handler, (function, statements) in _function_grants(synth).every():
        own = synth.refers_to(function.stack, function.props["LoggingConfig"]["LogGroup"])
        for statement in statements:
            if any(a.startswith("logs:") for a in _as_list(statement["Action"])):
                targets = {rid for r in _as_list(statement["Resource"]) for rid in synth.references(function.stack, r)}
                assert targets == {own}, handler


def test_every_kms_condition_comes_from_the_grants_helper():
    # One place writes `kms:ViaService` (stacks/constructs/grants.py), so every key grant limits use the same way.
    from local.assembly import ROOT

    written_by_hand = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "stacks").rglob("*.py"))
        if "kms:ViaService" in path.read_text() and path != ROOT / "stacks" / "constructs" / "grants.py"
    ]
    assert written_by_hand == []
