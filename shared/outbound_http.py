"""What every client of an outside HTTPS API (GOV.UK Pay, DVLA, OS Places) does the same way, with the standard
library: a key that is sent only in a header, a base URL that is https (http only for a loopback stand-in),
redirects never followed (urllib would send the key's header on to wherever a 3xx points), and an answer read
within the call's deadline and size limit. What each provider's failures mean stays in its own adapter."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
READ_CHUNK_BYTES = 65536


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx becomes an HTTPError for the client to handle, instead of a request to another address."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


NO_REDIRECTS = urllib.request.build_opener(_NoRedirects)


def checked_api_key(api_key: str, provider: str) -> str:
    """The key, trimmed; ValueError (naming the provider, never the key) when it is empty or has spaces in it."""
    key = api_key.strip()
    if not key or any(c.isspace() for c in key):
        raise ValueError(f"The {provider} API key is empty or has spaces in it")
    return key


def checked_base_url(base_url: str, provider: str) -> str:
    """The base URL without a trailing slash; ValueError unless it is https, or http to a loopback stand-in."""
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        raise ValueError(f"The {provider} base URL must be https (http only for a loopback stand-in)")
    return base_url.rstrip("/")


def read_within(
    response: Any, *, deadline: float, clock: Callable[[], float], max_bytes: int, too_large: Exception
) -> bytes:
    """The body, one socket receive at a time (`read1`) so that the deadline is checked between them: TimeoutError
    once `clock()` is past `deadline`, `too_large` once more than `max_bytes` have come."""
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(READ_CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        if clock() > deadline:
            raise TimeoutError
        chunks.append(chunk)
    return b"".join(chunks)


def error_body(payload: bytes) -> dict[str, Any] | None:
    """An error answer's JSON object, or None when it has none (empty, not JSON, or not an object)."""
    try:
        body = json.loads(payload) if payload else None
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
