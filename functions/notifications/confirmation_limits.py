"""How many reminder confirmations may be asked for: per recipient and per client address, in fixed windows.

Each subscribe request would send a confirmation to whatever address or number it names, so without limits anyone
could use the council to flood someone's inbox or phone, or keep invalidating their confirmation link (a new
request bumps the subscription's generation). Two counters, in the notifications service's own Subscriptions
table (items `limit#<kind>#<digest>#<window>`, beside the subscriptions; they have no `collection_day`, so the
sparse index never sees them):

- **per recipient** (`RECIPIENT`): at most 3 confirmations a day to one address or number. Over it, the
  request is answered exactly as if a confirmation had been sent (202): the answer must not say whether somebody
  asked for that address recently;
- **per client** (`CLIENT`): at most 20 subscribe requests an hour from one client address. Over it, 429 with
  `Retry-After`: that says something about the caller's own requests only.

Each count is one conditional `UpdateItem` (`ADD` under `count < limit`), so concurrent requests can never exceed
the limit; an item expires (TTL `expires_at`) a day after its window. Recipients and addresses are not stored:
the key holds an HMAC of them (the link signing key), which cannot be reversed by trying likely addresses.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

KEY_PREFIX = "limit#"
TTL_AFTER_WINDOW_SECONDS = 24 * 3600  # DynamoDB deletes expired items within a day or two; windows are in the key


@dataclass(frozen=True)
class Window:
    kind: Literal["recipient", "client"]
    limit: int
    seconds: int

    def start(self, now: datetime) -> int:
        return int(now.timestamp()) // self.seconds * self.seconds

    def seconds_left(self, now: datetime) -> int:
        return self.start(now) + self.seconds - int(now.timestamp())


RECIPIENT = Window("recipient", limit=3, seconds=24 * 3600)  # a resident who mistypes or loses one has two more
CLIENT = Window("client", limit=20, seconds=3600)  # a shared address (a library, a mobile network) has room


class ConfirmationLimits:
    """Counts confirmations in the Subscriptions table; `allow` is False once a window's limit is reached."""

    def __init__(self, table: Any, key: bytes) -> None:
        self._table = table
        self._key = key

    def item_key(self, window: Window, value: str, now: datetime) -> str:
        digest = hmac.new(self._key, f"{window.kind}|{value}".encode(), hashlib.sha256).hexdigest()[:32]
        return f"{KEY_PREFIX}{window.kind}#{digest}#{window.start(now)}"

    def allow(self, window: Window, value: str, now: datetime) -> bool:
        """Count one more for `value` in the current window, unless the limit is reached (then False)."""
        from botocore.exceptions import ClientError

        try:
            self._table.update_item(
                Key={"subscription_id": self.item_key(window, value, now)},
                UpdateExpression="ADD sent_count :one SET expires_at = if_not_exists(expires_at, :expires)",
                ConditionExpression="attribute_not_exists(sent_count) OR sent_count < :limit",
                ExpressionAttributeValues={
                    ":one": 1,
                    ":limit": window.limit,
                    ":expires": window.start(now) + window.seconds + TTL_AFTER_WINDOW_SECONDS,
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


def client_address(event: dict[str, Any]) -> str | None:
    """The caller's address, or None when it is not known (the web's direct invocation gives none).

    Behind CloudFront the connecting address (`sourceIp`) is CloudFront's; CloudFront appends the viewer's address
    to `X-Forwarded-For`. Entries to its left are whatever the caller sent (forgeable), so the viewer is the
    right-most entry that is not the connecting address itself."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    source = str(((event.get("requestContext") or {}).get("http") or {}).get("sourceIp") or "")
    forwarded = [part.strip() for part in headers.get("x-forwarded-for", "").split(",") if part.strip()]
    while forwarded and forwarded[-1] == source:
        forwarded.pop()
    if forwarded:
        return forwarded[-1]
    if source and not source.startswith("127."):  # a direct invocation's placeholder is the loopback address
        return source
    return None
