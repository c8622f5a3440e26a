"""Addresses at a postcode: a small port, Ordnance Survey's OS Places API behind it, Royal Mail style lines.

In the layer because two functions look addresses up: the resident web (`web.addresses` names these) and the staff
console (a permit search by postcode: console/permit_pages.py). `AddressLookup` is what the pages use.
`OsPlacesLookup` calls the OS Places postcode endpoint (`GET
{base}/search/places/v1/postcode?postcode=...&dataset=DPA&output_srs=WGS84`, the key in the `key` header) with the
standard library (no dependency to ship), a short deadline, and every failure (timeout, refused connection, 400,
401, 429, 5xx, a body that is not the expected JSON) raised as the one `AddressLookupFailed`. The key is read from
Secrets Manager by name (`borough/<env>/os-places-api-key`, created by a person); while there is no such secret, or
it is empty, `available()` is False and the pages offer manual entry only.

Delivery point addresses (DPA) come in capitals with their parts named; `address_from_dpa` makes the lines a
resident expects: organisation, sub-building and building name, number and street (a building "name" that is a
number such as `1A` or `12-14` goes before the street), localities, the post town in title case.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from shared.forms import ADDRESS_PART_MAX
from shared.location import normalise_postcode
from shared.outbound_http import NO_REDIRECTS, read_within

DEFAULT_BASE_URL = "https://api.os.uk"  # the local cloud points OS_PLACES_BASE_URL at its stand-in
POSTCODE_PATH = "/search/places/v1/postcode"
TIMEOUT_SECONDS = 3.0  # for the whole lookup: a resident is waiting, and manual entry is always there
# The longest a lookup can take: its deadline, plus one socket wait begun just before it (urllib's timeout bounds
# each socket operation, not the call; the answer is read one receive at a time and the deadline checked between).
WORST_CASE_SECONDS = 2 * TIMEOUT_SECONDS
MAX_BODY_BYTES = 4 * 1024 * 1024  # a page of 100 delivery points is about 100 KB
PAGE_SIZE = 100  # OS Places' largest page
MAX_ADDRESSES = 300  # a postcode has at most a few hundred delivery points; more would not fit a select
UPRN_MAX_DIGITS = 12
ADDRESS_FIELDS = ("uprn", "line1", "line2", "town", "postcode", "street")
KEY_RETRY_SECONDS = 300  # a missing key is looked for again after 5 minutes (a person may create it meanwhile)

_NUMBER_LIKE = re.compile(r"^\d+[A-Z]?(?:\s*-\s*\d+[A-Z]?)?$")  # "1A", "12-14": Royal Mail puts these before the street
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_LOWER_WORDS = frozenset({"upon", "on", "under", "in", "by", "the", "of", "and", "cum", "next", "at", "le", "en"})


class AddressLookupFailed(Exception):
    """The lookup service could not answer (down, slow, throttled, refused our key, or answered nonsense)."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(f"{reason} (HTTP {status})" if status else reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Address:
    uprn: str
    line1: str
    line2: str
    town: str
    postcode: str
    street: str = ""  # the thoroughfare as OS Places spells it (capitals): how a parking zone lists its streets

    @property
    def text(self) -> str:
        """One line for a list of addresses: everything but the postcode (the resident just typed it)."""
        return ", ".join(part for part in (self.line1, self.line2, self.town) if part)

    def answer(self) -> dict[str, str]:
        """The address question's clean answer (`shared.forms`): blank parts left out."""
        parts = {"line1": self.line1, "line2": self.line2, "town": self.town, "postcode": self.postcode}
        return {**{k: v for k, v in parts.items() if v}, "uprn": self.uprn}

    def to_json(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in ADDRESS_FIELDS}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Address:
        return cls(**{name: str(data.get(name, "")) for name in ADDRESS_FIELDS})


class AddressLookup(Protocol):
    def available(self) -> bool:
        """Whether lookups can be tried at all (configured, with a key); if not, the pages ask for the address."""
        ...

    def by_postcode(self, postcode: str) -> list[Address]:
        """Every address at a full postcode (`ME15 6JQ`); [] for none. Raises `AddressLookupFailed`."""
        ...


# -- Royal Mail style lines ---------------------------------------------------------------------------------------
def title_case(text: str) -> str:
    """`ST. MARY'S ROAD` -> `St. Mary's Road`, `LEIGH-ON-SEA` -> `Leigh-on-Sea`, `FLAT 1A` -> `Flat 1A`."""

    def word(match: re.Match[str]) -> str:
        token = match.group(0)
        start = match.start()
        if start > 0 and text[start - 1].isdigit():
            return token.upper()  # the letter of a number: 1A, 12B
        lower = token.lower()
        if start > 0 and lower in _LOWER_WORDS:
            return lower
        head, _, tail = lower.partition("'")
        if not tail:
            return head.capitalize()
        return f"{head.capitalize()}'{tail if len(tail) == 1 else tail.capitalize()}"  # Mary's, O'Brien

    return _WORD.sub(word, " ".join(text.split()))


def address_from_dpa(dpa: Mapping[str, Any]) -> Address:
    """An address from one OS Places DPA record (UPRN and POSTCODE are required, else ValueError; the rest is
    optional)."""

    def part(name: str) -> str:
        value = dpa.get(name)
        return " ".join(str(value).split()) if value not in (None, "") else ""

    uprn, postcode = part("UPRN"), normalise_postcode(part("POSTCODE"))
    if not (uprn.isdigit() and len(uprn) <= UPRN_MAX_DIGITS) or postcode is None:
        raise ValueError(f"Not a delivery point address: UPRN {uprn!r}, postcode {part('POSTCODE')!r}")
    sub, name, number = part("SUB_BUILDING_NAME"), part("BUILDING_NAME"), part("BUILDING_NUMBER")
    street = ", ".join(p for p in (part("DEPENDENT_THOROUGHFARE_NAME"), part("THOROUGHFARE_NAME")) if p)
    lead = number
    if not lead and _NUMBER_LIKE.match(name):
        lead, name = name, ""
    elif not lead and not name and _NUMBER_LIKE.match(sub):
        lead, sub = sub, ""
    street_line = " ".join(p for p in (lead, street) if p)
    lines = [
        part("ORGANISATION_NAME"),
        part("DEPARTMENT_NAME"),
        ", ".join(p for p in (sub, name) if p),
        street_line,
        part("DOUBLE_DEPENDENT_LOCALITY"),
        part("DEPENDENT_LOCALITY"),
    ]
    lines = [title_case(line) for line in lines if line]
    town = title_case(part("POST_TOWN"))
    if not lines:  # nothing but a town: the ADDRESS text's first part is all there is
        lines = [title_case(part("ADDRESS").split(",")[0])]
    line1, line2 = _two_lines(lines)
    return Address(uprn=uprn, line1=line1, line2=line2, town=town, postcode=postcode, street=part("THOROUGHFARE_NAME"))


def _two_lines(lines: list[str], limit: int = ADDRESS_PART_MAX) -> tuple[str, str]:
    """The first line, then the rest joined, each within the form engine's limit for an address part. A long
    business or multi-occupancy address is packed in order over both lines instead; what still does not fit is left
    out (the UPRN names the property): a looked-up address must never fail the check the resident cannot fix."""
    rest = ", ".join(lines[1:])
    if len(lines[0]) <= limit and len(rest) <= limit:
        return lines[0], rest
    packed = ["", ""]
    slot = 0
    for line in lines:
        line = line[:limit]
        while slot < len(packed):
            joined = f"{packed[slot]}, {line}" if packed[slot] else line
            if len(joined) <= limit:
                packed[slot] = joined
                break
            slot += 1
    return packed[0], packed[1]


# -- the OS Places client -----------------------------------------------------------------------------------------
class SecretKey:
    """The API key from Secrets Manager by name or ARN: fetched once, and again after the service refuses it; while
    missing or empty, asked for again only every `KEY_RETRY_SECONDS`."""

    def __init__(self, secret_id: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.secret_id = secret_id
        self._clock = clock
        self._value: str | None = None
        self._missing_until = 0.0
        self._refresh_after = 0.0

    def refresh(self) -> None:
        """The service refused the key: read the secret again on next use (a rotated key), at most every
        `KEY_RETRY_SECONDS` so that a wrong key does not turn every lookup into a Secrets Manager call."""
        if self._clock() >= self._refresh_after:
            self._value = None
            self._refresh_after = self._clock() + KEY_RETRY_SECONDS

    def __call__(self) -> str | None:
        if self._value is not None or not self.secret_id:
            return self._value
        if self._clock() < self._missing_until:
            return None
        from botocore.exceptions import BotoCoreError, ClientError

        from shared import aws
        from shared.observability import logger

        try:
            raw = aws.client("secretsmanager").get_secret_value(SecretId=self.secret_id).get("SecretString") or ""
        except (ClientError, BotoCoreError) as error:
            logger.warning("No OS Places key: manual address entry only", extra={"error": type(error).__name__})
            raw = ""
        if raw.strip():
            self._value = raw.strip()
        else:
            self._missing_until = self._clock() + KEY_RETRY_SECONDS
        return self._value


class OsPlacesLookup:
    """Ordnance Survey's OS Places API, postcode search over delivery point addresses."""

    def __init__(
        self,
        key: str | Callable[[], str | None],
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = TIMEOUT_SECONDS,
    ) -> None:
        self._key = key if callable(key) else (lambda: key or None)
        self._refresh = getattr(key, "refresh", None)  # a SecretKey reads its secret again after a refusal
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def available(self) -> bool:
        return bool(self._key())

    def by_postcode(self, postcode: str) -> list[Address]:
        key = self._key()
        if not key:
            raise AddressLookupFailed("no-key")
        deadline = time.monotonic() + self.timeout_s
        addresses: dict[str, Address] = {}
        offset = 0
        while True:
            body = self._get(postcode, key, offset, deadline)
            results = body.get("results", [])  # no `results` at all when nothing matches
            header = body.get("header")
            if not isinstance(results, list) or not isinstance(header, dict):
                raise AddressLookupFailed("malformed")
            for result in results:
                dpa = result.get("DPA") if isinstance(result, dict) else None
                if not isinstance(dpa, dict):
                    raise AddressLookupFailed("malformed")
                try:
                    address = address_from_dpa(dpa)
                except ValueError:
                    continue  # one odd record does not hide the others
                addresses.setdefault(address.uprn, address)
            offset += len(results)
            total = header.get("totalresults", 0)
            if not results or not isinstance(total, int) or offset >= min(total, MAX_ADDRESSES):
                return list(addresses.values())

    def _get(self, postcode: str, key: str, offset: int, deadline: float) -> dict[str, Any]:
        query = {"postcode": postcode, "dataset": "DPA", "output_srs": "WGS84", "maxresults": str(PAGE_SIZE)}
        if offset:
            query["offset"] = str(offset)
        url = f"{self.base_url}{POSTCODE_PATH}?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(url, headers={"key": key, "accept": "application/json"})  # noqa: S310
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AddressLookupFailed("timeout")
        try:
            with NO_REDIRECTS.open(request, timeout=remaining) as response:  # a 3xx: HTTPError, "unavailable"
                payload = read_within(
                    response,
                    deadline=deadline,
                    clock=time.monotonic,
                    max_bytes=MAX_BODY_BYTES,
                    too_large=AddressLookupFailed("malformed"),
                )
        except urllib.error.HTTPError as error:
            reasons = {400: "bad-request", 401: "unauthorised", 403: "unauthorised", 429: "throttled"}
            reason = reasons.get(error.code, "unavailable")
            if reason == "unauthorised" and self._refresh is not None:
                self._refresh()  # the key may have been rotated since this container read it
            raise AddressLookupFailed(reason, error.code) from None
        except TimeoutError:
            raise AddressLookupFailed("timeout") from None
        except (urllib.error.URLError, OSError) as error:
            timed_out = isinstance(getattr(error, "reason", None), TimeoutError)
            raise AddressLookupFailed("timeout" if timed_out else "unreachable") from None
        try:
            body = json.loads(payload)
        except ValueError:
            raise AddressLookupFailed("malformed") from None
        if not isinstance(body, dict):
            raise AddressLookupFailed("malformed")
        return body


def configured_lookup(secret_id: str, base_url: str = DEFAULT_BASE_URL) -> OsPlacesLookup | None:
    """A function's lookup: OS Places with the key in secret `secret_id` (a name or an ARN; the function's
    `OS_PLACES_API_KEY_SECRET_ID`), at `base_url`. None when the function names no key at all."""
    if not secret_id:
        return None
    return OsPlacesLookup(SecretKey(secret_id), base_url=base_url or DEFAULT_BASE_URL)
