"""The cases functions' settings (the API's and triage's): their environment, read and validated once at cold
start (shared/settings.py)."""

from __future__ import annotations

from shared.api import ApiSettings
from shared.catalogue import ServicesSettings
from shared.requests_repo import RequestsSettings
from shared.settings import cached


class CasesSettings(ApiSettings, RequestsSettings, ServicesSettings):
    """The cases API function's environment variables (the field names in upper case), set by the API stack. No
    topic: a status change stores its event with the write, and the outbox publishes it (shared/outbox.py)."""


class TriageSettings(RequestsSettings, ServicesSettings):
    """The triage task's environment variables, set by the workflows stack (it publishes nothing itself: the state
    machine announces the acknowledgement)."""


settings = cached(CasesSettings)
triage_settings = cached(TriageSettings)
