"""The permits functions' settings: their environment, read and validated once at the first invocation."""

from __future__ import annotations

from shared.api import ApiSettings
from shared.settings import cached


class CheckSettings(ApiSettings):
    """The enforcement look-up: reads the Permits table's `by-vrm` index, appends to the look-ups' audit."""

    permits_table: str
    lookups_table: str


check_settings = cached(CheckSettings)
