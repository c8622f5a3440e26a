"""GOV.UK Notify through the official client (`notifications-python-client`).

- Template ids come from configuration (`templates.notify_template_ids()`); our message id is Notify's
  `reference`, so every notification can be traced to its record and looked up again after a crash.
- Notify's errors map onto the seam's: 403 (a revoked or wrong key) → the key is read again from its secret: a
  rotated key is used from then on and the message retried, the same key means `ConfigurationRefused` (held); a
  400 naming the template (not found, not a UUID, of the wrong type, other placeholders) → `ConfigurationRefused`;
  any other 400 → permanent; 429 RateLimitError / TooManyRequestsError → rate limited; 500 and network failures →
  temporary.
- Time: each call has a connect and a read timeout and no retries of its own (the queue retries, with backoff,
  and a resend must look first); `WORST_CASE_SECONDS` is what one message's calls to Notify can take at most, and
  the adapter's `worst_case_seconds` adds the key's re-read after a 403: the consumer keeps that much time free
  before its timeout for every record it attempts.
- An SMS longer than 918 characters, or to a number that is not a UK mobile, is refused before sending.
- The API key is never logged, printed or put in an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from notifications.adapters.base import (
    ConfigurationRefused,
    Outgoing,
    PermanentFailure,
    RateLimited,
    TemporaryFailure,
)
from shared.contact import is_uk_mobile, normalise_email
from shared.observability import logger, metrics

NOTIFY_BASE_URL = "https://api.notifications.service.gov.uk"
SMS_MAX_CHARACTERS = 918  # Notify refuses longer text messages (6 fragments of 153 characters)
# Notify answers in well under a second. Connect, then at most READ seconds between bytes of its (small) answer.
CONNECT_TIMEOUT_SECONDS = 0.5
READ_TIMEOUT_SECONDS = 1.5
REQUEST_TIMEOUT = (CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)
CLIENT_RETRIES = 0  # the client never retries by itself: the queue does, with backoff, and a resend looks first
REQUEST_WORST_CASE_SECONDS = (CLIENT_RETRIES + 1) * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS)
# At most two calls for one message: a look-up by reference (after an interrupted attempt), then the send. A 403
# reads the key again (one Secrets Manager call, under the SDK client's budget) and hands the message back.
CALLS_PER_MESSAGE = 2
WORST_CASE_SECONDS = CALLS_PER_MESSAGE * REQUEST_WORST_CASE_SECONDS  # one message's calls to Notify, at most
RATE_LIMIT_RETRY_SECONDS = 60.0  # Notify's limit is 3,000 messages per key type per rolling minute
DAILY_LIMIT_RETRY_SECONDS = 3600.0  # 250,000 a day: nothing will go until the day's count resets
_KEY_SHAPE = re.compile(r".+-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}")


# Notify's 400s that mean our configuration is wrong, not the message: the template id (missing from Notify, not
# a UUID, for another channel) or the template's placeholders (Notify's text differs from data/templates.yaml).
CONFIGURATION_ERRORS = (
    "Template not found",
    "template_id is not a valid UUID",
    "template_id is a required property",
    "template is not suitable for",
    "Missing personalisation",
)


def key_reread_seconds() -> float:
    """The longest reading the key's secret again can take: one Secrets Manager call in this function."""
    from shared import aws
    from shared.settings import load

    return aws.call_budget("secretsmanager", load(aws.SdkSettings).borough_function_timeout_seconds).worst_case_seconds


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
        timeout: float | tuple[float, float] = REQUEST_TIMEOUT,
        reread_key: Callable[[], str] | None = None,
    ) -> None:
        self._template_ids = dict(template_ids)
        self.base_url = base_url
        self._timeout = timeout
        self._reread_key = reread_key  # after a 403: the key as its secret holds it now
        self._use_key(api_key)

    @property
    def worst_case_seconds(self) -> float:
        """One message at worst: Notify's calls at their timeouts, and the key read again after a 403."""
        return WORST_CASE_SECONDS + (key_reread_seconds() if self._reread_key is not None else 0.0)

    def _use_key(self, api_key: str) -> None:
        if not _KEY_SHAPE.fullmatch(api_key.strip()):
            raise InvalidApiKey("The Notify API key is not in the form {name}-{service id}-{secret key}")
        from notifications_python_client.notifications import NotificationsAPIClient
        from requests.adapters import HTTPAdapter

        self._api_key = api_key.strip()
        self._client = NotificationsAPIClient(self._api_key, base_url=self.base_url, timeout=self._timeout)
        for scheme in ("https://", "http://"):
            self._client.request_session.mount(scheme, HTTPAdapter(max_retries=CLIENT_RETRIES))

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
            raise ConfigurationRefused("template-not-configured", f"no Notify template id for {key}")
        return self._template_ids[key]

    def _call(self, method: Any, **kwargs: Any) -> str:
        return str(self._request(method, **kwargs)["id"])

    def _request(self, method: Any, **kwargs: Any) -> dict[str, Any]:
        from notifications_python_client.errors import APIError, HTTPError

        try:
            result: dict[str, Any] = method(**kwargs)
        except HTTPError as error:
            if error.status_code == 403 and self._key_was_rotated():
                raise TemporaryFailure("notify-key-rotated", "its secret holds a new key", maybe_sent=False) from None
            raise map_error(error.status_code, _error_codes(error), has_response=error.response is not None) from None
        except APIError as error:  # InvalidResponse: Notify answered, but not with JSON
            raise TemporaryFailure("invalid-response", f"HTTP {error.status_code}", maybe_sent=True) from None
        return result

    def _key_was_rotated(self) -> bool:
        """Read the key again: a new one (rotated without a redeploy) is used from the next call on."""
        if self._reread_key is None:
            return False
        fresh = self._reread_key().strip()
        if fresh == self._api_key:
            return False
        self._use_key(fresh)
        logger.info("GOV.UK Notify refused our key; its secret holds a new one, used from now on")
        return True


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
        return ConfigurationRefused("notify-auth", message, stops_batch=True)
    if status >= 500:  # Notify: "resend your notification" — it was not created
        return TemporaryFailure(f"notify-{status}", message, maybe_sent=False)
    if status == 400 and any(known in message for known in CONFIGURATION_ERRORS):
        return ConfigurationRefused(f"notify-400-{error or 'error'}", message)
    return PermanentFailure(f"notify-{status}-{error or 'error'}", message)
