"""Keyed hashes of a resident's postcode and email, so that staff find requests by them without a scan and without
the Requests table's indexes holding either in clear.

At submission the catalogue stores `postcode_key` and `email_key` on the request (each only when the answer exists):
HMAC-SHA256, in hex, under the search key, of the normalised value (a postcode upper-cased without spaces; an email
trimmed and lower-cased). The Requests table's `by-postcode-key` and `by-email-key` indexes (stacks/data_stack.py)
are keyed by them; the console computes the same key from what a member of staff typed and Queries the index.

The search key is a generated Secrets Manager secret (`<prefix>/search-key`, read by name, once per container). It
must never change: every stored key was made with it (rotating it means recomputing every request's keys).
A keyed hash, not a plain one: a postcode has few enough values that a plain hash is reversed by trying them all.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from shared.contact import normalise_email
from shared.location import normalise_postcode
from shared.references import normalise_reference
from shared.settings import FunctionSettings, current

POSTCODE_KEY = "postcode_key"  # the attribute on a request, and the partition key of its index
EMAIL_KEY = "email_key"
MAX_SEARCH_LENGTH = 254  # the longest email address; anything longer is none of the three
_SPACES = re.compile(r"\s+")


class SearchKeySettings(FunctionSettings):
    """What a function that makes search keys needs: the secret's name (`SEARCH_KEY_SECRET_ID`)."""

    search_key_secret_id: str


class SearchKind(StrEnum):
    REFERENCE = "reference"
    POSTCODE = "postcode"
    EMAIL = "email"


@dataclass(frozen=True)
class Search:
    """What a member of staff typed, recognised: its kind and its canonical form (personal data for a postcode or an
    email: it is never logged or audited, only its key)."""

    kind: SearchKind
    value: str


def postcode_text(postcode: str) -> str:
    """The postcode as it is hashed: upper case, no spaces (`me15 6jq` -> `ME156JQ`)."""
    return _SPACES.sub("", postcode).upper()


def email_text(email: str) -> str:
    """The email as it is hashed: trimmed and lower case (`  Name@Example.org ` -> `name@example.org`)."""
    return email.strip().lower()


def recognise(typed: str) -> Search | None:
    """A reference, a full UK postcode or an email address, or None if it is none of them (or too long).

    They cannot be confused: an email has an `@`, and a reference is 8 characters with a check character where a
    postcode has 5 to 7."""
    text = typed.strip()
    if not text or len(text) > MAX_SEARCH_LENGTH:
        return None
    if "@" in text:
        email = normalise_email(text)
        return Search(SearchKind.EMAIL, email_text(email)) if email else None
    reference = normalise_reference(text)
    if reference:
        return Search(SearchKind.REFERENCE, reference)
    postcode = normalise_postcode(text)
    return Search(SearchKind.POSTCODE, postcode) if postcode else None


class SearchKeys:
    """Makes the keys under one secret key."""

    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise ValueError("The search key is empty")
        self._secret = secret

    def _key(self, text: str) -> str:
        return hmac.new(self._secret, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def postcode(self, postcode: str) -> str:
        return self._key(postcode_text(postcode))

    def email(self, email: str) -> str:
        return self._key(email_text(email))

    def of(self, search: Search) -> str:
        """The index key of a recognised postcode or email search."""
        if search.kind is SearchKind.POSTCODE:
            return self.postcode(search.value)
        if search.kind is SearchKind.EMAIL:
            return self.email(search.value)
        raise ValueError("A reference is looked up by itself, not by a key")

    def attributes(self, *, postcode: str | None, email: str | None) -> dict[str, Any]:
        """The key attributes for a request: each only when its answer exists."""
        found: dict[str, Any] = {}
        if postcode and postcode.strip():
            found[POSTCODE_KEY] = self.postcode(postcode)
        if email and email.strip():
            found[EMAIL_KEY] = self.email(email)
        return found


def search_keys() -> SearchKeys:
    """The calling function's keys, from the secret its settings name (read once per container and secret)."""
    return _keys_from(current(SearchKeySettings).search_key_secret_id)


@cache
def _keys_from(secret_id: str) -> SearchKeys:
    from shared import aws

    secret = aws.client("secretsmanager").get_secret_value(SecretId=secret_id)
    return SearchKeys(str(secret["SecretString"]).encode())


def forget() -> None:
    """Forget the key read (tests switch moto sessions)."""
    _keys_from.cache_clear()
