"""Garden waste renewals end to end in the local cloud: pay for a subscription through the web and the local Pay,
fire the daily reminder rule on the reminder day, find the reminder in the Notify stand-in's outbox, follow its
link (check your answers pre-filled), pay again, and a second subscription runs on from the old end date."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from local import pay_standin
from tests.local.test_local_notifications_journey import Browser, outbox
from tests.local.test_local_payments import CARD, WEBHOOK_FIRST_ATTEMPT_S, card_page, walk_to_check_answers

pytestmark = pytest.mark.local

SERVICE = "garden-waste"


def pay(local_cloud, browser: Browser, check: str) -> str:
    """Send from check your answers, pay with a success card; the paid request's reference."""
    page = browser.request("GET", check).body.decode()
    assert "you will go to GOV.UK Pay to pay £52 by card" in page
    sent = browser.request("POST", check, {"action": "submit"})
    assert sent.status == 303, sent.body[:1500]
    next_url = sent.header("location")
    assert next_url.startswith(pay_standin.base_url(local_cloud.url) + "/secure/")
    card = card_page(browser, next_url)
    confirm = browser.request("POST", card, {"card_number": "4242424242424242", **CARD})
    back = browser.request("POST", urlsplit(confirm.header("location")).path, {})
    returned = browser.request("GET", urlsplit(back.header("location")).path)
    assert returned.header("location") == f"/services/{SERVICE}/confirmation", returned.body[:1500]
    confirmation = browser.request("GET", returned.header("location")).body.decode()
    assert "You have paid <strong>£52</strong>" in confirmation
    time.sleep(WEBHOOK_FIRST_ATTEMPT_S + 0.5)  # let the local Pay's webhook land too
    local_cloud.wait_for_idle(timeout_s=30)  # payment-succeeded -> the renewals queue -> recorded
    return re.search(r'id="reference">([A-Z0-9-]+)<', confirmation).group(1)


def _email_on(local_cloud, reference: str) -> str:
    """The address the sample answers gave (the Requests table, as the notifications consumer reads it)."""
    table = local_cloud.physical_id("Borough-dev-Data/Requests")
    item = local_cloud.client("dynamodb").get_item(TableName=table, Key={"reference": {"S": reference}})["Item"]
    return str(item["contact"]["M"]["email"]["S"])


def subscriptions(local_cloud) -> dict[str, dict[str, Any]]:
    table = local_cloud.physical_id("Borough-dev-Renewals/Renewals")
    items = local_cloud.client("dynamodb").scan(TableName=table)["Items"]
    return {i["reference"]["S"]: {k: next(iter(v.values())) for k, v in i.items()} for i in items}


def test_pay_be_reminded_follow_the_link_and_renew_from_the_old_end(local_cloud):
    first_browser = Browser(local_cloud)
    first = pay(local_cloud, first_browser, walk_to_check_answers(first_browser, SERVICE))
    email = _email_on(local_cloud, first)
    subscription = subscriptions(local_cloud)[first]
    assert subscription["service_id"] == SERVICE
    assert "contact" not in subscription  # the resident's details stay in the request
    remind_on = datetime.fromisoformat(subscription["remind_on"]).replace(hour=8, tzinfo=UTC)

    (rule,) = [r for r in local_cloud.scheduler.rules if r.logical_id.startswith("DailyRenewalReminders")]
    for _ in range(2):  # the rule ran twice on the reminder day: one reminder
        assert local_cloud.scheduler.fire(rule, remind_on) == 1
        local_cloud.wait_for_idle(timeout_s=30)
    (reminder,) = [m for m in outbox(local_cloud, email) if "Renew" in m["subject"] and first in m["body"]]
    ends = datetime.fromisoformat(subscription["ends_on"])
    assert reminder["subject"] == f"Renew your garden waste collection by {ends.day} {ends:%B %Y}"
    link = re.search(r"(\S+/services/garden-waste/renew/\S+)", reminder["body"]).group(1)
    assert link.startswith(f"{local_cloud.url}/services/{SERVICE}/renew/")
    assert subscriptions(local_cloud)[first]["reminded_on"] == subscription["remind_on"]

    browser = Browser(local_cloud)  # the email opened in another browser
    opened = browser.request("GET", urlsplit(link).path)
    assert opened.status == 303, opened.body[:1500]
    assert opened.header("location") == f"/services/{SERVICE}/check-answers"
    check_page = browser.request("GET", opened.header("location")).body.decode()
    assert email in check_page  # told once: last year's details, to check or change
    second = pay(local_cloud, browser, opened.header("location"))

    assert second != first
    rows = subscriptions(local_cloud)
    assert rows[second]["starts_on"] == rows[first]["ends_on"]
    assert rows[second]["renews"] == first
    assert rows[first]["renewed_by"] == second
    # The link is spent: the subscription is renewed.
    again = Browser(local_cloud).request("GET", urlsplit(link).path)
    assert again.status == 410
