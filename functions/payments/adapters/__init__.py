"""Card payment providers behind one seam (`PaymentProvider`): GOV.UK Pay (`GovUkPayAdapter`)."""

from __future__ import annotations

from payments.adapters.base import MotoCard, NewPayment, PaymentProvider
from payments.adapters.errors import PayError, ProviderUnavailable, RateLimited, RefundAmountMismatch

__all__ = [
    "MotoCard",
    "NewPayment",
    "PayError",
    "PaymentProvider",
    "ProviderUnavailable",
    "RateLimited",
    "RefundAmountMismatch",
]
