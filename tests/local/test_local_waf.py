"""The WAF stack in the local cloud: the web ACL exists in us-east-1 and reaches the distribution across regions."""

from __future__ import annotations

import pytest

from local.resources_waf import STRONG_REF_TAG

pytestmark = pytest.mark.local

WAF_REGION = "us-east-1"


@pytest.fixture(scope="module")
def web_acl(local_cloud):
    wafv2 = local_cloud.client("wafv2", WAF_REGION)
    (summary,) = wafv2.list_web_acls(Scope="CLOUDFRONT")["WebACLs"]
    return wafv2.get_web_acl(Name=summary["Name"], Scope="CLOUDFRONT", Id=summary["Id"])["WebACL"]


def test_the_web_acl_is_created_for_cloudfront_in_us_east_1_with_its_rules(local_cloud, web_acl):
    assert web_acl["ARN"].startswith(f"arn:aws:wafv2:{WAF_REGION}:")
    assert ":global/webacl/" in web_acl["ARN"]  # scope CLOUDFRONT
    assert web_acl["DefaultAction"] == {"Allow": {}}
    assert {rule["Name"] for rule in web_acl["Rules"]} >= {
        "AWSManagedRulesCommonRuleSet",
        "PostsPerAddress",
        "RequestsPerAddress",
    }
    logging = local_cloud.client("wafv2", WAF_REGION).get_logging_configuration(ResourceArn=web_acl["ARN"])
    assert logging["LoggingConfiguration"]["LoggingFilter"]["DefaultBehavior"] == "DROP"


def test_the_distribution_gets_the_web_acl_arn_through_the_cross_region_reference(local_cloud, web_acl):
    (distribution,) = local_cloud.inventory.of_type("AWS::CloudFront::Distribution")
    assert distribution.properties["DistributionConfig"]["WebACLId"] == web_acl["ARN"]
    # As in AWS: the writer (us-east-1) put the ARN in an SSM parameter in the web stack's region, and the reader
    # marked it as in use by the web stack.
    ssm = local_cloud.client("ssm")
    (parameter,) = ssm.get_parameters_by_path(Path=f"/cdk/exports/{distribution.stack}/")["Parameters"]
    assert parameter["Value"] == web_acl["ARN"]
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=parameter["Name"])["TagList"]
    assert {"Key": STRONG_REF_TAG + distribution.stack, "Value": "true"} in tags


def test_the_waf_is_reported_as_not_filtering_locally(local_cloud):
    assert any("WAF" in line and "does not filter" in line for line in local_cloud.not_enforced())
    (writer,) = local_cloud.inventory.of_type("Custom::CrossRegionExportWriter")
    (reader,) = local_cloud.inventory.of_type("Custom::CrossRegionExportReader")
    assert writer.served
    assert reader.served
