"""Request validation as GOV.UK Pay's API does it (OpenAPI 1.0.3 and the API reference's error codes).

A missing required attribute is 400 with `P0101` (`P0601` for refunds), an invalid value 422 with `P0102` (`P0602`),
a body that is not a JSON object 400 with `P0197` (`P0697`), bad search parameters 422 with `P0401` (`P1101`). Each
error body is `{"field", "code", "description"}` with Pay's wording ("Missing mandatory attribute: amount",
"Invalid attribute value: amount. Must be less than or equal to 10000000").
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

AMOUNT_MAX = 10_000_000  # pence: £100,000
REFERENCE_MAX = 255
DESCRIPTION_MAX = 255
RETURN_URL_MAX = 2000
EMAIL_MAX = 254
METADATA_KEYS_MAX = 10
METADATA_KEY_MAX = 30
METADATA_STRING_MAX = 100
CARDHOLDER_NAME_MAX = 255
SEARCH_PAGE_SIZE_MAX = 500
LANGUAGES = ("en", "cy")
_IDEMPOTENCY_KEY = re.compile(r"[a-zA-Z0-9-]*")
_SEARCH_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_SETTLED_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # from_settled_date, to_settled_date: a date only
SETTLED_DATES = ("from_settled_date", "to_settled_date")
_MOTO_RETURN_URL = "Invalid attribute value: return_url. Must not be set when authorisation_mode is moto_api"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class PayApiError(Exception):
    """An error answered as Pay answers: `status` and `{"field"?, "header"?, "code", "description"}`."""

    def __init__(self, status: int, code: str, description: str, *, field: str | None = None) -> None:
        super().__init__(description)
        self.status, self.code, self.description, self.field = status, code, description, field

    def body(self) -> dict[str, str]:
        answer = {"code": self.code, "description": self.description}
        if self.field == "Idempotency-Key":
            answer["header"] = self.field
        elif self.field:
            answer["field"] = self.field
        return answer


def json_object(raw: bytes, parse_code: str) -> dict[str, Any]:
    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise PayApiError(400, parse_code, "Unable to parse JSON")
    return body


def _missing(code: str, name: str) -> PayApiError:
    return PayApiError(400, code, f"Missing mandatory attribute: {name}", field=name)


def _invalid(code: str, name: str, why: str) -> PayApiError:
    return PayApiError(422, code, f"Invalid attribute value: {name}. {why}", field=name)


def _integer(body: dict[str, Any], name: str, low: int, code: str) -> int:
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(code, name, "Must be a valid numeric format")
    if value < low:
        raise _invalid(code, name, f"Must be greater than or equal to {low}")
    if value > AMOUNT_MAX:
        raise _invalid(code, name, f"Must be less than or equal to {AMOUNT_MAX}")
    return value


def _string(body: dict[str, Any], name: str, maximum: int, code: str = "P0102") -> str:
    value = body[name]
    if not isinstance(value, str):
        raise _invalid(code, name, "Must be of type String")
    if len(value) > maximum:
        raise _invalid(code, name, f"Must be less than or equal to {maximum} characters length")
    return value


def return_url(value: str, *, live: bool) -> str:
    """An absolute https URL; http too on test accounts (Pay allows it there), as it must be on a loopback."""
    parts = urlsplit(value)
    allowed = {"https"} if live else {"https", "http"}
    if parts.scheme not in allowed or not parts.netloc or (live and parts.hostname in _LOOPBACK):
        raise _invalid("P0102", "return_url", "Must be a valid URL format")
    return value


def metadata(value: Any) -> dict[str, Any]:
    """1 to 10 keys of 1 to 30 characters; values strings of up to 100 characters, numbers, booleans or null."""
    if not isinstance(value, dict):
        raise _invalid("P0102", "metadata", "Must be an object of JSON key-value pairs")
    if not 1 <= len(value) <= METADATA_KEYS_MAX:
        raise _invalid("P0102", "metadata", f"Cannot have more than {METADATA_KEYS_MAX} key-value pairs")
    clean: dict[str, Any] = {}
    for key, item in value.items():
        if not 1 <= len(key) <= METADATA_KEY_MAX:
            raise _invalid("P0102", "metadata", f"Keys must be between 1 and {METADATA_KEY_MAX} characters long")
        if isinstance(item, dict | list):
            raise _invalid("P0102", "metadata", "Values must be of type String, Boolean or Number")
        if isinstance(item, str) and len(item) > METADATA_STRING_MAX:
            raise _invalid("P0102", "metadata", f"Values must be no greater than {METADATA_STRING_MAX} characters long")
        if key.lower() not in {k.lower() for k in clean}:  # Pay keeps one of keys equal but for case
            clean[key] = item
    return clean


def create_payment(body: dict[str, Any], *, live: bool, moto_api_enabled: bool) -> dict[str, Any]:
    """The create payment request, checked: the fields the local Pay keeps, or a `PayApiError`."""
    mode = body.get("authorisation_mode", "web")
    if mode not in ("web", "agreement", "moto_api"):
        raise _invalid("P0102", "authorisation_mode", "Must be one of web, agreement or moto_api")
    if mode == "agreement":
        raise PayApiError(422, "P0196", "Agreement payments are not enabled on this local Pay account")
    required = ("amount", "reference", "description") + (("return_url",) if mode == "web" else ())
    for name in required:
        if body.get(name) is None:
            raise _missing("P0101", name)
    if mode == "moto_api" and body.get("return_url") is not None:
        raise PayApiError(422, "P0104", _MOTO_RETURN_URL, field="return_url")
    if mode == "moto_api" and not moto_api_enabled:
        raise PayApiError(422, "P0195", "Using authorisation_mode of moto_api is not allowed for this account")
    clean: dict[str, Any] = {
        "amount": _integer(body, "amount", 1, "P0102"),
        "reference": _string(body, "reference", REFERENCE_MAX),
        "description": _string(body, "description", DESCRIPTION_MAX),
        "authorisation_mode": mode,
        "return_url": None,
    }
    if mode == "web":
        clean["return_url"] = return_url(_string(body, "return_url", RETURN_URL_MAX), live=live)
    return clean | _optional_fields(body)


def _optional_fields(body: dict[str, Any]) -> dict[str, Any]:
    language = body.get("language", "en")
    if language not in LANGUAGES:
        raise _invalid("P0102", "language", 'Must be "en" or "cy"')
    clean: dict[str, Any] = {"language": language}
    if body.get("email") is not None:
        clean["email"] = _string(body, "email", EMAIL_MAX)
    if body.get("metadata") is not None:
        clean["metadata"] = metadata(body["metadata"])
    for flag in ("delayed_capture", "moto"):
        if body.get(flag) is not None and not isinstance(body[flag], bool):
            raise _invalid("P0102", flag, "Must be true or false")
        clean[flag] = bool(body.get(flag, False))
    return clean


def idempotency_key(headers: dict[str, str]) -> None:
    """Pay checks the header's shape (it keeps the key only for agreement payments, which the local Pay lacks)."""
    value = headers.get("idempotency-key")
    if value is not None and (not _IDEMPOTENCY_KEY.fullmatch(value) or len(value) > 255):
        raise PayApiError(422, "P0102", "Invalid attribute value: Idempotency-Key", field="Idempotency-Key")


def refund(body: dict[str, Any]) -> tuple[int, int | None]:
    """`amount` (required) and `refund_amount_available` (optional, but the project always sends it)."""
    if body.get("amount") is None:
        raise _missing("P0601", "amount")
    amount = _integer(body, "amount", 1, "P0602")
    available = None
    if body.get("refund_amount_available") is not None:
        available = _integer(body, "refund_amount_available", 1, "P0602")
    return amount, available


def moto_card(body: dict[str, Any]) -> dict[str, str]:
    """`POST /v1/auth`'s body: every attribute required (422 P0101), each within the spec's lengths (422 P0102)."""
    limits = {"one_time_token": (1, 10_000), "card_number": (12, 19), "cvc": (3, 4), "expiry_date": (5, 5)}
    limits["cardholder_name"] = (0, CARDHOLDER_NAME_MAX)
    clean: dict[str, str] = {}
    for name, (low, high) in limits.items():
        value = body.get(name)
        if value is None or value == "":
            raise PayApiError(422, "P0101", f"Missing mandatory attribute: {name}", field=name)
        if not isinstance(value, str) or not low <= len(value) <= high:
            raise _invalid("P0102", name, f"Must be between {low} and {high} characters long")
        clean[name] = value
    if not clean["card_number"].isdigit() or not clean["cvc"].isdigit():
        name = "card_number" if not clean["card_number"].isdigit() else "cvc"
        raise _invalid("P0102", name, "Must contain only digits")
    if not re.fullmatch(r"(0[1-9]|1[0-2])/\d{2}", clean["expiry_date"]):
        raise _invalid("P0102", "expiry_date", "Must be a valid date with the format MM/YY")
    return clean


# The `state` a payment search may filter by, as Pay's API description lists them (`capturable` is not one).
PAYMENT_SEARCH_STATES = ("created", "started", "submitted", "success", "failed", "cancelled", "error")


def search(
    query: dict[str, str], code: str, *, states: tuple[str, ...] = ()
) -> tuple[datetime | None, datetime | None, int, int]:
    """`from_date`, `to_date` (`YYYY-MM-DDThh:mm:ssZ`), `from_settled_date`, `to_settled_date` (`YYYY-MM-DD`, when not
    blank), `page` (from 1) and `display_size` (1 to 500); `state`, when given, one of `states` (payment searches).
    Every bad parameter is named, in Pay's order, in one 422."""
    bad: list[str] = []
    if states and "state" in query and query["state"] not in states:
        bad.append("state")
    dates: dict[str, datetime | None] = {}
    for name in ("from_date", "to_date"):
        value = query.get(name)
        dates[name] = None
        if value is not None:
            if not _SEARCH_DATE.fullmatch(value):
                bad.append(name)
                continue
            dates[name] = datetime.fromisoformat(value.replace("Z", "+00:00"))
    for name in SETTLED_DATES:
        value = query.get(name, "").strip()
        if value and not (_SETTLED_DATE.fullmatch(value) and _is_date(value)):
            bad.append(name)
    numbers: dict[str, int] = {}
    for name, default, high in (("page", 1, 10**9), ("display_size", SEARCH_PAGE_SIZE_MAX, SEARCH_PAGE_SIZE_MAX)):
        text = query.get(name, str(default))
        numbers[name] = int(text) if text.isdigit() else 0
        if not 1 <= numbers[name] <= high:
            bad.append(name)
    if bad:
        raise PayApiError(
            422,
            code,
            f"Invalid parameters: {', '.join(bad)}. See Public API documentation for the correct data formats",
        )
    return dates["from_date"], dates["to_date"], numbers["page"], numbers["display_size"]


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
