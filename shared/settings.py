"""Settings as models: each function reads its environment once, at cold start, into one validated model.

A function's settings class derives from `FunctionSettings`; its fields are its environment variables (the field
name in upper case). A missing or malformed variable fails the cold start with the variable's name, instead of a
`KeyError` on the first request that happens to read it.

Local-only switches (a key given directly instead of a secret's id, a loopback base URL) are fields declared
with `local_only()`. They are accepted only where the local cloud runs the function: it sets
`BOROUGH_LOCAL_CLOUD=1` in every function's environment, which no synthesized template declares (an infra test
checks). In a deployed environment a local-only variable that is set fails the cold start.

Names say what they hold: `*_SECRET_ID` is a Secrets Manager secret's name or ARN (GetSecretValue takes either),
`*_TABLE` a table's name, `*_TOPIC_ARN` a topic's ARN, `*_FUNCTION` a function's name.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any, TypeVar

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_CLOUD_VARIABLE = "BOROUGH_LOCAL_CLOUD"
_LOCAL_ONLY = "local_only"

SettingsT = TypeVar("SettingsT", bound="FunctionSettings")


def local_only(default: Any = "", *, secret: bool = False, description: str = "") -> Any:
    """A field the local cloud (or a unit test) may set and a deployed function must not."""
    return Field(default, repr=not secret, description=description, json_schema_extra={_LOCAL_ONLY: True})


class SettingsError(RuntimeError):
    """The function's environment does not fit its settings model: the message names every variable at fault."""


class FunctionSettings(BaseSettings):
    """What every Borough function's environment has (set by `stacks.constructs.function.BoroughFunction`)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    borough_environment: str = "local"  # the environment's name in cdk.json: dev, prod
    borough_council_name: str = "Your council"
    borough_local_cloud: bool = False  # set only by the local cloud (and unit tests): allows local-only switches
    # The function's timeout, from the template's: its SDK clients' timeouts and retries are derived from it.
    borough_function_timeout_seconds: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _local_only_switches_need_the_local_cloud(self) -> FunctionSettings:
        if self.borough_local_cloud:
            return self
        refused = [
            name.upper()
            for name, field in type(self).model_fields.items()
            if isinstance(field.json_schema_extra, dict)
            and field.json_schema_extra.get(_LOCAL_ONLY)
            and getattr(self, name) != field.default
        ]
        if refused:
            raise ValueError(
                f"{', '.join(refused)}: local-only, refused in a deployed environment "
                f"(only the local cloud, which sets {LOCAL_CLOUD_VARIABLE}=1, may set them)"
            )
        return self


def load(model: type[SettingsT], **overrides: Any) -> SettingsT:
    """The model read from the environment, or `SettingsError` naming each variable that is missing or wrong."""
    try:
        return model(**overrides)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            name = ".".join(str(part) for part in item["loc"]).upper() or "settings"
            problems.append(f"{name}: {item['msg']}")
        raise SettingsError(f"{model.__name__} from the environment: " + "; ".join(problems)) from None


_loaders: list[Callable[[], Any]] = []


def cached(model: type[SettingsT]) -> Callable[[], SettingsT]:
    """A function's loader of its model: read and validated on the first call (its handler's first invocation,
    the cold start), the same object after that."""

    @cache
    def settings() -> SettingsT:
        return load(model)

    _loaders.append(settings)
    return settings


def reset() -> None:
    """Forget every loaded model, so the next call reads the environment again (tests change it)."""
    for loader in _loaders:
        loader.cache_clear()  # type: ignore[attr-defined]


@lru_cache(maxsize=64)
def _load_for(model: type[FunctionSettings], values: tuple[str | None, ...]) -> FunctionSettings:
    return load(model)  # `values` only keys the cache: the same variables give the same model


def current(model: type[SettingsT]) -> SettingsT:
    """The model for the environment as it is now, validated once for each set of its variables' values.

    For shared modules whose caller passed no settings of its own: about a microsecond where `load` takes most of
    a millisecond, and still right when the environment changes (tests, the local cloud's functions in turn)."""
    values = tuple(os.environ.get(name.upper()) for name in model.model_fields)
    return _load_for(model, values)  # type: ignore[return-value]
