"""The notifications service's configuration, from its environment, validated once; secrets fetched once."""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared import aws


class Settings(BaseModel):
    """Environment variables (names are the field names in upper case)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    notifications_table: str = ""
    requests_table: str = ""
    subscriptions_table: str = ""
    return_links_function: str = ""  # the web's: save-and-return emails get the address and link from it
    notifications_queue_url: str = ""  # where the reminder job and subscriptions put their events
    notify_provider: Literal["notify", "ses", "record-only"] = "record-only"
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    # Deployed: a Secrets Manager secret holding the key. Local cloud only: the key itself (the stand-in's).
    notify_api_key_secret_arn: str = ""
    notify_api_key: str = Field(default="", repr=False)
    notify_callback_token_secret_arn: str = ""
    notify_callback_token: str = Field(default="", repr=False)
    link_signing_key_secret_arn: str = ""
    link_signing_key: str = Field(default="", repr=False)
    public_base_url: str = "http://127.0.0.1:8080"  # where residents' links (confirm, unsubscribe) point
    ses_from_address: str = ""
    ses_configuration_set: str = ""


@cache
def settings() -> Settings:
    names = Settings.model_fields
    return Settings(**{name: os.environ[name.upper()] for name in names if name.upper() in os.environ})


@cache
def secret_value(arn: str, field: str) -> str:
    """A secret's value, fetched once per process. A JSON secret gives its `field`; a plain one, itself."""
    raw = str(aws.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]).strip()
    if raw.startswith("{"):
        return str(json.loads(raw)[field])
    return raw


def secret(arn: str, direct: str, field: str) -> str:
    """The secret from Secrets Manager when an ARN is configured, else the directly configured value (local)."""
    if arn:
        return secret_value(arn, field)
    if direct:
        return direct
    raise RuntimeError(f"Configure the {field} secret: set its ARN in the function's environment")


def reset() -> None:
    """Forget settings and secrets (tests change the environment)."""
    settings.cache_clear()
    secret_value.cache_clear()
