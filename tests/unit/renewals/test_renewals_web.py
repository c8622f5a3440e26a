"""Item 3 in the web: the reminder's link opens check your answers pre-filled from the previous request (which the
resident may change), and sending it marks the new request as the renewal, so its payment's subscription starts
at the old end. The renewal links function runs in-process against moto (renewals/links.py, the real thing)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from renewals.links import RenewalLinks
from renewals.logic import Renewals
from renewals.store import RenewalsStore
from shared.catalogue import load_catalogue
from tests.helpers import create_tables
from tests.unit.renewals.conftest import TABLE
from tests.unit.web.conftest import _signing_key_given_directly  # noqa: F401 - autouse: the pages sign CSRF tokens
from tests.unit.web.web_support import Client, complete_to_check_answers, harness, location

pytestmark = pytest.mark.unit

KEY = b"a-renewal-link-key-for-tests-only-0000000"
SERVICE = "garden-waste"


class InProcessRenewals:
    """The renewal links function as the web invokes it, answering from moto."""

    def __init__(self, links: RenewalLinks) -> None:
        self.links = links
        self.calls: list[dict[str, Any]] = []

    def call(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        self.calls.append(payload)
        if payload["action"] == "open":
            return self.links.open(payload["token"])
        if payload["action"] == "begin":
            return self.links.begin(payload["token"], payload["reference"])
        return None


@pytest.fixture
def renewing(cloud, monkeypatch):
    create_tables({"REQUESTS_TABLE": "reference"}, monkeypatch)
    catalogue = load_catalogue()
    h = harness(catalogue)
    store = RenewalsStore(TABLE)
    renewals = InProcessRenewals(RenewalLinks(store, "requests_table", KEY))
    h.web.renewals.renewals = renewals
    # Last year's request, sent and paid through the web, stored as the catalogue stores it (contact apart).
    client = Client(h.web)
    check = complete_to_check_answers(client, catalogue[SERVICE], h.drafts)
    location(client.post(check, {"action": "submit"}))
    (sent,) = h.api.submissions
    (reference,) = h.api.requests
    answers = dict(sent["answers"])
    contact = answers.pop("contact")
    boto3.resource("dynamodb").Table("requests_table").put_item(
        Item={"reference": reference, "service_id": SERVICE, "answers": answers, "contact": contact}
    )
    Renewals(store).record(reference, SERVICE, now=datetime(2025, 12, 20, tzinfo=UTC))
    return h, store, renewals, reference, sent["answers"]


def _link(store: RenewalsStore, reference: str) -> str:
    return RenewalLinks(store, "requests_table", KEY).mint(reference)["link"]["path"]


def test_the_link_opens_check_answers_pre_filled_and_sending_renews(renewing):
    h, store, renewals, old, previous = renewing
    client = Client(h.web)  # another browser: the one the email is opened in
    opened = client.get(_link(store, old))
    assert opened.status == 303
    assert location(opened) == f"/services/{SERVICE}/check-answers"
    check = client.get(f"/services/{SERVICE}/check-answers")
    assert check.status == 200
    assert previous["contact"]["email"] in check.body  # told once: last year's answers are there to check
    location(client.post(f"/services/{SERVICE}/check-answers", {"action": "submit"}))
    assert h.api.submissions[-1]["answers"] == previous  # the same answers sent again (none changed)
    new = next(r for r in h.api.requests if r != old)
    assert store.renewal_of(new) == old
    assert [c["action"] for c in renewals.calls] == ["open", "begin"]
    recorded = Renewals(store).record(new, SERVICE, now=datetime(2026, 11, 25, tzinfo=UTC))
    assert (str(recorded.subscription.starts_on), str(recorded.subscription.ends_on)) == ("2026-12-20", "2027-12-20")


def test_a_changed_answer_is_sent(renewing):
    h, store, _, old, previous = renewing
    client = Client(h.web)
    client.get(_link(store, old))
    bins = "3" if previous["bins"] != "3" else "1"
    assert client.get(f"/services/{SERVICE}/bins?change=1").status == 200
    location(client.post(f"/services/{SERVICE}/bins?change=1", {"bins": bins}))
    check = client.get(f"/services/{SERVICE}/check-answers")
    assert check.status == 200
    assert {"1": "1 bin (£52 a year)", "3": "3 bins (£132 a year)"}[bins] in check.body
    location(client.post(f"/services/{SERVICE}/check-answers", {"action": "submit"}))
    assert h.api.submissions[-1]["answers"]["bins"] == bins


@pytest.mark.parametrize(
    ("spoil", "words"),
    [
        (lambda path: path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb"), "This renewal link does not work."),
        (lambda path: path.replace("/renew/", "/renew/X"), "This renewal link does not work."),
    ],
)
def test_a_tampered_link_renews_nothing(renewing, spoil, words):
    h, store, _, old, _ = renewing
    reply = Client(h.web).get(spoil(_link(store, old)))
    assert reply.status == 410
    assert words in reply.body
    assert "You can still apply from the start." in reply.body


def test_a_renewed_subscription_link_says_so(renewing):
    h, store, _, old, _ = renewing
    path = _link(store, old)
    store.mark_renewed(old, renewed_by="GW-OTHER")
    reply = Client(h.web).get(path)
    assert reply.status == 410
    assert "This subscription has been renewed already." in reply.body


def test_starting_again_in_the_same_browser_is_not_taken_for_a_renewal(renewing):
    h, store, renewals, old, _ = renewing
    client = Client(h.web)
    client.get(_link(store, old))
    assert client.get(f"/services/{SERVICE}/check-answers").status == 200  # the form's security code
    location(client.post(f"/services/{SERVICE}/restart", {}))  # "start again": a new draft
    check = complete_to_check_answers(client, load_catalogue()[SERVICE], h.drafts)
    assert client.get(check).status == 200
    location(client.post(check, {"action": "submit"}))
    assert [c["action"] for c in renewals.calls] == ["open"]  # no begin: the renewal was another draft's


def test_a_service_without_a_subscription_has_no_renewal_page(renewing):
    h, store, _, old, _ = renewing
    path = _link(store, old).replace(f"/services/{SERVICE}/", "/services/bulky-waste/")
    assert Client(h.web).get(path).status == 404
