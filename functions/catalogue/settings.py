"""The catalogue function's settings: its environment, read and validated once at cold start (shared/settings.py)."""

from __future__ import annotations

from shared.api import ApiSettings
from shared.catalogue import ServicesSettings
from shared.requests_repo import RequestsSettings
from shared.search_keys import SearchKeySettings
from shared.settings import cached


class CatalogueSettings(ApiSettings, RequestsSettings, ServicesSettings, SearchKeySettings):
    """Environment variables (the field names in upper case), set by the API stack. No topic: a submission stores
    its event with the write, and the outbox publishes it (shared/outbox.py)."""

    idempotency_table: str  # Powertools idempotency records of submissions with an Idempotency-Key
    uploads_bucket_parameter: str = ""  # SSM parameter naming the clean uploads bucket; none: file answers refused


class AssistedSettings(RequestsSettings, ServicesSettings):
    """The console-only function (catalogue/assisted_handler.py): submissions by staff, invoked directly, so no
    API settings and no idempotency table (the console asks once per confirmed form)."""

    uploads_bucket_parameter: str = ""  # none: file answers refused


settings = cached(CatalogueSettings)
assisted_settings = cached(AssistedSettings)
