"""Channel adapters: GOV.UK Notify, Amazon SES (email) and record-only, chosen by NOTIFY_PROVIDER."""

from __future__ import annotations

from functools import cache

from notifications.adapters.base import (
    ChannelAdapter,
    ConfigurationRefused,
    DeliveryError,
    LookupUnsupported,
    Outgoing,
    PermanentFailure,
    RateLimited,
    TemporaryFailure,
    send,
)

__all__ = [
    "ChannelAdapter",
    "ConfigurationRefused",
    "DeliveryError",
    "LookupUnsupported",
    "Outgoing",
    "PermanentFailure",
    "RateLimited",
    "TemporaryFailure",
    "from_environment",
    "send",
]


@cache
def from_environment() -> ChannelAdapter:
    """The configured provider, built once per process (the Notify key is fetched once)."""
    from notifications import settings, templates

    config = settings.settings()
    if config.notify_provider == "notify":
        from notifications.adapters.notify import NotifyAdapter

        def read_key(again: bool = False) -> str:
            if again and config.notify_api_key_secret_id:  # after a 403: the key may have been rotated
                return settings.reread_secret(config.notify_api_key_secret_id, "api_key")
            return settings.secret(config.notify_api_key_secret_id, config.notify_api_key, "api_key")

        return NotifyAdapter(
            read_key(),
            template_ids=templates.notify_template_ids(),
            base_url=config.notify_base_url,
            reread_key=lambda: read_key(again=True),
        )
    if config.notify_provider == "ses":
        from notifications.adapters.ses import SesAdapter

        return SesAdapter(config.ses_from_address, configuration_set=config.ses_configuration_set or None)
    from notifications.adapters.record_only import RecordOnlyAdapter

    return RecordOnlyAdapter()
