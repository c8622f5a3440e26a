"""The channel adapter seam: what the consumer asks of a provider (GOV.UK Notify, Amazon SES, record-only).

An adapter sends one message and returns the provider's id for it, or raises one of three typed errors that
tell the consumer what to do next:

- `RateLimited`: the provider is throttling us; retry later, with exponential backoff and jitter;
- `TemporaryFailure`: the provider could not take the message now; retry. `maybe_sent` says whether the
  provider might have accepted it anyway (a timeout), in which case the retry must look before it resends;
- `PermanentFailure`: retrying cannot help (a bad recipient, a message too long); record it as failed;
- `ConfigurationRefused` (a kind of permanent failure): refused because of the council's own configuration (a
  revoked or wrong key, a missing or wrong template id): the message is *held*, and sent once a person fixes it.

Error messages never carry personal data: they are logged and stored on the message record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

Channel = Literal["email", "sms", "letter"]


@dataclass(frozen=True)
class Outgoing:
    """One message, ready to hand to a provider."""

    message_id: str  # ours: sent as the provider's reference so a message can be traced and looked up
    channel: Channel
    template: str  # our template name, e.g. "acknowledgement"
    recipient: str  # an email address, an E.164 UK mobile number, or "" for a letter (address in personalisation)
    personalisation: dict[str, str] = field(default_factory=dict)
    subject: str = ""  # rendered, for providers without templates of their own (SES)
    body: str = ""
    unsubscribe_url: str | None = None

    def __repr__(self) -> str:  # never print the recipient or the content
        return f"Outgoing(message_id={self.message_id!r}, channel={self.channel!r}, template={self.template!r})"


class DeliveryError(Exception):
    """A provider did not take a message. `code` is short and free of personal data."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class RateLimited(DeliveryError):
    """Throttled (Notify 429). `retry_after` is the provider's hint in seconds, when it gives one."""

    def __init__(self, code: str, detail: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(code, detail)
        self.retry_after = retry_after


class TemporaryFailure(DeliveryError):
    """The provider failed this time (Notify 500, a timeout); retry."""

    def __init__(self, code: str, detail: str = "", *, maybe_sent: bool = False) -> None:
        super().__init__(code, detail)
        self.maybe_sent = maybe_sent


class PermanentFailure(DeliveryError):
    """Retrying cannot help (a bad recipient, a message too long): the message fails for good."""

    alarm = False  # a person must act


class ConfigurationRefused(PermanentFailure):
    """Refused because of our configuration, not the message: held (not failed for good) until a person fixes it.

    `stops_batch`: every other message would be refused the same way (the key), so the batch stops asking."""

    alarm = True

    def __init__(self, code: str, detail: str = "", *, stops_batch: bool = False) -> None:
        super().__init__(code, detail)
        self.stops_batch = stops_batch


class LookupUnsupported(Exception):
    """The provider cannot say whether it already has a message with our reference (SES)."""


class ChannelAdapter(Protocol):
    """A provider of email, text messages and letters."""

    name: str

    @property
    def worst_case_seconds(self) -> float:
        """The longest one message's calls to the provider can take (timeouts and retries included), in seconds:
        the consumer attempts a record only while that much time, and more, remains before its timeout."""
        ...

    def send_email(self, message: Outgoing) -> str: ...

    def send_sms(self, message: Outgoing) -> str: ...

    def send_letter(self, message: Outgoing) -> str: ...

    def find_sent(self, message_id: str) -> str | None:
        """The provider's id of a message it accepted with our `message_id` as reference, if any.

        Raises `LookupUnsupported` if the provider cannot answer.
        """
        ...


def send(adapter: ChannelAdapter, message: Outgoing) -> str:
    """Hand `message` to the adapter method for its channel."""
    if message.channel == "email":
        return adapter.send_email(message)
    if message.channel == "sms":
        return adapter.send_sms(message)
    if message.channel == "letter":
        return adapter.send_letter(message)
    raise PermanentFailure("unknown-channel", f"no such channel: {message.channel}")
