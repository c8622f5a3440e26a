"""Renewal links: the link in a renewal reminder, signed (HMAC-SHA256 with the renewals' own key) and expiring.

This is the renewals links function, invoked directly (never over HTTP):

- by the notifications consumer, `{"action": "mint", "reference"}`: `{"link": {"path", "expires_at"}}`, or
  `{"link": null, "reason"}` when the subscription is unknown or renewed already;
- by the web's renewal page, `{"action": "open", "token"}`: `{"renewal": {"renews", "service_id", "answers"}}`, the
  previous request's answers (its contact details among them, under the contact question's id) to pre-fill the
  check-answers page, or `{"renewal": null, "reason"}` (`invalid`, `expired`, `renewed`, `unknown`);
- by the web once the renewal is sent, `{"action": "begin", "token", "reference"}`: the new request renews the old
  subscription (a marker its payment's `payment-succeeded` finds), `{"begun": true}`.

The token is `<reference>.<expires_at>.<signature>`: it names the subscription (the request's reference, not a
secret: the signature is what the link proves) and when it stops working. It is a bearer value: never logged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from renewals.settings import links_settings
from renewals.store import RenewalsStore, Subscription
from shared import aws, signed_links
from shared.catalogue import load_catalogue
from shared.dynamo_values import plain
from shared.observability import logger, observed

# The link works until this long after the subscription ends: a resident renewing late renews from that day.
LINK_GRACE = timedelta(days=30)
PURPOSE = "renewal"


@cache
def link_key() -> bytes:
    configured = links_settings()
    return aws.signing_key(configured.renewal_link_key, configured.renewal_link_key_secret_id)


def mint_token(reference: str, expires_at: int, key: bytes) -> str:
    return signed_links.mint_token(PURPOSE, reference, expires_at, key)


def read_token(token: str, key: bytes, *, now: float | None = None) -> tuple[str | None, str]:
    """(the subscription's reference, "") for a good token; (None, "invalid" | "expired") otherwise."""
    return signed_links.read_token(PURPOSE, token, key, now=now)


def link_expires_at(subscription: Subscription) -> int:
    end = subscription.ends_on + LINK_GRACE
    return int(datetime(end.year, end.month, end.day, tzinfo=UTC).timestamp())


class RenewalLinks:
    def __init__(self, store: RenewalsStore, requests_table: str, key: bytes) -> None:
        self.store, self._requests, self._key = store, requests_table, key

    def mint(self, reference: str) -> dict[str, Any]:
        subscription = self.store.get(reference)
        if subscription is None:
            return {"link": None, "reason": "unknown"}
        if subscription.renewed_by:
            return {"link": None, "reason": "renewed"}
        expires_at = link_expires_at(subscription)
        token = mint_token(reference, expires_at, self._key)
        return {"link": {"path": f"/services/{subscription.service_id}/renew/{token}", "expires_at": expires_at}}

    def _subscription(self, token: str, now: float | None) -> tuple[Subscription | None, str]:
        reference, reason = read_token(token, self._key, now=now)
        if reference is None:
            return None, reason
        subscription = self.store.get(reference)
        if subscription is None:
            return None, "unknown"
        if subscription.renewed_by:
            return None, "renewed"
        return subscription, ""

    def open(self, token: str, *, now: float | None = None) -> dict[str, Any]:
        subscription, reason = self._subscription(token, now)
        if subscription is None:
            return {"renewal": None, "reason": reason}
        request = (
            aws.table(self._requests)
            .get_item(
                Key={"reference": subscription.reference},
                ProjectionExpression="service_id, answers, contact",
                ConsistentRead=True,
            )
            .get("Item")
        )
        if not request or request.get("service_id") != subscription.service_id:
            return {"renewal": None, "reason": "unknown"}  # the request has expired (retention) or is not this
        answers = plain(dict(request.get("answers") or {}))
        definition = load_catalogue().get(subscription.service_id)
        contact_ids = [q.id for _, q in definition.questions() if q.type == "contact"] if definition else []
        if contact_ids and request.get("contact"):
            answers[contact_ids[0]] = plain(request["contact"])
        return {
            "renewal": {"renews": subscription.reference, "service_id": subscription.service_id, "answers": answers}
        }

    def begin(self, token: str, reference: str, *, now: float | None = None) -> dict[str, Any]:
        subscription, reason = self._subscription(token, now)
        if subscription is None or not reference or reference == subscription.reference:
            return {"begun": False, "reason": reason or "invalid"}
        self.store.begin_renewal(reference, renews=subscription.reference, expires_at=link_expires_at(subscription))
        logger.info("Renewal begun", extra={"reference": reference, "renews": subscription.reference})
        return {"begun": True}


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    configured = links_settings()
    links = RenewalLinks(RenewalsStore(configured.renewals_table), configured.requests_table, link_key())
    action = event.get("action") if isinstance(event, dict) else None
    if action == "mint":
        return links.mint(str(event.get("reference") or ""))
    if action == "open":
        return links.open(str(event.get("token") or ""))
    if action == "begin":
        return links.begin(str(event.get("token") or ""), str(event.get("reference") or ""))
    return {"error": "unknown action"}
