"""The reconciler (every 5 minutes): every open attempt is brought to a final state and followed up; and the
nightly comparison of the council's attempts and refunds with Pay's records (`nightly_handler`, below).

Webhooks are hints that may never come (Pay gives up after two days; a resident who closes the tab sends none until
expiry). Each run reads from Pay every attempt still open (unfinished at Pay, `creating` with no answer recorded,
or finished and not yet followed up, which is how a crash between "paid" and "request resumed" is completed).
An attempt queued because Pay rate-limited its create is left to the create queue's worker, and given up only
once it has been queued too long (payments.creator).
Then every request still unpaid past its service's time to pay is cancelled, and the resident told
(payments.unpaid). Then every refund still open (`submitted` at Pay, or `requesting` with its answer lost) is read
from Pay until final: Pay sends no webhook for a refund that ends in error (payments.refunds, `poll_refunds`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from payments import creator, provider
from payments.adapters.base import PaymentProvider
from payments.adapters.errors import PaymentNotFound, RefundNotFound
from payments.adapters.models import Payment, Refund
from payments.adapters.pay import SEARCH_PAGE_SIZE
from payments.logic import CREATE_IN_FLIGHT, Payments, iso, pay_date
from payments.refunds import Refunds
from payments.refunds_store import RefundRecord, RefundsStore
from payments.service import payments, refunds
from payments.settings import comparison_settings, following_settings
from payments.store import QUEUED, Attempt, PaymentsStore
from payments.unpaid import cancel_unpaid
from shared.observability import logger, metrics, observed

# An attempt is begun only with this much of the invocation left: two Pay calls at their worst (6 s each) and the
# table's writes.
SECONDS_PER_ATTEMPT = 15.0


def reconcile(
    service: Payments,
    *,
    now: datetime | None = None,
    correlation_id: str = "reconciler",
    seconds_left: Callable[[], float] = lambda: float("inf"),
    give_up_stale: Callable[[Attempt], bool] | None = None,
) -> dict[str, int]:
    """One pass: counts of attempts looked at, followed up to the end (closed), failed to reach, and unpaid
    requests cancelled. It stops while time is left; the next run carries on from the oldest."""
    now = now or datetime.now(UTC)
    before = (now - CREATE_IN_FLIGHT - timedelta(seconds=1)).isoformat(timespec="seconds")
    counts = {"looked_at": 0, "closed": 0, "failed": 0, "cancelled": 0}
    for attempt in service.store.open_attempts(created_before=before):
        if seconds_left() < SECONDS_PER_ATTEMPT:
            break
        counts["looked_at"] += 1
        if attempt.status == QUEUED:  # the create queue's; given up only once the queue has (payments.creator)
            counts["closed"] += bool(give_up_stale and give_up_stale(attempt))
            continue
        try:
            latest = service.on_attempt(attempt, correlation_id=correlation_id)
        except Exception:
            logger.exception("Reconciler: attempt not reached", extra={"reference": attempt.reference})
            counts["failed"] += 1
            continue
        if not latest.open:
            counts["closed"] += 1
    for reference in service.store.unpaid_due(before=now.isoformat(timespec="seconds")):
        if seconds_left() < SECONDS_PER_ATTEMPT:
            break
        try:
            outcome = cancel_unpaid(service, reference, correlation_id=correlation_id)
        except Exception:
            logger.exception("Reconciler: unpaid request not cancelled", extra={"reference": reference})
            counts["failed"] += 1
            continue
        counts["cancelled"] += outcome == "cancelled"
    return counts


def poll_refunds(
    service: Refunds, *, now: datetime | None = None, seconds_left: Callable[[], float] = lambda: float("inf")
) -> dict[str, int]:
    """One pass over the open refunds, oldest first: counts looked at, finished (success, error, not created) and
    failed to reach. A refund ending in `error` is logged and counted in the `RefundsFailed` metric (alarmed)."""
    now = now or datetime.now(UTC)
    counts = {"refunds_looked_at": 0, "refunds_finished": 0, "refunds_failed": 0}
    # Every open refund so far: poll leaves alone one whose answer from Pay may still be on its way.
    for record in service.store.open_refunds(
        requested_before=(now + timedelta(seconds=1)).isoformat(timespec="seconds")
    ):
        if seconds_left() < SECONDS_PER_ATTEMPT:
            break
        counts["refunds_looked_at"] += 1
        try:
            latest = service.poll(record)
        except Exception:
            logger.exception("Reconciler: refund not reached", extra={"reference": record.reference})
            counts["refunds_failed"] += 1
            continue
        counts["refunds_finished"] += not latest.open
    return counts


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    following_settings()
    seconds_left = lambda: context.get_remaining_time_in_millis() / 1000  # noqa: E731
    counts = reconcile(payments(), seconds_left=seconds_left, give_up_stale=creator.create_queue().give_up_stale)
    counts |= poll_refunds(refunds(), seconds_left=seconds_left)
    logger.info("Reconciled", extra=counts)
    return counts


# -- the nightly comparison with Pay's records ---------------------------------------------------------------------
MISSING_AT_PAY = "missing-at-pay"  # an attempt of ours with a Pay payment id that Pay does not have
MISSING_HERE = "missing-here"  # a payment at Pay that is none of our attempts
STATE_DIFFERS = "state-differs"  # ours and Pay's status (or finished code) differ
AMOUNT_DIFFERS = "amount-differs"
# The same four for refunds: a refund of ours with Pay's refund id that Pay does not have, a refund at Pay that is
# none of ours, a status (submitted, success, error) or an amount that differs.
REFUND_MISSING_AT_PAY = "refund-missing-at-pay"
REFUND_MISSING_HERE = "refund-missing-here"
REFUND_STATE_DIFFERS = "refund-state-differs"
REFUND_AMOUNT_DIFFERS = "refund-amount-differs"
MISMATCH_KINDS = (
    MISSING_AT_PAY,
    MISSING_HERE,
    STATE_DIFFERS,
    AMOUNT_DIFFERS,
    REFUND_MISSING_AT_PAY,
    REFUND_MISSING_HERE,
    REFUND_STATE_DIFFERS,
    REFUND_AMOUNT_DIFFERS,
)
# A refund is written (requested_at) before Pay is asked, so Pay's created_date is a little later: our refunds are
# looked up this much beyond the day, so that one asked for just before midnight is not missing from the next day.
REFUND_MARGIN = timedelta(hours=1)
MISMATCH_METRIC = "PaymentMismatches"  # alarmed when above zero (stacks/observability_stack.py)


@dataclass(frozen=True)
class Mismatch:
    """One difference between the council's attempts (or refunds) and Pay's: identifiers and states only (never a
    refund's reason nor who asked for it)."""

    kind: str
    reference: str
    payment_id: str
    attempt: int | None = None
    ours: str = ""  # `status[:code] amount` as we hold it
    pay: str = ""  # the same as Pay has it
    refund_id: str = ""  # Pay's, for a refund's mismatch
    refund: int | None = None  # our refund number, for a refund's mismatch

    def log_fields(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}


def compare_day(
    store: PaymentsStore, provider: PaymentProvider, day: date, *, page_size: int = SEARCH_PAGE_SIZE
) -> list[Mismatch]:
    """Every difference between our attempts created on `day` (UTC) and Pay's payments created on it (Pay's
    search, every page). A payment created across midnight on one side only is found by id (ours) or by reference
    and attempt number (Pay's) rather than reported."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    ours = {a.payment_id: a for a in store.created_on(day.isoformat()) if a.payment_id}
    mismatches: list[Mismatch] = []
    seen: set[str] = set()
    for payment in provider.search_payments(pay_date(start), pay_date(start + timedelta(days=1)), page_size=page_size):
        seen.add(payment.payment_id)
        attempt = ours.get(payment.payment_id) or _attempt_of(store, payment)
        if attempt is None:
            mismatches.append(Mismatch(MISSING_HERE, payment.reference, payment.payment_id, pay=_shown(payment)))
        else:
            mismatches += _differences(attempt, payment)
    for payment_id, attempt in ours.items():
        if payment_id in seen:
            continue
        try:
            payment = provider.get_payment(payment_id)  # created at Pay on the next day (a queued create)
        except PaymentNotFound:
            mismatches.append(
                Mismatch(MISSING_AT_PAY, attempt.reference, payment_id, attempt.attempt, ours=_held(attempt))
            )
            continue
        mismatches += _differences(attempt, payment)
    return mismatches


def _attempt_of(store: PaymentsStore, payment: Payment) -> Attempt | None:
    """Our attempt for a Pay payment (its metadata names the attempt number), if it holds this payment's id."""
    number = (payment.metadata or {}).get("attempt")
    if not isinstance(number, int) or isinstance(number, bool):
        return None
    attempt = store.get(payment.reference, number)
    return attempt if attempt is not None and attempt.payment_id == payment.payment_id else None


def _differences(attempt: Attempt, payment: Payment) -> list[Mismatch]:
    ours, pay = _held(attempt), _shown(payment)
    kinds = [STATE_DIFFERS] if ours.rsplit(" ", 1)[0] != pay.rsplit(" ", 1)[0] else []
    kinds += [AMOUNT_DIFFERS] if attempt.amount != payment.amount else []
    return [Mismatch(k, attempt.reference, payment.payment_id, attempt.attempt, ours=ours, pay=pay) for k in kinds]


def _state(status: str, code: str | None, amount: int) -> str:
    """`status[:code] amount`, as a mismatch shows each side."""
    return f"{status}:{code} {amount}" if code else f"{status} {amount}"


def _held(attempt: Attempt) -> str:
    return _state(attempt.status, attempt.code, attempt.amount)


def _shown(payment: Payment) -> str:
    return _state(payment.state.status, payment.state.code, payment.amount)


def compare_refunds_day(
    store: RefundsStore, provider: PaymentProvider, day: date, *, page_size: int = SEARCH_PAGE_SIZE
) -> list[Mismatch]:
    """Every difference between our refunds asked for on `day` (UTC) and Pay's refunds created on it (Pay's refund
    search, every page). Ours are read through the refunds-by-status index (a Query per state, no Scan). A refund of
    ours that Pay created after midnight is read from Pay by id rather than reported; a refund of ours without
    Pay's id (Pay made none, or its answer is still being looked for by the reconciler) is not compared."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    after = start + timedelta(days=1)
    last = iso(after - timedelta(seconds=1))
    nearby = store.requested_between(iso(start - REFUND_MARGIN), iso(after + REFUND_MARGIN))
    by_refund_id = {r.refund_id: r for r in nearby if r.refund_id}
    ours = {r.refund_id: r for r in by_refund_id.values() if iso(start) <= r.requested_at <= last}
    mismatches: list[Mismatch] = []
    seen: set[str] = set()
    for refund in provider.search_refunds(pay_date(start), pay_date(after), page_size=page_size):
        seen.add(refund.refund_id)
        record = by_refund_id.get(refund.refund_id)
        if record is None:
            mismatches.append(
                Mismatch(
                    REFUND_MISSING_HERE,
                    "",
                    refund.payment_id or "",
                    pay=_refund_shown(refund),
                    refund_id=refund.refund_id,
                )
            )
        else:
            mismatches += _refund_differences(record, refund)
    for refund_id, record in ours.items():
        if refund_id in seen:
            continue
        try:
            refund = provider.get_refund(record.payment_id, refund_id)  # created at Pay on the next day
        except (RefundNotFound, PaymentNotFound):
            mismatches.append(
                Mismatch(
                    REFUND_MISSING_AT_PAY,
                    record.reference,
                    record.payment_id,
                    record.attempt,
                    ours=_refund_held(record),
                    refund_id=refund_id,
                    refund=record.number,
                )
            )
            continue
        mismatches += _refund_differences(record, refund)
    return mismatches


def _refund_differences(record: RefundRecord, refund: Refund) -> list[Mismatch]:
    kinds = [REFUND_STATE_DIFFERS] if record.status != refund.status else []
    kinds += [REFUND_AMOUNT_DIFFERS] if record.amount != refund.amount else []
    return [
        Mismatch(
            kind,
            record.reference,
            record.payment_id,
            record.attempt,
            ours=_refund_held(record),
            pay=_refund_shown(refund),
            refund_id=refund.refund_id,
            refund=record.number,
        )
        for kind in kinds
    ]


def _refund_held(record: RefundRecord) -> str:
    return _state(record.status, None, record.amount)


def _refund_shown(refund: Refund) -> str:
    return _state(refund.status, None, refund.amount)


def report(mismatches: list[Mismatch], day: date) -> dict[str, int]:
    """Each mismatch as a structured log line, and their number as a metric (emitted when zero too)."""
    for mismatch in mismatches:
        message = "Refund mismatch" if mismatch.kind.startswith("refund-") else "Payment mismatch"
        logger.warning(message, extra={"day": day.isoformat(), **mismatch.log_fields()})
    counts = {kind: sum(1 for m in mismatches if m.kind == kind) for kind in MISMATCH_KINDS}
    metrics.add_metric(name=MISMATCH_METRIC, unit=MetricUnit.Count, value=len(mismatches))
    logger.info("Payments compared with Pay", extra={"day": day.isoformat(), "mismatches": len(mismatches), **counts})
    return counts


@observed
def nightly_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    """The nightly schedule: yesterday (UTC) compared with Pay's payment search, then with its refund search."""
    configured = comparison_settings()
    day = (datetime.now(UTC) - timedelta(days=1)).date()
    pay = provider.pay(configured.pay_api_key_secret_id, configured.pay_base_url)
    mismatches = compare_day(PaymentsStore(configured.payments_table), pay, day)
    mismatches += compare_refunds_day(RefundsStore(configured.refunds_table), pay, day)
    return report(mismatches, day)
