"""The outbox publisher's settings: its environment, read and validated once at cold start (shared/settings.py)."""

from __future__ import annotations

from shared.publisher import EventsSettings
from shared.settings import cached


class OutboxSettings(EventsSettings):
    """Environment variables (the field names in upper case), set by stacks/constructs/outbox.py: only the topic it
    forwards to (it reads the table's stream through its event source mapping, never the table)."""


settings = cached(OutboxSettings)
