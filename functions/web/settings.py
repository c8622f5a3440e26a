"""The web functions' settings: their environment, read and validated once, on the first invocation.

`WebSettings` is the pages function's (web.handler), `DraftReminderSettings` the daily draft reminders function's
(web.reminders), `DraftsSettings` the return links function's (web.return_links). A missing or malformed variable
fails the first invocation with the variable's name (shared/settings.py), before any page is served. Each adapter
takes its values from here (the handler passes them), so no module of the web reads the environment itself.
"""

from __future__ import annotations

from functools import cache
from typing import Self

from pydantic import model_validator

from shared.maps import MapEnvironment
from shared.origin_verify import OriginVerifySettings
from shared.publisher import EventsSettings
from shared.settings import FunctionSettings, load, local_only
from web.addresses import DEFAULT_BASE_URL


class SigningSettings(FunctionSettings):
    """The key that signs CSRF and upload tokens (web/security.py)."""

    signing_secret_id: str = ""  # the Secrets Manager secret holding the key (its name or ARN)
    signing_key: str = local_only(secret=True, description="the key itself, instead of a secret (unit tests)")

    @model_validator(mode="after")
    def _a_key_is_given(self) -> Self:
        if not (self.signing_secret_id or self.signing_key):
            raise ValueError("SIGNING_SECRET_ID: required (the Secrets Manager secret that holds the signing key)")
        return self


class DraftsSettings(FunctionSettings):
    """The Drafts table (the return links function needs nothing else)."""

    drafts_table: str


class DraftReminderSettings(DraftsSettings, EventsSettings):
    """The daily draft reminders: the Drafts table and the events topic."""


class WebSettings(DraftReminderSettings, SigningSettings, OriginVerifySettings, MapEnvironment):
    """The resident web's pages (set by stacks/web_stack.py): also the origin-verify secret and the map, which
    shared/origin_verify.py and shared/maps.py read through their own models, checked here at the first invocation."""

    catalogue_function: str  # submissions go through the API's own functions, invoked directly
    cases_function: str  # tracking
    subscriptions_function: str = ""  # bin collection reminders; none: the reminder pages say try later
    payments_function: str = ""  # paying for fee services (GOV.UK Pay); none: the payment pages say try later
    permits_function: str = ""  # applying for a parking permit; none: the permit pages say try later
    renewals_function: str = ""  # the renewal links function (renewing a subscription); none: those links say try later
    quarantine_bucket: str = ""  # uploads land here until scanned; none: no file questions can be answered
    clean_bucket: str = ""  # scanned-clean uploads are copied here
    os_places_api_key_secret_id: str = ""  # the OS Places key's secret (its name); none: addresses are typed in
    os_places_base_url: str = DEFAULT_BASE_URL  # the local cloud points it at its stand-in

    @model_validator(mode="after")
    def _both_upload_buckets_or_neither(self) -> Self:
        if bool(self.quarantine_bucket) != bool(self.clean_bucket):
            raise ValueError("QUARANTINE_BUCKET and CLEAN_BUCKET: set both (uploads) or neither (no uploads)")
        return self


@cache
def settings() -> WebSettings:
    return load(WebSettings)


@cache
def draft_reminder_settings() -> DraftReminderSettings:
    return load(DraftReminderSettings)


@cache
def return_link_settings() -> DraftsSettings:
    return load(DraftsSettings)


@cache
def signing_settings() -> SigningSettings:
    return load(SigningSettings)


def reset() -> None:
    """Read the environment again next time (tests change it)."""
    for cached in (settings, draft_reminder_settings, return_link_settings, signing_settings):
        cached.cache_clear()
