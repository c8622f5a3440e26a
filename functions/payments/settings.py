"""The payments functions' settings: their environment, read and validated once at the first invocation.

`PaymentsSettings` is what every payments function has (the attempts table, the Pay API key's secret and base URL);
each entry point adds what it alone needs. Only the base URL and the key differ between AWS and the local cloud.
"""

from __future__ import annotations

from payments.adapters.pay import PAY_BASE_URL
from shared.api import ApiSettings
from shared.publisher import EventsSettings
from shared.requests_repo import RequestsSettings
from shared.settings import FunctionSettings, cached


class PaySettings(FunctionSettings):
    """The payment attempts and GOV.UK Pay: what every payments function reads."""

    payments_table: str
    pay_base_url: str = PAY_BASE_URL  # the local cloud points it at its local Pay
    pay_api_key_secret_id: str  # the Pay API key's secret, by name (`borough/<env>/pay-api-key`)


class PaymentsSettings(PaySettings, EventsSettings, RequestsSettings):
    """Creating attempts, following them up (the web's payments function, the queue worker, the reconciler)."""

    # Where Pay sends the resident back: `<public base URL>/services/<service>/payment/<token>`.
    public_base_url: str
    # The create queue (payments.creator): a create Pay rate-limits is queued there. None: it is "try again".
    create_queue_url: str = ""


class RefundsSettings(PaySettings):
    """Refunds by staff (the staff payments function); what following refunds up needs too."""

    refunds_table: str
    # The roles that hold the `refund` permission (comma-separated), derived by the stack from the console's
    # roles.yaml: payments checks the permission itself as well as the console.
    refund_roles: str = ""

    @property
    def refund_role_names(self) -> frozenset[str]:
        return frozenset(name.strip() for name in self.refund_roles.split(",") if name.strip())


class StaffApiSettings(RefundsSettings, ApiSettings):
    """The staff refund API (`POST /api/v1/payments/{reference}/refunds`): refunds, behind CloudFront and the staff
    pool's JWT authorizer."""


class FollowingSettings(PaymentsSettings, RefundsSettings):
    """The webhook worker and the reconciler: attempts and refunds followed to their end."""


class WebhookSettings(ApiSettings):
    """The webhook receiver: checks Pay's signature and queues a hint; it never calls Pay."""

    pay_webhook_secret_id: str  # the webhook signing secret, by name (`borough/<env>/pay-webhook-secret`)
    webhook_queue_url: str


class ComparisonSettings(PaySettings):
    """The nightly comparison: the attempts and the refunds (read only) and Pay's searches."""

    refunds_table: str


settings = cached(PaymentsSettings)
comparison_settings = cached(ComparisonSettings)
refunds_settings = cached(RefundsSettings)
staff_api_settings = cached(StaffApiSettings)
following_settings = cached(FollowingSettings)
webhook_settings = cached(WebhookSettings)
