"""One question's answer, cleaned: what a client sent for each question type becomes what is stored, or an
error in the words the definition (or the GOV.UK Design System) gives. The form engine (`shared.forms`) calls
`clean_answer` for every shown question.

Answers are keyed by question id. A "raw" answer is what a client sent (JSON from the API, or the fields of an
HTML form turned into the same shape by the web's `web.answers.form_to_raw`); a "clean" answer is what is stored:

| type         | raw                                                     | clean                                    |
| ------------ | ------------------------------------------------------- | ---------------------------------------- |
| text         | "words"                                                 | "words" (trimmed)                        |
| textarea     | "words\\nmore"                                          | "words\\nmore" (trimmed, \\n line ends)  |
| number       | 3 or "3"                                                | 3                                        |
| date         | "2026-03-27" or {"day": "27", "month": "3", "year": ..} | "2026-03-27"                             |
| email        | "Name@Example.org "                                     | "Name@example.org"                       |
| uk-phone     | "07700 900 123"                                         | "+447700900123"                          |
| uk-postcode  | "me15 6jq"                                              | "ME15 6JQ"                               |
| address      | {"line1", "line2", "town", "county", "postcode", "uprn"}| the same, blank parts dropped            |
| location     | {"postcode"?, "latitude"?, "longitude"?, "description"?}| the same, normalised                     |
| radios       | "option-value"                                          | "option-value"                           |
| checkboxes   | ["a", "b"] or "a"                                       | ["a", "b"] in the options' order         |
| yes-no       | "yes" / "no" (or true / false)                          | "yes" / "no"                             |
| file         | {"upload_id", "filename", "content_type", "size_bytes"} | the same                                 |
| contact      | {"email"?, "phone"?, "preference"?: email|sms|none}     | the same, normalised; preference filled  |

Errors are `{"field": ..., "message": ...}` in page order. `field` is the question id, or `<id>.<part>` for a part
of a compound answer (`location.postcode`, `contact.email`, `address.town`); these are also the HTML field names
the web's forms use, so an error summary can link straight to its input. How answers are shown (check your answers,
the fee summary) is the web's business: `functions/web/answers.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from shared.contact import EMAIL_MESSAGE, PHONE_MESSAGE, Contact, is_uk_mobile, normalise_email, normalise_uk_phone
from shared.errors import pydantic_errors
from shared.location import LOCATION_MESSAGE, POSTCODE_MESSAGE, Location, normalise_postcode
from shared.questions import FILE_TYPES, Question

LONDON = ZoneInfo("Europe/London")

# Messages for what a definition does not word itself (GOV.UK Design System patterns).
DEFAULT_MESSAGES = {
    "number": "Enter a whole number, like 3",
    "date": "Enter a real date, like 27 3 2026",
    "email": EMAIL_MESSAGE,
    "uk-phone": PHONE_MESSAGE,
    "uk-postcode": POSTCODE_MESSAGE,
    "options": "Select one of the options",
    "yes-no": "Select yes or no",
    "text": "Enter your answer as text",
    "max_length": "Your answer must be {n} characters or fewer",
    "file": "Upload the file again",
    "file_empty": "The selected file is empty",
}
ADDRESS_MESSAGES = {
    "line1": "Enter address line 1, typically the building and street",
    "town": "Enter town or city",
    "postcode": "Enter postcode",
}
ADDRESS_PART_NAMES = {
    "line1": "Address line 1",
    "line2": "Address line 2",
    "town": "Town or city",
    "county": "County",
    "postcode": "Postcode",
    "uprn": "Property reference",
}
ADDRESS_PART_MAX = 100
CONTACT_MESSAGES = {
    "preference": "Select how you want us to contact you",
    "email": "Enter your email address to get updates by email",
    "phone": "Enter a UK mobile number to get updates by text message",
    "mobile": "Enter a UK mobile number, like 07700 900 982, to get updates by text message",
}
CONTACT_PREFERENCES = ("email", "sms", "none")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WHOLE_NUMBER = re.compile(r"[+-]?\d+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{8,128}")
_UPRN = re.compile(r"\d{1,12}")
_EXTENSION_ALIASES = {"jpeg": "jpg", "heif": "heic"}


class FieldError(TypedDict):
    field: str
    message: str


@dataclass
class FieldErrors:
    items: list[FieldError] = field(default_factory=list)

    def add(self, field_name: str, message: str) -> None:
        self.items.append({"field": field_name, "message": message})


def today(now: datetime | None = None) -> date:
    """Today's date in the UK, which is what "in the past" and "in the future" mean to a resident."""
    return (now or datetime.now(UTC)).astimezone(LONDON).date()


def clean_answer(question: Question, value: Any, errors: FieldErrors | None = None, *, on: date | None = None) -> Any:
    """One question's clean answer, or None when it is blank or wrong (the reason is added to `errors`)."""
    errors = errors if errors is not None else FieldErrors()
    if is_blank(value):
        if question.validation.required:
            errors.add(question.id, question.validation.required.message)
        return None
    return _CLEANERS[question.type](question, value, errors, on or today())


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple):
        return all(is_blank(v) for v in value)
    if isinstance(value, dict):
        return all(is_blank(v) for v in value.values())
    return False


def _message(question: Question, rule: str, default: str) -> str:
    configured = question.validation.rules().get(rule)
    return configured.message if configured else default


def _text(question: Question, value: Any, errors: FieldErrors, on: date) -> str | None:
    if not isinstance(value, str):
        errors.add(question.id, DEFAULT_MESSAGES["text"])
        return None
    text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if question.type == "text":
        text = " ".join(text.split())  # one line: a pasted newline becomes a space
    v = question.validation
    if v.min_length and len(text) < v.min_length.value:
        errors.add(question.id, v.min_length.message)
    elif len(text) > question.max_length:
        errors.add(
            question.id, _message(question, "max_length", DEFAULT_MESSAGES["max_length"].format(n=question.max_length))
        )
    elif v.pattern and not re.fullmatch(v.pattern.value, text):
        errors.add(question.id, v.pattern.message)
    else:
        return text
    return None


def _number(question: Question, value: Any, errors: FieldErrors, on: date) -> int | None:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _WHOLE_NUMBER.fullmatch(compact := value.strip().replace(",", "")):
        number = int(compact)
    v = question.validation
    if number is None:
        errors.add(question.id, _message(question, "format", DEFAULT_MESSAGES["number"]))
    elif v.min and number < v.min.value:
        errors.add(question.id, v.min.message)
    elif v.max and number > v.max.value:
        errors.add(question.id, v.max.message)
    else:
        return number
    return None


def _parse_date(value: Any) -> date | None:
    try:
        if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
            return date.fromisoformat(value.strip())
        if isinstance(value, dict) and set(value) <= {"day", "month", "year"}:
            parts = [str(value.get(name, "")).strip() for name in ("year", "month", "day")]
            if all(part.isdigit() for part in parts) and len(parts[0]) == 4:
                return date(*(int(part) for part in parts))
    except ValueError:
        return None
    return None


def _date(question: Question, value: Any, errors: FieldErrors, on: date) -> str | None:
    day = _parse_date(value)
    v = question.validation
    if day is None:
        errors.add(question.id, _message(question, "format", DEFAULT_MESSAGES["date"]))
    elif v.past and (day > on or (day == on and not v.past.allow_today)):
        errors.add(question.id, v.past.message)
    elif v.future and (day < on or (day == on and not v.future.allow_today)):
        errors.add(question.id, v.future.message)
    else:
        return day.isoformat()
    return None


def _normalised(normalise: Callable[[str], str | None]) -> Callable[[Question, Any, FieldErrors, date], str | None]:
    def clean(question: Question, value: Any, errors: FieldErrors, on: date) -> str | None:
        result = normalise(value) if isinstance(value, str) else None
        if result is None:
            errors.add(question.id, _message(question, "format", DEFAULT_MESSAGES[question.type]))
        return result

    return clean


def _address(question: Question, value: Any, errors: FieldErrors, on: date) -> dict[str, str] | None:
    if not isinstance(value, dict):
        errors.add(question.id, ADDRESS_MESSAGES["line1"])
        return None
    before = len(errors.items)
    for key in value:
        if key not in ADDRESS_PART_NAMES:
            errors.add(f"{question.id}.{key}", "An address has no such part.")
    address: dict[str, str] = {}
    for part in ADDRESS_PART_NAMES:
        problem, text = _address_part(part, value.get(part))
        if problem:
            errors.add(f"{question.id}.{part}", problem)
        elif text:
            address[part] = text
    return address if len(errors.items) == before else None


def _address_part(part: str, raw: Any) -> tuple[str | None, str]:
    """(the problem with one part of an address, or None; the part cleaned)."""
    name = ADDRESS_PART_NAMES[part]
    if raw is not None and not isinstance(raw, str):
        return f"Enter {name.lower()} as text", ""
    text = " ".join((raw or "").split())
    if not text:
        return ADDRESS_MESSAGES.get(part), ""
    if len(text) > ADDRESS_PART_MAX:
        return f"{name} must be {ADDRESS_PART_MAX} characters or fewer", ""
    if part == "postcode":
        postcode = normalise_postcode(text)
        return (None, postcode) if postcode else (POSTCODE_MESSAGE, "")
    if part == "uprn" and not _UPRN.fullmatch(text):
        return "Select your address again", ""
    return None, text


def _model(model: type[BaseModel], type_message: str) -> Callable[[Question, Any, FieldErrors, date], Any]:
    def clean(question: Question, value: Any, errors: FieldErrors, on: date) -> Any:
        if not isinstance(value, dict):
            errors.add(question.id, type_message)
            return None
        try:
            return model.model_validate(value).model_dump(exclude_none=True)
        except ValidationError as error:
            errors.items.extend(pydantic_errors(error, prefix=f"{question.id}."))  # type: ignore[arg-type]
            return None

    return clean


def _radios(question: Question, value: Any, errors: FieldErrors, on: date) -> str | None:
    if isinstance(value, str) and value.strip() in question.option_values():
        return value.strip()
    errors.add(question.id, _message(question, "options", DEFAULT_MESSAGES["options"]))
    return None


def _checkboxes(question: Question, value: Any, errors: FieldErrors, on: date) -> list[str] | None:
    chosen = [value] if isinstance(value, str) else value
    allowed = question.option_values()
    if not isinstance(chosen, list | tuple) or not all(isinstance(c, str) and c in allowed for c in chosen if c):
        errors.add(question.id, _message(question, "options", DEFAULT_MESSAGES["options"]))
        return None
    selected = [option for option in allowed if option in chosen]
    limit = question.validation.max_selected
    if limit and len(selected) > limit.value:
        errors.add(question.id, limit.message)
        return None
    return selected


def _yes_no(question: Question, value: Any, errors: FieldErrors, on: date) -> str | None:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return value.strip().lower()
    errors.add(question.id, _message(question, "options", DEFAULT_MESSAGES["yes-no"]))
    return None


def file_type_message(question: Question) -> str:
    names = [ext.upper() for ext in question.accept or ()]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f"The selected file must be a {listed}"


def file_size_message(question: Question) -> str:
    size = question.max_bytes
    shown = f"{size // (1024 * 1024)}MB" if size % (1024 * 1024) == 0 else f"{-(-size // 1024)}KB"
    return f"The selected file must be smaller than {shown}"


def _file(question: Question, value: Any, errors: FieldErrors, on: date) -> dict[str, Any] | None:
    if not (
        isinstance(value, dict)
        and set(value) == {"upload_id", "filename", "content_type", "size_bytes"}
        and isinstance(value["upload_id"], str)
        and _UPLOAD_ID.fullmatch(value["upload_id"])
        and isinstance(value["filename"], str)
        and 0 < len(value["filename"]) <= 255
        and isinstance(value["content_type"], str)
        and isinstance(value["size_bytes"], int)
    ):
        errors.add(question.id, DEFAULT_MESSAGES["file"])
        return None
    extension = value["filename"].rsplit(".", 1)[-1].lower() if "." in value["filename"] else ""
    extension = _EXTENSION_ALIASES.get(extension, extension)
    accepted = question.accept or ()
    mime_types = {mime for ext in accepted for mime in FILE_TYPES[ext]}
    if extension not in accepted or value["content_type"].lower() not in mime_types:
        errors.add(question.id, file_type_message(question))
    elif value["size_bytes"] <= 0:
        errors.add(question.id, DEFAULT_MESSAGES["file_empty"])
    elif value["size_bytes"] > question.max_bytes:
        errors.add(question.id, file_size_message(question))
    else:
        return {**value, "content_type": value["content_type"].lower()}
    return None


def _contact(question: Question, value: Any, errors: FieldErrors, on: date) -> dict[str, str] | None:
    if not isinstance(value, dict):
        errors.add(question.id, _message(question, "required", CONTACT_MESSAGES["email"]))
        return None
    details = {k: v for k, v in value.items() if k != "preference"}
    preference = value.get("preference")
    before = len(errors.items)
    contact: dict[str, str] = _model(Contact, "")(question, details, errors, on) or {}
    if preference is None or preference == "":
        phone = contact.get("phone")
        preference = "email" if "email" in contact else "sms" if phone and is_uk_mobile(phone) else "none"
    elif preference not in CONTACT_PREFERENCES:
        errors.add(f"{question.id}.preference", CONTACT_MESSAGES["preference"])
    if preference == "email" and "email" not in contact and not _failed(errors, before, f"{question.id}.email"):
        errors.add(f"{question.id}.email", CONTACT_MESSAGES["email"])
    if preference == "sms" and not _failed(errors, before, f"{question.id}.phone"):
        if "phone" not in contact:
            errors.add(f"{question.id}.phone", CONTACT_MESSAGES["phone"])
        elif not is_uk_mobile(contact["phone"]):
            errors.add(f"{question.id}.phone", CONTACT_MESSAGES["mobile"])
    if len(errors.items) > before:
        return None
    if question.validation.required and not ({"email", "phone"} & set(contact)):
        errors.add(question.id, question.validation.required.message)
        return None
    return {**contact, "preference": str(preference)}


def _failed(errors: FieldErrors, since: int, field_name: str) -> bool:
    return any(e["field"] == field_name for e in errors.items[since:])


_Cleaner = Callable[[Question, Any, FieldErrors, date], Any]
_CLEANERS: dict[str, _Cleaner] = {
    "text": _text,
    "textarea": _text,
    "number": _number,
    "date": _date,
    "email": _normalised(normalise_email),
    "uk-phone": _normalised(normalise_uk_phone),
    "uk-postcode": _normalised(normalise_postcode),
    "address": _address,
    "location": _model(Location, LOCATION_MESSAGE),
    "radios": _radios,
    "checkboxes": _checkboxes,
    "yes-no": _yes_no,
    "file": _file,
    "contact": _contact,
}
