"""The notifications service's settings: one model per function, read from its environment once per container.

Each entry point loads its own model when it first runs (`load_for`), so a missing or malformed variable fails the
container's first invocation with the variable's name (`shared.settings.SettingsError`), before any work is done:

- `ConsumerSettings`, the SQS consumer (`handler.handler`): its tables, `PUBLIC_BASE_URL`, the link key and
  the provider's settings (the Notify key's secret, or SES's address);
- `ReceiptsSettings`, Notify's delivery receipts (`callback.handler`): the table and the callback token;
- `SubscriptionsSettings`, reminder subscriptions (`subscriptions.handler`): table, queue and link key;
- `DailyRemindersSettings`, the daily job (`subscriptions.scheduled_handler`): table and queue.

Modules the functions share read `settings()`: the model the running entry point loaded (or, outside one, the
base model with everything optional). `*_SECRET_ID` names a Secrets Manager secret (its name or ARN); the value
itself (`NOTIFY_API_KEY`, `NOTIFY_CALLBACK_TOKEN`, `LINK_SIGNING_KEY`) is a local-only switch, as is a base URL
that is not https (the stand-in's, a loopback address): both are refused outside the local cloud.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache, wraps
from typing import Annotated, Any, Literal, TypeVar

from pydantic import field_validator, model_validator
from pydantic_settings import NoDecode

from shared import aws
from shared.settings import FunctionSettings, load, local_only

NOTIFY_API = "https://api.notifications.service.gov.uk"

ModelT = TypeVar("ModelT", bound="NotificationsSettings")


class NotificationsSettings(FunctionSettings):
    """Everything a notifications function may read (names are the fields in upper case); all optional here."""

    notifications_table: str = ""
    requests_table: str = ""
    subscriptions_table: str = ""
    return_links_function: str = ""  # the web's: save-and-return emails get the address and link from it
    renewal_links_function: str = ""  # the renewals': renewal reminders get their signed link from it
    permit_applications_function: str = ""  # the permits': permit messages get the email and the permit from it
    notifications_queue_url: str = ""  # where the reminder job and subscriptions put their events
    notify_provider: Literal["notify", "ses", "record-only"] = "record-only"
    notify_base_url: str = NOTIFY_API
    # JSON {"<template>:<channel>": "<Notify template id>"}, parsed by the model so a mistake names the variable
    notify_template_ids: Annotated[dict[str, str], NoDecode] = {}
    notify_api_key_secret_id: str = ""
    notify_api_key: str = local_only(secret=True, description="the key itself (the stand-in's)")
    notify_callback_token_secret_id: str = ""
    notify_callback_token: str = local_only(secret=True, description="the receipts' bearer token itself")
    link_signing_key_secret_id: str = ""
    link_signing_key: str = local_only(secret=True, description="the reminder links' HMAC key itself")
    public_base_url: str = ""  # where residents' links (confirm, unsubscribe, return) point
    ses_from_address: str = ""
    ses_configuration_set: str = ""

    @field_validator("notify_template_ids", mode="before")
    @classmethod
    def _json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _plain_http_only_in_the_local_cloud(self) -> NotificationsSettings:
        if self.borough_local_cloud:
            return self
        for name in ("notify_base_url", "public_base_url"):
            value = getattr(self, name)
            if value and not value.startswith("https://"):
                raise ValueError(f"{name.upper()}: must be https:// outside the local cloud")
        return self

    def _require_secret(self, name: str) -> None:
        if not getattr(self, f"{name}_secret_id") and not getattr(self, name):
            raise ValueError(f"{name.upper()}_SECRET_ID: required")


class ConsumerSettings(NotificationsSettings):
    notifications_table: str
    requests_table: str
    subscriptions_table: str
    public_base_url: str

    @model_validator(mode="after")
    def _provider_is_configured(self) -> ConsumerSettings:
        self._require_secret("link_signing_key")
        if self.notify_provider == "notify":
            self._require_secret("notify_api_key")
        if self.notify_provider == "ses" and "@" not in self.ses_from_address:
            raise ValueError("SES_FROM_ADDRESS: required (an address of a verified SES identity) with ses")
        return self


class ReceiptsSettings(NotificationsSettings):
    notifications_table: str

    @model_validator(mode="after")
    def _token_is_configured(self) -> ReceiptsSettings:
        self._require_secret("notify_callback_token")
        return self


class DailyRemindersSettings(NotificationsSettings):
    subscriptions_table: str
    notifications_queue_url: str


class SubscriptionsSettings(DailyRemindersSettings):
    @model_validator(mode="after")
    def _link_key_is_configured(self) -> SubscriptionsSettings:
        self._require_secret("link_signing_key")
        return self


class _Loaded:
    current: NotificationsSettings | None = None


def load_for(model: type[ModelT]) -> ModelT:
    """The entry point's settings, read and validated once per container (`SettingsError` names what is wrong)."""
    if not isinstance(_Loaded.current, model):
        _Loaded.current = load(model)
    return _Loaded.current


def entry_point(model: type[NotificationsSettings], handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """`handler`, loading `model` first: a container with a wrong environment fails its first invocation at once."""

    @wraps(handler)
    def run(event: Any, context: Any) -> Any:
        load_for(model)
        return handler(event, context)

    return run


def settings() -> NotificationsSettings:
    """The running entry point's settings (outside one: the base model, everything optional)."""
    if _Loaded.current is None:
        _Loaded.current = load(NotificationsSettings)
    return _Loaded.current


@cache
def secret_value(secret_id: str, field: str) -> str:
    """A secret's value, fetched once per process. A JSON secret gives its `field`; a plain one, itself."""
    raw = str(aws.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]).strip()
    if raw.startswith("{"):
        return str(json.loads(raw)[field])
    return raw


def reread_secret(secret_id: str, field: str) -> str:
    """The secret's value read again now (it may have been rotated since this container read it)."""
    secret_value.cache_clear()
    return secret_value(secret_id, field)


def secret(secret_id: str, direct: str, field: str) -> str:
    """The secret from Secrets Manager when its id is configured, else the value given directly (local cloud)."""
    if secret_id:
        return secret_value(secret_id, field)
    if direct:
        return direct
    raise RuntimeError(f"Configure the {field} secret: set its id in the function's environment")


def reset() -> None:
    """Forget settings and secrets (tests change the environment)."""
    _Loaded.current = None
    secret_value.cache_clear()
