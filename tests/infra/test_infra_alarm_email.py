"""Alarms reach a person: an environment with deletion protection (a real deployment, prod) refuses to synthesize
without an alarm address, and the address can be given at synth (`-c alarm_email=...`) instead of in cdk.json."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest

from app import CDK_JSON, build_app
from stacks.config import load_config
from tests.infra.conftest import PROD_ALARM_EMAIL

pytestmark = pytest.mark.infra


def _context() -> dict:
    return {"environments": json.loads(CDK_JSON.read_text())["context"]["environments"]}


def test_cdk_json_leaves_prods_alarm_address_to_the_deployer():
    settings = _context()["environments"]["prod"]
    assert settings["deletion_protection"] is True
    assert settings["alarm_email"] == ""  # no placeholder that would send alarms to nobody


def test_an_environment_with_deletion_protection_and_no_alarm_address_is_refused_clearly():
    with pytest.raises(ValueError, match="alarm_email") as refused:
        load_config(_context(), "prod")
    message = str(refused.value)
    assert "'prod' has deletion_protection on but no alarm_email" in message
    assert "-c alarm_email=<address>" in message


def test_the_app_refuses_to_synthesize_prod_without_an_alarm_address():
    # The check runs before any stack is built, so this costs no synth.
    with pytest.raises(ValueError, match="no alarm_email"):
        build_app(cdk.App(context={"environment": "prod"}))


def test_the_alarm_address_can_be_given_at_synth():
    assert load_config(_context(), "prod", alarm_email="ops@example.org").alarm_email == "ops@example.org"
    assert load_config(_context(), "dev").alarm_email == ""  # dev keeps resources disposable: no address needed


def test_an_alarm_address_that_is_not_an_address_is_refused():
    with pytest.raises(ValueError, match="alarm_email"):
        load_config(_context(), "prod", alarm_email="ops")


def test_prods_alarms_are_emailed_to_the_address_given_at_synth(prod):
    (topic,) = [t for t in prod.resources("AWS::SNS::Topic") if "alarms" in t.props.get("DisplayName", "")]
    emails = [
        s.props["Endpoint"]
        for s in prod.resources("AWS::SNS::Subscription")
        if s.props["Protocol"] == "email" and prod.refers_to(s.stack, s.props["TopicArn"]) == topic.id
    ]
    assert emails == [PROD_ALARM_EMAIL]
