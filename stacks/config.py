"""Environment settings for a deployment, read from CDK context (cdk.json or `-c`), validated once."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EnvironmentConfig(BaseModel):
    """What differs between a council's environments (dev, prod) and between councils."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{1,15}$")
    council_name: str = Field(min_length=3)
    council_short_name: str = Field(min_length=2)
    log_retention_days: int = Field(gt=0)
    request_retention_days: int = Field(gt=0)
    deletion_protection: bool
    api_throttle_rate: int = Field(gt=0)  # requests per second, steady state
    api_throttle_burst: int = Field(gt=0)  # requests, bucket size
    alarm_email: str = ""

    @property
    def prefix(self) -> str:
        """Stack name prefix, e.g. `Borough-dev`."""
        return f"Borough-{self.name}"


def load_config(context: dict[str, Any], environment: str) -> EnvironmentConfig:
    """Pick the named environment from the `environments` context and validate it."""
    environments = context.get("environments") or {}
    if environment not in environments:
        known = ", ".join(sorted(environments)) or "none"
        raise ValueError(f"Unknown environment {environment!r}: cdk.json defines {known}.")
    return EnvironmentConfig(name=environment, **environments[environment])
