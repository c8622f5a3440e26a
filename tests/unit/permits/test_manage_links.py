"""The manage link: signed for one application's reference, expiring 30 days after the permit's last day."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from permits import manage_links
from shared import signed_links

KEY = b"k" * 64
VALID_TO = date(2027, 5, 31)


def _token(path: str) -> str:
    assert path.startswith("/permits/manage/")
    return path.removeprefix("/permits/manage/")


def _get(found: dict[str, Any] | None) -> Any:
    return lambda reference: None if found is None else SimpleNamespace(public=lambda: {**found, "asked": reference})


def test_an_issued_permits_contact_gets_a_link_that_opens_its_application():
    contact = {"reference": "7KXM3RAH", "status": "issued", "valid_to": VALID_TO.isoformat(), "email": "a@b.example"}
    token = _token(manage_links.with_manage_path(contact, KEY)["manage_path"])
    opened = manage_links.open_manage(token, _get({"status": "issued"}), KEY, now=manage_links.expires_at(VALID_TO) - 1)
    assert opened == {"status": 200, "body": {"status": "issued", "asked": "7KXM3RAH"}}


def test_a_pending_application_gets_no_link():
    contact = {"reference": "7KXM3RAH", "status": "pending-payment", "valid_to": VALID_TO.isoformat()}
    assert "manage_path" not in manage_links.with_manage_path(contact, KEY)
    assert "renew_path" not in manage_links.with_manage_path(contact, KEY)


def test_an_issued_permits_contact_gets_the_same_links_renewal_page_for_the_reminder():
    contact = {"reference": "7KXM3RAH", "status": "issued", "valid_to": VALID_TO.isoformat(), "email": "a@b.example"}
    answered = manage_links.with_manage_path(contact, KEY)
    assert answered["renew_path"] == answered["manage_path"] + "/renew"


def test_a_carer_permit_gets_its_manage_link_but_no_renewal_page_it_is_renewed_by_applying_again():
    contact = {"reference": "7KXM3RAH", "status": "issued", "valid_to": VALID_TO.isoformat(), "kind": "carer"}
    answered = manage_links.with_manage_path(contact, KEY)
    assert answered["manage_path"].startswith("/permits/manage/")
    assert "renew_path" not in answered


def test_the_link_expires_30_days_after_the_last_day():
    token = _token(manage_links.manage_path("7KXM3RAH", VALID_TO, KEY))
    at = manage_links.expires_at(VALID_TO)
    assert manage_links.open_manage(token, _get({"status": "issued"}), KEY, now=at - 1)["status"] == 200
    opened = manage_links.open_manage(token, _get({"status": "issued"}), KEY, now=at)
    assert opened["status"] == 404
    assert opened["body"]["reason"] == "expired"


def test_a_forged_tampered_or_other_purpose_token_opens_nothing():
    good = _token(manage_links.manage_path("7KXM3RAH", VALID_TO, KEY))
    reference, expires, signature = good.split(".")
    other_purpose = signed_links.mint_token("renewal", reference, int(expires), KEY)
    for token in (
        f"9ZZZ9ZZZ.{expires}.{signature}",
        f"{reference}.{int(expires) + 1}.{signature}",
        _token(manage_links.manage_path("7KXM3RAH", VALID_TO, b"another key")),
        other_purpose,
        "",
        "x" * 300,
    ):
        opened = manage_links.open_manage(token, _get({"status": "issued"}), KEY, now=0)
        assert (opened["status"], opened["body"]["reason"]) == (404, "invalid"), token


def test_a_good_token_for_an_application_that_has_gone_is_unknown():
    token = _token(manage_links.manage_path("7KXM3RAH", VALID_TO, KEY))
    assert manage_links.open_manage(token, _get(None), KEY, now=0)["body"]["reason"] == "unknown"
