"""The console function's settings: its environment, read and validated once at cold start (shared/settings.py),
set by the console stack (stacks/console_stack.py)."""

from __future__ import annotations

from functools import cache

from shared.addresses import DEFAULT_BASE_URL
from shared.origin_verify import OriginVerifySettings
from shared.search_keys import SearchKeySettings
from shared.settings import FunctionSettings, cached, local_only


class ConsoleSettings(OriginVerifySettings, SearchKeySettings):
    requests_table: str
    audit_table: str  # the append-only audit record (console/audit.py)
    audit_retention_days: int = 7 * 365  # then DynamoDB's TTL removes an entry (the stack: a year past the request)
    public_base_url: str  # where staff reach the console: the callback and logout URLs are under it
    staff_auth_base_url: str  # the user pool's managed login domain (https://<prefix>.auth.<region>.amazoncognito.com)
    staff_issuer: str  # https://cognito-idp.<region>.amazonaws.com/<pool id>
    staff_jwks_url: str  # the issuer's /.well-known/jwks.json
    staff_client_id: str
    staff_user_pool_id: str  # whose team groups say who a case can be assigned to (console/team_members.py)
    signing_secret_id: str = ""  # the Secrets Manager secret that signs the sign-in cookie and CSRF tokens
    signing_key: str = local_only(secret=True, description="the key itself, instead of a secret (unit tests)")
    stylesheet: str = "/assets/console.css"  # the console's fingerprinted GOV.UK + MoJ Frontend stylesheet
    script: str = "/assets/console.js"  # and its script (GOV.UK and MoJ Frontend's JavaScript, the filter toggle)
    # The payments service's staff function (refunds, the finance export), invoked by name; none: the payments panel
    # and the finance page say so.
    staff_payments_function: str = ""
    assisted_function: str = ""  # the console-only catalogue function: submissions for residents (decision 0007)
    moto_function: str = ""  # the payments service's MOTO function: fees taken by phone (payments/moto_handler.py)
    kpis_table: str  # the KPI counters (console/kpi_counters.py), read by the KPI page
    # The permits service's PermitsStaff function (console/permit_pages.py), invoked by name; none: the permit pages
    # say they are not connected.
    permits_staff_function: str = ""
    # The permits service's applications function (console/permit_apply.py: a permit applied for for a resident),
    # invoked by name; none: the apply page says permits are not connected.
    permit_applications_function: str = ""
    # The address lookup (OS Places, shared/addresses.py) for the permits search by postcode: the key's secret by
    # name; none: staff search by UPRN only.
    os_places_api_key_secret_id: str = ""
    os_places_base_url: str = DEFAULT_BASE_URL  # the local cloud points it at its stand-in
    uploads_bucket: str = ""  # the residents' scanned-clean uploads (console/attachments.py); none: no file is clean


class KpiConsumerSettings(FunctionSettings):
    """The KPI counters' consumer (console/kpi_handler.py): its table only."""

    kpis_table: str


settings = cached(ConsoleSettings)
kpi_consumer_settings = cached(KpiConsumerSettings)


@cache
def signing_key() -> bytes:
    from shared import aws

    configured = settings()
    return aws.signing_key(configured.signing_key, configured.signing_secret_id)
