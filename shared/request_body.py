"""Reading an API request's body: every body a client can send gets an answer in 4xx, never a 500.

Two steps. `refused_body` looks at the event before any route runs: too large (413), not base64 when it says it is,
not UTF-8 (400), a media type other than JSON (415). `parse_json_object` then reads strict JSON: no duplicate keys,
no NaN or Infinity, no numbers DynamoDB cannot hold, no nesting deeper than residents' forms need, no lone UTF-16
surrogates (a string that cannot be stored or sent on), and a JSON object at the top.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Any

from shared.errors import BadRequest, BoroughError, PayloadTooLarge, UnsupportedMediaType

MAX_BODY_BYTES = 64 * 1024  # residents' forms are small; anything larger is a mistake or an attack
MAX_DEPTH = 16  # an answer is at most an object of lists of objects: a few levels
MAX_NUMBER_DIGITS = 38  # DynamoDB numbers keep 38 significant digits; more would fail at the write
_JSON_MEDIA_TYPE = re.compile(r"^application/(?:[a-z0-9.+-]+\+)?json$")


class _Refused(ValueError):
    """Raised from inside the JSON parser's hooks: the message says what is wrong."""


def _header(event: dict[str, Any], name: str) -> str:
    for key, value in (event.get("headers") or {}).items():
        if str(key).lower() == name:
            return str(value)
    return ""


def _media_type_error(content_type: str) -> BoroughError | None:
    if not content_type.strip():
        return None  # no Content-Type: read as JSON (curl and scripts often leave it out)
    media_type, _, parameters = content_type.partition(";")
    if not _JSON_MEDIA_TYPE.match(media_type.strip().lower()):
        return UnsupportedMediaType(f"Send the body as application/json, not {media_type.strip()[:100]!r}.")
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return UnsupportedMediaType("Send JSON in UTF-8 (charset=utf-8).")
    return None


def refused_body(event: dict[str, Any]) -> tuple[BoroughError | None, dict[str, Any]]:
    """(the error to answer with, or None; the event with its body as plain UTF-8 text for the routes)."""
    body = event.get("body")
    if not body:
        return None, event
    if not isinstance(body, str):
        return BadRequest("The request body could not be read."), event
    try:
        raw = base64.b64decode(body, validate=True) if event.get("isBase64Encoded") else body.encode("utf-8")
    except (binascii.Error, ValueError):
        return BadRequest("The request body could not be read: it is neither base64 nor UTF-8 text."), event
    if len(raw) > MAX_BODY_BYTES:
        return PayloadTooLarge(f"The request body is {len(raw)} bytes; the limit is {MAX_BODY_BYTES} bytes."), event
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return BadRequest("The request body is not UTF-8 text."), event
    media_type_error = _media_type_error(_header(event, "content-type"))
    if media_type_error is not None:
        return media_type_error, event
    return None, {**event, "body": text, "isBase64Encoded": False}


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Refused(f"the key {key[:100]!r} appears twice in one object")
        result[key] = value
    return result


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _Refused(f"a number has more than {MAX_NUMBER_DIGITS} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("a number is too large")
    return value


def _check_shape(body: Any) -> None:
    """No nesting deeper than MAX_DEPTH and no string that is not valid Unicode (walked without recursion)."""
    pending = [(body, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise _Refused(f"it is nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            for key, item in value.items():
                pending.append((key, depth))
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise _Refused("a string holds an unpaired UTF-16 surrogate (\\ud800-\\udfff)") from None


def parse_json_object(raw: str) -> dict[str, Any]:
    """`raw` as a JSON object, or BadRequest saying what is wrong with it."""
    if not raw.strip():
        raise BadRequest("The request body is empty: send a JSON object.")
    try:
        body = json.loads(
            raw, object_pairs_hook=_object, parse_constant=_constant, parse_int=_integer, parse_float=_float
        )
        _check_shape(body)
    except json.JSONDecodeError as error:
        raise BadRequest(f"The request body is not valid JSON: {error.msg} at line {error.lineno}.") from error
    except _Refused as error:
        raise BadRequest(f"The request body cannot be accepted: {error}.") from error
    except RecursionError:
        raise BadRequest(
            f"The request body cannot be accepted: it is nested more than {MAX_DEPTH} levels deep."
        ) from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body
