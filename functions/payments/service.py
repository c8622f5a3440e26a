"""The payments service and its refunds put together from the function's settings (once per container)."""

from __future__ import annotations

from functools import cache

from payments import creator, provider
from payments.adapters.pay import DEFAULT_POLICY
from payments.logic import Payments
from payments.refunds import Refunds
from payments.refunds_store import RefundsStore
from payments.settings import refunds_settings, settings
from payments.store import PaymentsStore
from shared.publisher import publish
from shared.requests_repo import RequestsRepository


@cache
def payments() -> Payments:
    configured = settings()
    # With a create queue, a create Pay rate-limits is queued at once (payments.creator) rather than backed off.
    queue = creator.create_queue() if configured.create_queue_url else None
    return Payments(
        store=PaymentsStore(configured.payments_table),
        provider=provider.pay(
            configured.pay_api_key_secret_id, configured.pay_base_url, creator.QUEUE_ON_429 if queue else DEFAULT_POLICY
        ),
        requests=RequestsRepository(configured.requests_table),
        publish=lambda event: publish(event, configured.events_topic_arn),
        public_base_url=configured.public_base_url,
        queue_create=queue.put if queue else None,
    )


@cache
def refunds() -> Refunds:
    configured = refunds_settings()
    return Refunds(
        attempts=PaymentsStore(configured.payments_table),
        store=RefundsStore(configured.refunds_table),
        provider=provider.pay(configured.pay_api_key_secret_id, configured.pay_base_url),
        refund_roles=configured.refund_role_names,
    )


def reset() -> None:
    payments.cache_clear()
    refunds.cache_clear()
    creator.reset()
    provider.reset()
