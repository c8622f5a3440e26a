"""The permits functions' settings: their environment, read and validated once at the first invocation."""

from __future__ import annotations

from shared.api import ApiSettings
from shared.settings import cached


class CheckSettings(ApiSettings):
    """The enforcement look-up: reads the Permits table's `by-vrm` index, appends to the look-ups' audit."""

    permits_table: str
    lookups_table: str


check_settings = cached(CheckSettings)


class FeedSettings(ApiSettings):
    """The devices' offline feed: reads the Permits table's `by-change` index, signs each page with the feed's KMS
    key (its ARN), appends each page given to the look-ups' audit."""

    permits_table: str
    lookups_table: str
    feed_signing_key: str


feed_settings = cached(FeedSettings)
