"""How to reach a resident: an email address and/or a UK phone number, normalised for GOV.UK Notify.

Phone numbers are stored in E.164 (``+447700900123``) so the same number typed two ways is one number.
`reminder_contact` is the one check of where bin collection reminders go, for the web's sign-up page and the
subscriptions API alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

EMAIL_MAX_LENGTH = 254  # RFC 5321 limit on a forward path, less the angle brackets

# Deliberately simpler than RFC 5322: the dot-atom local parts people really use, and a domain of
# LDH labels with an alphabetic (or punycode) top-level domain. No quoted local parts, no IP literals.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TLD = r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})"
_EMAIL = re.compile(rf"(?P<local>{_LOCAL})@(?P<domain>(?:{_LABEL}\.)+{_TLD})")
_LOCAL_MAX_LENGTH = 64

EMAIL_MESSAGE = "Enter an email address in the correct format, like name@example.com"
PHONE_MESSAGE = "Enter a UK phone number, like 01632 960 001 or 07700 900 982"
MOBILE_MESSAGE = "Enter a UK mobile phone number, like 07700 900 982"
REMINDER_PREFERENCES = ("email", "sms")
PREFERENCE_MESSAGE = "Select how you would like to get reminders"
NO_EMAIL_MESSAGE = "Enter your email address"
NO_MOBILE_MESSAGE = "Enter your mobile phone number"
NO_CONTACT_MESSAGE = "Enter an email address or a UK mobile number"

# What people put between digits: spaces, dashes, dots, brackets; and "(0)" after +44.
_PHONE_PUNCTUATION = re.compile(r"[\s\-\u2010-\u2015.()/]+")
# National significant numbers (without the trunk 0): 10 digits, or 9 for a few 01 areas and 0800 1111.
# 04 and 06 are unallocated.
_UK_NATIONAL = re.compile(r"(?:[12357-9][0-9]{9}|1[0-9]{8}|800[0-9]{6})")
# Ofcom mobile ranges: 071-075 and 077-079, plus 07624 (Isle of Man). 070 is personal numbering and
# 076 is pagers: neither reliably receives text messages.
_UK_MOBILE = re.compile(r"\+447(?:[1-57-9][0-9]{8}|624[0-9]{6})")


def normalise_uk_phone(text: str) -> str | None:
    """A UK number in E.164 (``07700 900123`` -> ``+447700900123``), or None if it is not one."""
    compact = text.strip().replace("(0)", "")
    compact = _PHONE_PUNCTUATION.sub("", compact)
    if compact.startswith("+44"):
        national = compact[3:].removeprefix("0")  # "+44 07700 ..." is a common way to write it
    elif compact.startswith("0044"):
        national = compact[4:].removeprefix("0")
    elif compact.startswith("0"):
        national = compact[1:]
    else:
        return None
    if not _UK_NATIONAL.fullmatch(national):
        return None
    return f"+44{national}"


def is_uk_mobile(e164: str) -> bool:
    """Whether an E.164 number is a UK mobile, so it can be sent text messages."""
    return _UK_MOBILE.fullmatch(e164) is not None


def normalise_email(text: str) -> str | None:
    """The address with its domain in lower case (the local part's case may matter), or None if invalid."""
    address = text.strip()
    if len(address) > EMAIL_MAX_LENGTH:
        return None
    match = _EMAIL.fullmatch(address)
    if match is None or len(match["local"]) > _LOCAL_MAX_LENGTH:
        return None
    return f"{match['local']}@{match['domain'].lower()}"


class Contact(BaseModel):
    """A resident's contact details; either may be absent (an anonymous report has neither)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: str | None = None
    phone: str | None = None

    @field_validator("email", "phone", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        email = normalise_email(value)
        if email is None:
            raise PydanticCustomError("email", EMAIL_MESSAGE)
        return email

    @field_validator("phone")
    @classmethod
    def _uk_phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        phone = normalise_uk_phone(value)
        if phone is None:
            raise PydanticCustomError("uk_phone", PHONE_MESSAGE)
        return phone


@dataclass(frozen=True)
class ContactProblem:
    part: str  # "email", "phone", "preference", or "" for the contact details as a whole
    message: str


def reminder_contact(
    email: str = "", phone: str = "", preference: str | None = None
) -> tuple[dict[str, str], list[ContactProblem]]:
    """Where reminders go: (`{"email"?, "phone"?, "preference"?}` normalised, the problems), problems empty if good.

    A phone number must be a UK mobile: a text message cannot reach a landline. The channel preferred (`email` or
    `sms`), when given, needs its address; without one, an address of either kind will do.
    """
    problems: list[ContactProblem] = []
    contact: dict[str, str] = {}
    if preference is not None and preference not in REMINDER_PREFERENCES:
        problems.append(ContactProblem("preference", PREFERENCE_MESSAGE))
    if email.strip():
        address = normalise_email(email)
        if address is None:
            problems.append(ContactProblem("email", EMAIL_MESSAGE))
        else:
            contact["email"] = address
    elif preference == "email":
        problems.append(ContactProblem("email", NO_EMAIL_MESSAGE))
    if phone.strip():
        number = normalise_uk_phone(phone)
        if number is None or not is_uk_mobile(number):
            problems.append(ContactProblem("phone", MOBILE_MESSAGE))
        else:
            contact["phone"] = number
    elif preference == "sms":
        problems.append(ContactProblem("phone", NO_MOBILE_MESSAGE))
    if problems:
        return {}, problems
    if not contact:
        return {}, [ContactProblem("", NO_CONTACT_MESSAGE)]
    return contact | ({"preference": preference} if preference else {}), []
