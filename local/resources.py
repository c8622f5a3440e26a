"""The one table of resource provisioners: every resource family's, joined. `NOT_SERVED` names the types the local
cloud knows and deliberately does not run, with the reason printed at start-up; `NOT_ENFORCED` what it provisions
but does not enforce or simulate.

Adding a resource type: write its provisioner in its family's module (`local/resources_<family>.py`, which imports
only `local.model` and helpers) and add it to that module's `PROVISIONERS`.
"""

from __future__ import annotations

from local import resources_api, resources_compute, resources_data, resources_messaging, resources_waf, resources_web
from local.model import Provisioner

FAMILIES = (resources_data, resources_messaging, resources_compute, resources_api, resources_web, resources_waf)


def _join() -> dict[str, Provisioner]:
    table: dict[str, Provisioner] = {}
    for family in FAMILIES:
        twice = set(table) & set(family.PROVISIONERS)
        if twice:
            raise RuntimeError(f"{family.__name__} provisions types another family already does: {sorted(twice)}")
        table.update(family.PROVISIONERS)
    return table


PROVISIONERS: dict[str, Provisioner] = _join()

NOT_SERVED: dict[str, str] = {
    "AWS::Logs::LogGroup": "function logs print to this terminal instead",
    "AWS::CloudFront::Function": "viewer functions are JavaScript and do not run locally",
    "AWS::CloudFront::KeyValueStore": "the map tiles' API key, for a viewer function; the tile stand-in needs none",
    "AWS::CloudWatch::Alarm": "no metrics are collected locally, so alarms never fire",
    "AWS::CloudWatch::Dashboard": "no metrics are collected locally",
    "AWS::CDK::Metadata": "CDK's usage metadata: nothing to run",
    "AWS::Logs::ResourcePolicy": "lets CloudWatch Logs deliver WAF's logs; no requests are inspected locally",
    "AWS::Cognito::UserPoolDomain": "managed login is a stand-in at /sandbox/cognito (local/sandbox/cognito_oauth.py)",
    # stacks/constructs/route_throttle.py: UpdateStage with a route's throttle, which the local gateway would ignore.
    "Custom::AWS": "CDK's SDK-call custom resource (the permits look-up's route throttles): not called locally, "
    "where API Gateway throttling is not enforced",
}

# Behaviour that is provisioned but not enforced or not simulated locally (printed with the list above).
NOT_ENFORCED = (
    "KMS encryption: data is not encrypted locally (key policies are enforced where listed above)",
    "DynamoDB TTL is configured but items do not expire",
    "API Gateway throttling (the stage's and the routes' own: status and permits look-ups) and access logs, "
    "Lambda timeouts (a warning is printed), memory and reserved concurrency",
    "X-Ray tracing (POWERTOOLS_TRACE_DISABLED=true); resource tags",
    "AWS WAF: the web ACL (us-east-1) is created with its rules, but the local port does not filter or rate-limit",
)
