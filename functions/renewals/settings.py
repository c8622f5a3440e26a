"""The renewals functions' settings: their environment, read and validated once at the first invocation."""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from shared.publisher import EventsSettings
from shared.settings import FunctionSettings, cached, local_only


class RenewalsSettings(FunctionSettings):
    """The subscriptions table: what every renewals function reads."""

    renewals_table: str


class JobSettings(RenewalsSettings, EventsSettings):
    """The daily job: finds the subscriptions due a reminder and publishes `renewal-due`."""


settings = cached(RenewalsSettings)
job_settings = cached(JobSettings)


class LinksSettings(RenewalsSettings):
    """The renewal links function: mints the reminders' links (for notifications) and opens them (for the web)."""

    requests_table: str  # the previous request's answers, read by its reference (GetItem only)
    renewal_link_key_secret_id: str = ""
    renewal_link_key: str = local_only(secret=True, description="the renewal links' HMAC key itself (unit tests)")

    @model_validator(mode="after")
    def _a_key_is_given(self) -> Self:
        if not (self.renewal_link_key_secret_id or self.renewal_link_key):
            raise ValueError("RENEWAL_LINK_KEY_SECRET_ID: required (the secret holding the renewal links' key)")
        return self


links_settings = cached(LinksSettings)
