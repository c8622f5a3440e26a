"""What can go wrong when we ask GOV.UK Pay for something, as one typed exception per documented outcome.

Pay answers a failed request with `{"field"?, "header"?, "code", "description"}` (`P0102`, "Invalid attribute
value: amount. ..."). `error_for(status, body)` turns that answer into the exception below that says what the
caller should do next:

- fix the request (`PayValidationError`), or a person must act (`PayAuthenticationFailed`, `PayAccountError`:
  `alarm` is set);
- it is not there (`PaymentNotFound`, `RefundNotFound`, `SearchPageNotFound`);
- it cannot be done in this state (`PaymentNotCancellable`, `PaymentNotRefundable`), or the refund was asked with a
  stale `refund_amount_available` (`RefundAmountMismatch`: read the payment again and ask again);
- MOTO authorisation: the one-time token is unknown or used (`MotoTokenInvalid`, `MotoTokenUsed`), or the card was
  refused (`CardRejected`);
- try again later: `RateLimited` (429 P0900) and `ProviderUnavailable` (5xx, P0x98, P0999, timeouts, a body that
  is not Pay's JSON). Both have `retryable`; `ProviderUnavailable.maybe_applied` says whether Pay may have acted on
  a request we did not see the answer to (a timeout of a create), so the caller looks before it asks again.

Messages carry Pay's code and description (developer text, never a card number, key or personal data).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class PayError(Exception):
    """Pay refused or could not answer a request."""

    retryable = False
    alarm = False  # a person must fix something (the key, the account) before any request can work

    def __init__(
        self, code: str, description: str = "", *, status: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(f"{code}: {description}" if description else code)
        self.code = code
        self.description = description
        self.status = status
        self.field = field


class PayValidationError(PayError):
    """The request was wrong: a missing or invalid attribute (`field` names it), bad JSON, bad search parameters."""


class PayAuthenticationFailed(PayError):
    """401: the API key is missing, wrong or revoked."""

    alarm = True


class PayAccountError(PayError):
    """The Pay account cannot take this request (MOTO or the payment type not enabled, PSP not configured,
    payment or refund creation disabled): only GOV.UK Pay support or the account's admin can fix it."""

    alarm = True


class PaymentNotFound(PayError):
    """No payment has this id (for this key's account)."""


class RefundNotFound(PayError):
    """No refund has this id, or no payment has this payment id."""


class SearchPageNotFound(PayError):
    """The search page asked for does not exist."""


class PaymentNotCancellable(PayError):
    """The payment is finished (or otherwise has no `cancel` link): it cannot be cancelled."""


class PaymentNotRefundable(PayError):
    """The payment cannot be refunded (not successful, fully refunded, or refunds unavailable)."""


class RefundAmountMismatch(PayError):
    """412 P0604: `refund_amount_available` was not the payment's amount available: read it again, ask again."""


class IdempotencyKeyReused(PayError):
    """The `Idempotency-Key` was already used for a different payment."""


class MotoTokenInvalid(PayError):
    """No payment matches the MOTO `one_time_token`."""


class MotoTokenUsed(PayError):
    """The MOTO `one_time_token` has been used already: create a new payment."""


class CardRejected(PayError):
    """MOTO authorisation: the card was refused (declined, not a valid card number, a card type not accepted)."""


class RateLimited(PayError):
    """429 P0900: more than Pay's 15 POSTs a second for this key. No `Retry-After`; retry after about a second."""

    retryable = True


class ProviderUnavailable(PayError):
    """Pay could not answer now (5xx, a timeout, a refused connection, a body that is not Pay's)."""

    retryable = True

    def __init__(
        self,
        code: str,
        description: str = "",
        *,
        status: int | None = None,
        field: str | None = None,
        maybe_applied: bool = False,
    ) -> None:
        super().__init__(code, description, status=status, field=field)
        self.maybe_applied = maybe_applied


# Pay's documented error codes (API reference, "GOV.UK Pay API error codes") -> the exception for each.
_BY_CODE: dict[str, type[PayError]] = {
    **dict.fromkeys(("P0101", "P0102", "P0104", "P0197", "P0401", "P0601", "P0602"), PayValidationError),
    **dict.fromkeys(("P0697", "P1101"), PayValidationError),
    "P0920": PayValidationError,  # Pay's firewall refused the request (content type, http return_url, characters)
    **dict.fromkeys(("P0195", "P0196", "P0199", "P0940", "P0941"), PayAccountError),
    **dict.fromkeys(("P0200", "P0300", "P0500", "P0600", "P0800", "P1000"), PaymentNotFound),
    "P0700": RefundNotFound,
    **dict.fromkeys(("P0402", "P1100"), SearchPageNotFound),
    **dict.fromkeys(("P0501", "P0502"), PaymentNotCancellable),
    "P0603": PaymentNotRefundable,
    "P0604": RefundAmountMismatch,
    "P0191": IdempotencyKeyReused,
    "P1211": MotoTokenInvalid,
    "P1212": MotoTokenUsed,
    "P0900": RateLimited,
    "P0010": CardRejected,
    # "something is wrong with GOV.UK Pay" (P0x98), a PSP error on MOTO authorisation, Pay down
    **{f"P{family:02d}98": ProviderUnavailable for family in (1, 2, 3, 4, 5, 6, 7, 8, 10)},
    **dict.fromkeys(("P0050", "P0999"), ProviderUnavailable),
}
_BY_STATUS: dict[int, type[PayError]] = {
    400: PayValidationError,
    401: PayAuthenticationFailed,
    402: CardRejected,
    404: PaymentNotFound,
    409: PaymentNotCancellable,
    412: RefundAmountMismatch,
    422: PayValidationError,
    429: RateLimited,
}
_DESCRIPTION_MAX = 300  # Pay's descriptions are short; a longer body is not Pay's


def error_for(status: int, body: Mapping[str, Any] | None, *, maybe_applied: bool = False) -> PayError:
    """The exception for Pay's answer `status` with its JSON error `body` (None when it sent none)."""
    body = body or {}
    code = str(body.get("code") or f"HTTP{status}")
    description = str(body.get("description") or "")[:_DESCRIPTION_MAX]
    field = body.get("field") or body.get("header")
    if status == 401:  # Pay sends no body with a 401; whatever code there is, the key is the problem
        return PayAuthenticationFailed(code, description or "API key missing or invalid", status=status)
    text_field = str(field) if field else None
    kind = ProviderUnavailable if status >= 500 else _BY_CODE.get(code) or _BY_STATUS.get(status, PayError)
    if kind is ProviderUnavailable:
        return ProviderUnavailable(code, description, status=status, field=text_field, maybe_applied=maybe_applied)
    return kind(code, description, status=status, field=text_field)
