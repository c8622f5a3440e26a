"""The permits functions' settings: their environment, read and validated once at the first invocation."""

from __future__ import annotations

from pydantic import model_validator

from shared.api import ApiSettings
from shared.settings import FunctionSettings, cached, local_only


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


class ApplicationSettings(FunctionSettings):
    """Applying for a permit (invoked directly by the web, not routed): the Permits table and DVLA."""

    permits_table: str
    dvla_base_url: str  # the local cloud points it at its DVLA stand-in
    dvla_api_key_secret_id: str  # the DVLA key's secret, by name (`borough/<env>/dvla-api-key`)
    payments_function: str  # the web's payments function, by name: `register-order` (docs/decisions/0010)
    order_refunds_function: str  # payments' OrderRefunds function, by name: `refund-order` (permits.refund_client)
    manage_link_key_secret_id: str = ""  # the secret holding the manage links' HMAC key (permits.manage_links)
    permit_journey: str = ""  # the journey state machine's ARN (permits.journey); empty: no journey is started
    manage_link_key: str = local_only(secret=True, description="the manage links' HMAC key itself (unit tests)")

    @model_validator(mode="after")
    def _manage_key_is_configured(self) -> ApplicationSettings:
        if not (self.manage_link_key_secret_id or self.manage_link_key):
            raise ValueError("MANAGE_LINK_KEY_SECRET_ID: required (the secret holding the manage links' key)")
        return self


application_settings = cached(ApplicationSettings)


class IssueSettings(FunctionSettings):
    """Issuing paid permits and applying paid changes of vehicle (the permits queue's consumer): the Permits table;
    payments' OrderRefunds function for what was paid but cannot be issued or applied."""

    permits_table: str
    order_refunds_function: str
    permit_journey: str = ""  # the journey state machine's ARN: a paid order resumes its waiting execution


issue_settings = cached(IssueSettings)


class JourneySettings(FunctionSettings):
    """The permit journey's steps (permits.journey_handler, run by its state machine): the Permits table; payments'
    OrderRefunds function for what was paid but cannot be issued."""

    permits_table: str
    order_refunds_function: str


journey_settings = cached(JourneySettings)


class ScheduleSettings(FunctionSettings):
    """The daily job (permits.schedule_job): the Permits table's `by-due` index and the items it finds."""

    permits_table: str


schedule_settings = cached(ScheduleSettings)


class StaffSettings(FunctionSettings):
    """Permits for staff (invoked by the staff console only, not routed): the Permits table, and the console roles
    that hold `manage-permits` (from its roles.yaml at synth), so that verifying and revoking are checked here too;
    payments' OrderRefunds function for a revocation's refund."""

    permits_table: str
    manage_roles: str = ""
    # a correction of declared details reprices the permit (permits.corrections): register-order and refund-order;
    # refund-order also for a revocation's refund
    payments_function: str
    order_refunds_function: str

    @property
    def manage_role_names(self) -> frozenset[str]:
        return frozenset(name.strip() for name in self.manage_roles.split(",") if name.strip())


staff_settings = cached(StaffSettings)
