"""Environment settings for a deployment, read from CDK context (cdk.json or `-c`), validated once."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.maps import MapSettings


class EnvironmentConfig(BaseModel):
    """What differs between a council's environments (dev, prod) and between councils."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{1,15}$")
    council_name: str = Field(min_length=3)
    council_short_name: str = Field(min_length=2)
    # The home region of every stack but the WAF's (always us-east-1, where CloudFront's web ACLs live). Explicit,
    # not the CLI's default: CDK's cross-region references need each stack's region at synth (decision 0003).
    region: str = Field(default="eu-west-2", pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]$")
    log_retention_days: int = Field(gt=0)
    request_retention_days: int = Field(gt=0)
    deletion_protection: bool
    api_throttle_rate: int = Field(gt=0)  # requests per second, steady state
    api_throttle_burst: int = Field(gt=0)  # requests, bucket size
    # The enforcement look-up's own throttle (GET and POST /api/v1/permits/check, each route its own bucket), at
    # most the stage's: officers' handhelds make a few checks a second between them; a leaked device token must not
    # read the register at the whole API's rate (docs/permits.md "Rate limits"). Unset: a tenth of the stage's.
    permits_check_throttle_rate: int | None = Field(default=None, gt=0)  # requests per second, steady state
    permits_check_throttle_burst: int | None = Field(default=None, gt=0)  # requests, bucket size
    # Where alarms go (an email subscription to the alarm topic). Required where deletion_protection is on (a real
    # deployment): there an empty address would send every alarm to nobody. `-c alarm_email=...` overrides it.
    alarm_email: str = Field(default="", pattern=r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$")
    # How residents are told (docs/notifications.md): GOV.UK Notify (a test key in dev, live in prod), Amazon SES
    # (email only), or record-only (messages are recorded, nothing is sent).
    notify_provider: Literal["notify", "ses", "record-only"] = "record-only"
    # {"<template>:<channel>": "<Notify template id>"} of the council's Notify service; empty: the stand-in's ids.
    notify_template_ids: dict[str, str] = Field(default_factory=dict)
    ses_from_address: str = ""  # a verified SES identity; needed with notify_provider "ses"
    # Where links in messages point (the council's own domain); empty: the CloudFront distribution's domain.
    public_base_url: str = Field(default="", pattern=r"^(https://[a-z0-9.-]+(:[0-9]+)?)?$")
    # The map on "where is it?" questions (docs/web.md): a raster tile service behind CloudFront, the area shown.
    # None: no map; residents give a postcode and a description (the text fallback every page has anyway).
    map: MapSettings | None = None

    @model_validator(mode="after")
    def _provider_settings(self) -> Self:
        if self.notify_provider == "ses" and "@" not in self.ses_from_address:
            raise ValueError("notify_provider 'ses' needs ses_from_address, a verified SES identity")
        return self

    @model_validator(mode="after")
    def _route_throttles_within_the_stage(self) -> Self:
        rate, burst = self.permits_check_throttle
        if rate > self.api_throttle_rate or burst > self.api_throttle_burst:
            raise ValueError(
                f"environment {self.name!r}: permits_check_throttle_rate/burst ({rate}/{burst}) must not exceed "
                f"api_throttle_rate/burst ({self.api_throttle_rate}/{self.api_throttle_burst}): a route's own "
                "throttle is there to be tighter than the stage's"
            )
        return self

    @property
    def permits_check_throttle(self) -> tuple[int, int]:
        """The look-up routes' (rate, burst): as configured, else a tenth of the stage's (at least 1)."""
        rate = self.permits_check_throttle_rate or max(1, self.api_throttle_rate // 10)
        burst = self.permits_check_throttle_burst or max(1, self.api_throttle_burst // 10)
        return rate, burst

    @model_validator(mode="after")
    def _alarms_reach_someone(self) -> Self:
        if self.deletion_protection and not self.alarm_email:
            raise ValueError(
                f"environment {self.name!r} has deletion_protection on but no alarm_email, so its alarms (failed "
                "triage, dead letters, errors) would reach nobody: set alarm_email in cdk.json's environments, or "
                "give it at synth or deploy with `-c alarm_email=<address>` (`make deploy ENV=... ALARM_EMAIL=...`)"
            )
        return self

    @property
    def prefix(self) -> str:
        """Stack name prefix, e.g. `Borough-dev`."""
        return f"Borough-{self.name}"

    @property
    def reminder_subscriptions_function(self) -> str:
        """The reminder subscriptions function's name. The notifications stack names it; the web stack, which the
        notifications stack depends on, invokes it by this name (a reference would make the two stacks a cycle)."""
        return f"{self.prefix}-ReminderSubscriptions"

    @property
    def payments_function(self) -> str:
        """The web's payments function's name: the payments stack (which depends on the web stack, for the public
        address Pay sends residents back to) names it; the web stack invokes it by this name (no cycle)."""
        return f"{self.prefix}-Payments"

    @property
    def staff_payments_function(self) -> str:
        """The staff payments function's name (refunds): the payments stack names it; the console stack, made before
        it, invokes it by this name (a reference would tie the console to the payments stack's deployment)."""
        return f"{self.prefix}-StaffPayments"

    @property
    def permits_staff_function(self) -> str:
        """The PermitsStaff function's name (permits for the staff console): the permits stack names it; the console
        stack, made before it, invokes it by this name (a reference would tie the console to the permits stack)."""
        return f"{self.prefix}-PermitsStaff"

    @property
    def renewal_links_function(self) -> str:
        """The renewal links function's name: the renewals stack names it; the notifications consumer (reminders'
        links) and the web (the renewal page) invoke it by this name (a reference would make the stacks a cycle)."""
        return f"{self.prefix}-RenewalLinks"

    @property
    def permit_applications_function(self) -> str:
        """The PermitApplications function's name: the permits stack names it; the notifications consumer, made
        before it, invokes it by this name (`contact`: the resident's email for the permit messages)."""
        return f"{self.prefix}-PermitApplications"

    @property
    def uploads_bucket_parameter(self) -> str:
        """The SSM parameter holding the uploads bucket's name. The web stack owns the bucket and writes it; the
        catalogue function (API stack, which the web stack depends on) reads it to check file answers."""
        return f"/{self.prefix}/web/uploads-bucket"


def load_config(context: dict[str, Any], environment: str, *, alarm_email: str | None = None) -> EnvironmentConfig:
    """Pick the named environment from the `environments` context and validate it; `alarm_email` (the
    `-c alarm_email=...` context), if given, replaces the environment's own."""
    environments = context.get("environments") or {}
    if environment not in environments:
        known = ", ".join(sorted(environments)) or "none"
        raise ValueError(f"Unknown environment {environment!r}: cdk.json defines {known}.")
    settings = dict(environments[environment])
    if alarm_email:
        settings["alarm_email"] = alarm_email
    return EnvironmentConfig(name=environment, **settings)
