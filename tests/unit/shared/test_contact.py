import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.contact import (
    EMAIL_MESSAGE,
    MOBILE_MESSAGE,
    PHONE_MESSAGE,
    Contact,
    ContactProblem,
    is_uk_mobile,
    normalise_uk_phone,
    reminder_contact,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("07700 900123", "+447700900123"),
        ("07700900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("+44 (0)7700 900123", "+447700900123"),
        ("+44 07700 900123", "+447700900123"),
        ("0044 7700 900123", "+447700900123"),
        ("07700-900-123", "+447700900123"),
        ("(01622) 602000", "+441622602000"),  # Maidstone Borough Council
        ("01622 602 000", "+441622602000"),
        ("020 7946 0000", "+442079460000"),
        ("0300 123 4567", "+443001234567"),
        ("0800 123456", "+44800123456"),  # a nine-digit freephone number
        ("016977 3456", "+44169773456"),  # Brampton: a nine-digit geographic number
        (" 0117 496 0123 ", "+441174960123"),
    ],
)
def test_normalise_uk_phone(typed, expected):
    assert normalise_uk_phone(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "7700 900123",  # no trunk prefix
        "+1 202 555 0100",  # United States
        "+33 1 23 45 67 89",  # France
        "+353 1 234 5678",  # Ireland
        "0770090012",  # too short for a mobile
        "077009001234",  # too long
        "0400 123 4567",  # 04 is not allocated
        "0600 123 4567",  # 06 is not allocated
        "07700 9OO123",  # letter O
        "phone me",
        "+44",
    ],
)
def test_normalise_uk_phone_rejects(typed):
    assert normalise_uk_phone(typed) is None


@given(st.text(alphabet="0123456789 +()-", max_size=20))
def test_normalise_uk_phone_is_idempotent_and_e164(text):
    once = normalise_uk_phone(text)
    if once is not None:
        assert normalise_uk_phone(once) == once
        assert once.startswith("+44")
        assert once[1:].isdigit()
        assert 12 <= len(once) <= 13


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+447700900123", True),
        ("+447123456789", True),
        ("+447987654321", True),
        ("+447624123456", True),  # Isle of Man mobiles share the 076 range
        ("+447600123456", False),  # pager
        ("+447012345678", False),  # personal numbering, not a mobile
        ("+441622602000", False),  # landline
        ("+44770090012", False),  # too short
        ("07700900123", False),  # not E.164
        ("+337700900123", False),
    ],
)
def test_is_uk_mobile(e164, expected):
    assert is_uk_mobile(e164) is expected


def test_contact_normalises():
    contact = Contact(email="  Jo.Bloggs+Potholes@Example.GOV.UK ", phone="07700 900123")
    assert contact.email == "Jo.Bloggs+Potholes@example.gov.uk"
    assert contact.phone == "+447700900123"


def test_contact_may_be_empty():
    contact = Contact(email="", phone=None)
    assert contact.email is None
    assert contact.phone is None


@pytest.mark.parametrize(
    "email",
    [
        "name@example.com",
        "first.last@council.gov.uk",
        "o'brien@example.co.uk",
        "x@sub.domain-name.example",
        "user@xn--bcher-kva.example",
    ],
)
def test_valid_emails(email):
    assert Contact(email=email).email == email


@pytest.mark.parametrize(
    "email",
    [
        "name",
        "name@",
        "@example.com",
        "name@example",  # no top-level domain
        "name@example.c",  # one-letter top-level domain
        "name@@example.com",
        "na me@example.com",
        ".name@example.com",
        "name.@example.com",
        "na..me@example.com",
        "name@-example.com",
        "name@example-.com",
        "name@example..com",
        "name@example.com.",
        "name@192.168.0.1",
        "x" * 65 + "@example.com",  # local part over 64
        "x@" + ("a" * 61 + ".") * 4 + "infos",  # 255 characters: over the limit
    ],
)
def test_invalid_emails(email):
    with pytest.raises(ValidationError) as caught:
        Contact(email=email)
    error = caught.value.errors()[0]
    assert error["loc"] == ("email",)
    assert error["msg"] == EMAIL_MESSAGE
    assert error["type"] == "email"


def test_email_at_the_254_limit_is_accepted():
    email = "x@" + ("a" * 61 + ".") * 4 + "info"
    assert len(email) == 254
    assert Contact(email=email).email == email


def test_foreign_phone_has_a_clear_message():
    with pytest.raises(ValidationError) as caught:
        Contact(phone="+1 202 555 0100")
    error = caught.value.errors()[0]
    assert error["loc"] == ("phone",)
    assert error["msg"] == PHONE_MESSAGE
    assert error["type"] == "uk_phone"


def test_extra_fields_are_forbidden():
    with pytest.raises(ValidationError) as caught:
        Contact.model_validate({"email": "name@example.com", "fax": "01622 602000"})
    assert caught.value.errors()[0]["type"] == "extra_forbidden"


# -- where reminders go: one check for the web's sign-up page and the subscriptions API ----------------------------
@pytest.mark.parametrize(
    ("given", "contact"),
    [
        ({"email": "R@Example.ORG", "preference": "email"}, {"email": "R@example.org", "preference": "email"}),
        ({"phone": "07700 900 982", "preference": "sms"}, {"phone": "+447700900982", "preference": "sms"}),
        ({"email": "r@example.org"}, {"email": "r@example.org"}),
        ({"email": "r@example.org", "phone": "+44 7700 900982"}, {"email": "r@example.org", "phone": "+447700900982"}),
    ],
)
def test_reminder_contact_normalises_what_is_good(given, contact):
    assert reminder_contact(**given) == (contact, [])


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({"phone": "01632 960 001", "preference": "sms"}, ContactProblem("phone", MOBILE_MESSAGE)),  # a landline
        ({"phone": "01632 960 001"}, ContactProblem("phone", MOBILE_MESSAGE)),
        ({"phone": "not a number"}, ContactProblem("phone", MOBILE_MESSAGE)),
        ({"email": "nope"}, ContactProblem("email", EMAIL_MESSAGE)),
        ({"preference": "email"}, ContactProblem("email", "Enter your email address")),
        ({"preference": "sms"}, ContactProblem("phone", "Enter your mobile phone number")),
        ({"email": "r@example.org", "preference": "post"}, ContactProblem("preference", "Select how you would like")),
        ({}, ContactProblem("", "Enter an email address or a UK mobile number")),
    ],
)
def test_reminder_contact_names_the_part_at_fault(given, problem):
    contact, problems = reminder_contact(**given)
    assert contact == {}
    assert [p.part for p in problems] == [problem.part]
    assert problems[0].message.startswith(problem.message)
