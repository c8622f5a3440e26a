"""The payment provider seam: what the payments service asks of a card payment provider (GOV.UK Pay).

The service builds a `NewPayment` (amount computed server-side, in pence), asks the provider to create it, sends
the resident to `next_url`, and afterwards reads the payment's state from the provider (never from the browser or a
webhook body alone). Refunds always carry the `refund_amount_available` the caller last read, so that two staff
refunding at once, or a retried refund, cannot refund more than was paid (the provider answers 412).

Every method raises one of `payments.adapters.errors` on failure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from payments.adapters.models import CreatedPayment, Payment, PaymentEvents, Refund

AuthorisationMode = Literal["web", "moto_api"]
Language = Literal["en", "cy"]
MetadataValue = str | int | float | bool


@dataclass(frozen=True)
class NewPayment:
    """A card payment to create. `return_url` is required for `web` and must be absent for `moto_api`."""

    amount: int  # pence
    reference: str  # ours, not unique at the provider (our submission reference)
    description: str  # shown to the resident on the payment page
    return_url: str | None = None
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict)  # e.g. ledger code, attempt id
    language: Language = "en"
    authorisation_mode: AuthorisationMode = "web"
    email: str | None = None  # prefills the payment page's email field; personal data, never logged

    def __repr__(self) -> str:  # no email
        return f"NewPayment(amount={self.amount}, reference={self.reference!r}, mode={self.authorisation_mode!r})"


@dataclass(frozen=True)
class MotoCard:
    """Card details keyed by staff for a MOTO payment: sent once, never stored, logged or printed."""

    card_number: str
    expiry_date: str  # MM/YY
    cvc: str
    cardholder_name: str

    def __repr__(self) -> str:
        return "MotoCard(…)"


class PaymentProvider(Protocol):
    """A card payment provider."""

    name: str

    def create_payment(self, payment: NewPayment) -> CreatedPayment: ...

    def get_payment(self, payment_id: str) -> Payment: ...

    def cancel_payment(self, payment_id: str) -> None:
        """Cancel an unfinished payment (its state becomes `cancelled`, code P0040)."""
        ...

    def payment_events(self, payment_id: str) -> PaymentEvents: ...

    def authorise_moto(self, one_time_token: str, card: MotoCard) -> None:
        """Authorise a `moto_api` payment with the card details staff keyed; read the payment for the outcome."""
        ...

    def create_refund(self, payment_id: str, amount: int, *, refund_amount_available: int) -> Refund: ...

    def get_refund(self, payment_id: str, refund_id: str) -> Refund: ...

    def search_payments(
        self, from_date: str, to_date: str, *, page_size: int = ..., reference: str | None = None
    ) -> Iterator[Payment]:
        """Every payment created in [from_date, to_date) (`YYYY-MM-DDThh:mm:ssZ`), page after page; only those with
        this `reference` if one is given (how to look for a payment whose create timed out)."""
        ...

    def search_refunds(self, from_date: str, to_date: str, *, page_size: int = ...) -> Iterator[Refund]:
        """Every refund created in [from_date, to_date), page after page."""
        ...
