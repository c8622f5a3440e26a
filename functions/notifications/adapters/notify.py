"""GOV.UK Notify through the official client (`notifications-python-client`).

- Template ids come from configuration (`templates.notify_template_ids()`); our message id is Notify's
  `reference`, so every notification can be traced to its record and looked up again after a crash.
- Notify's errors map onto the seam's: 400 → permanent; 403 → permanent and alarm-worthy (a revoked or wrong
  key); 429 RateLimitError / TooManyRequestsError → rate limited; 500 and network failures → temporary.
- An SMS longer than 918 characters, or to a number that is not a UK mobile, is refused before sending.
- The API key is never logged, printed or put in an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from notifications.adapters.base import (
    Outgoing,
    PermanentFailure,
    RateLimited,
    TemporaryFailure,
)
from shared.contact import is_uk_mobile, normalise_email
from shared.observability import logger, metrics

NOTIFY_BASE_URL = "https://api.notifications.service.gov.uk"
SMS_MAX_CHARACTERS = 918  # Notify refuses longer text messages (6 fragments of 153 characters)
REQUEST_TIMEOUT_SECONDS = 5.0  # well inside the consumer's 10 s timeout; Notify answers in well under a second
RATE_LIMIT_RETRY_SECONDS = 60.0  # Notify's limit is 3,000 messages per key type per rolling minute
DAILY_LIMIT_RETRY_SECONDS = 3600.0  # 250,000 a day: nothing will go until the day's count resets
_KEY_SHAPE = re.compile(r".+-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}")


class InvalidApiKey(ValueError):
    """The configured key is not shaped `{key name}-{service id}-{secret}`; the key itself is never shown."""


class NotifyAdapter:
    name = "notify"

    def __init__(
        self,
        api_key: str,
        *,
        template_ids: Mapping[str, str],
        base_url: str = NOTIFY_BASE_URL,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> None:
        if not _KEY_SHAPE.fullmatch(api_key.strip()):
            raise InvalidApiKey("The Notify API key is not in the form {name}-{service id}-{secret key}")
        from notifications_python_client.notifications import NotificationsAPIClient

        self._client = NotificationsAPIClient(api_key.strip(), base_url=base_url, timeout=timeout)
        self._template_ids = dict(template_ids)
        self.base_url = base_url

    def __repr__(self) -> str:
        return f"NotifyAdapter(base_url={self.base_url!r})"

    def send_email(self, message: Outgoing) -> str:
        if normalise_email(message.recipient) is None:
            raise PermanentFailure("invalid-email", "the recipient is not a valid email address")
        extra: dict[str, Any] = {}
        if message.unsubscribe_url:
            extra["one_click_unsubscribe_url"] = message.unsubscribe_url
        return self._call(
            self._client.send_email_notification,
            email_address=message.recipient,
            template_id=self._template_id(message),
            personalisation=message.personalisation or None,
            reference=message.message_id,
            **extra,
        )

    def send_sms(self, message: Outgoing) -> str:
        if not is_uk_mobile(message.recipient):
            raise PermanentFailure("not-a-uk-mobile", "text messages go to UK mobile numbers only")
        if len(message.body) > SMS_MAX_CHARACTERS:
            raise PermanentFailure(
                "sms-too-long", f"{len(message.body)} characters; Notify's limit is {SMS_MAX_CHARACTERS}"
            )
        return self._call(
            self._client.send_sms_notification,
            phone_number=message.recipient,
            template_id=self._template_id(message),
            personalisation=message.personalisation or None,
            reference=message.message_id,
        )

    def send_letter(self, message: Outgoing) -> str:
        return self._call(
            self._client.send_letter_notification,
            template_id=self._template_id(message),
            personalisation=message.personalisation,
            reference=message.message_id,
        )

    def find_sent(self, message_id: str) -> str | None:
        found = self._request(self._client.get_all_notifications, reference=message_id)
        notifications = found.get("notifications") or []
        return str(notifications[0]["id"]) if notifications else None

    def _template_id(self, message: Outgoing) -> str:
        key = f"{message.template}:{message.channel}"
        if key not in self._template_ids:
            raise PermanentFailure("template-not-configured", f"no Notify template id for {key}", alarm=True)
        return self._template_ids[key]

    def _call(self, method: Any, **kwargs: Any) -> str:
        return str(self._request(method, **kwargs)["id"])

    def _request(self, method: Any, **kwargs: Any) -> dict[str, Any]:
        from notifications_python_client.errors import APIError, HTTPError

        try:
            result: dict[str, Any] = method(**kwargs)
        except HTTPError as error:
            raise map_error(error.status_code, _error_codes(error), has_response=error.response is not None) from None
        except APIError as error:  # InvalidResponse: Notify answered, but not with JSON
            raise TemporaryFailure("invalid-response", f"HTTP {error.status_code}", maybe_sent=True) from None
        return result


def _error_codes(error: Any) -> tuple[str, str]:
    """Notify's first (error, message) pair: `{"errors": [{"error": "RateLimitError", "message": "..."}]}`."""
    try:
        errors = error.response.json().get("errors") or []
        first = errors[0]
        return str(first.get("error", "")), str(first.get("message", ""))[:200]
    except (AttributeError, ValueError, IndexError, TypeError):
        return "", ""


def map_error(status: int, codes: tuple[str, str], *, has_response: bool = True) -> Exception:
    """Notify's documented errors as the seam's typed errors."""
    error, message = codes
    if not has_response:  # no answer at all (connection refused, timeout): Notify may have the message
        return TemporaryFailure("notify-unreachable", "no response from Notify", maybe_sent=True)
    if status == 429:
        if error == "TooManyRequestsError":
            return RateLimited("notify-daily-limit", message, retry_after=DAILY_LIMIT_RETRY_SECONDS)
        return RateLimited("notify-rate-limit", message, retry_after=RATE_LIMIT_RETRY_SECONDS)
    if status == 403:
        # A wrong, revoked or mistyped key, or our clock is out: every message will fail until a person acts.
        logger.error("GOV.UK Notify refused our API key", extra={"notify_error": error, "notify_message": message})
        metrics.add_metric(name="NotifyAuthFailures", unit="Count", value=1)
        return PermanentFailure("notify-auth", message, alarm=True)
    if status >= 500:  # Notify: "resend your notification" — it was not created
        return TemporaryFailure(f"notify-{status}", message, maybe_sent=False)
    return PermanentFailure(f"notify-{status}-{error or 'error'}", message)
