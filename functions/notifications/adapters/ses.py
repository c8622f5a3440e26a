"""Amazon SES (v2) for email: a second provider behind the same seam, to show the seam is real.

SES has no templates of ours, so it sends the rendered subject and body. It cannot look a message up by our
reference, so after an attempt whose outcome is unknown the consumer does not resend (at most once).
"""

from __future__ import annotations

from typing import Any

from notifications.adapters.base import (
    ConfigurationRefused,
    LookupUnsupported,
    Outgoing,
    PermanentFailure,
    RateLimited,
    TemporaryFailure,
)
from shared import aws
from shared.contact import normalise_email

_THROTTLED = {"TooManyRequestsException", "LimitExceededException", "ThrottlingException", "Throttling"}
_TEMPORARY = {"InternalFailure", "InternalServerError", "ServiceUnavailable", "ServiceUnavailableException"}
_NEEDS_A_PERSON = {"AccountSuspendedException", "SendingPausedException", "MailFromDomainNotVerifiedException"}
# One SendEmail call, no lookups: at most the SDK client's connect and read timeouts and its retries (shared/aws.py).
SES_WORST_CASE_SECONDS = 6.0


class SesAdapter:
    name = "ses"
    worst_case_seconds = SES_WORST_CASE_SECONDS

    def __init__(self, from_address: str, *, configuration_set: str | None = None, client: Any = None) -> None:
        self._from = from_address
        self._configuration_set = configuration_set
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or aws.client("sesv2")

    def send_email(self, message: Outgoing) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        if normalise_email(message.recipient) is None:
            raise PermanentFailure("invalid-email", "the recipient is not a valid email address")
        request: dict[str, Any] = {
            "FromEmailAddress": self._from,
            "Destination": {"ToAddresses": [message.recipient]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": message.body, "Charset": "UTF-8"}},
                }
            },
            "EmailTags": [{"Name": "message_id", "Value": message.message_id}],
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        try:
            return str(self.client.send_email(**request)["MessageId"])
        except ClientError as error:
            raise _map(error.response.get("Error", {}).get("Code", "")) from None
        except BotoCoreError as error:  # timeouts, connection resets: SES may have taken it
            raise TemporaryFailure("ses-unreachable", type(error).__name__, maybe_sent=True) from None

    def send_sms(self, message: Outgoing) -> str:
        raise PermanentFailure("channel-not-supported", "the SES adapter sends email only")

    def send_letter(self, message: Outgoing) -> str:
        raise PermanentFailure("channel-not-supported", "the SES adapter sends email only")

    def find_sent(self, message_id: str) -> str | None:
        raise LookupUnsupported("SES cannot find a message by our reference")


def _map(code: str) -> Exception:
    if code in _THROTTLED:
        return RateLimited(f"ses-{code}")
    if code in _TEMPORARY:
        return TemporaryFailure(f"ses-{code}", maybe_sent=False)
    if code in _NEEDS_A_PERSON:  # our account or domain: held until a person fixes it
        return ConfigurationRefused(f"ses-{code}", stops_batch=True)
    return PermanentFailure(f"ses-{code or 'error'}")
