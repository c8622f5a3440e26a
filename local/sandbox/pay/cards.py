"""GOV.UK Pay's documented test cards (Stripe test accounts' table) and what each does in the local Pay.

Only these numbers are accepted: anything else is refused on the card page ("Enter one of the test card numbers")
so that nobody types a real card into a stand-in. Any future expiry date, any name and any 3-digit CVC (4 for
American Express) go with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["success", "3ds", "declined", "expired", "wrong_cvc", "provider_error", "not_accepted"]


@dataclass(frozen=True)
class SandboxCard:
    number: str
    brand: str
    card_type: str  # credit, debit
    outcome: Outcome
    what: str  # as the docs put it, for the card page and `make run`'s list


TEST_CARDS: tuple[SandboxCard, ...] = (
    SandboxCard("4000008260000000", "Visa", "credit", "success", "Successful payment (UK)"),
    SandboxCard("4000058260000005", "Visa", "debit", "success", "Successful payment (UK debit)"),
    SandboxCard("4242424242424242", "Visa", "credit", "success", "Successful payment"),
    SandboxCard("4000056655665556", "Visa", "debit", "success", "Successful payment (debit)"),
    SandboxCard("5105105105105100", "Mastercard", "debit", "success", "Successful payment (Mastercard)"),
    SandboxCard("371449635398431", "American Express", "credit", "success", "Successful payment (Amex)"),
    SandboxCard("4000002500003155", "Visa", "credit", "3ds", "Asks for 3-D Secure, then succeeds if authenticated"),
    SandboxCard("4000000000000002", "Visa", "credit", "declined", "Card declined"),
    SandboxCard("4000000000000069", "Visa", "credit", "expired", "Card expired"),
    SandboxCard("4000000000000127", "Visa", "credit", "wrong_cvc", "Invalid CVC code"),
    SandboxCard("4000000000000119", "Visa", "credit", "provider_error", "General error (payment provider)"),
    SandboxCard("6759649826438453", "Maestro", "debit", "not_accepted", "Card type not accepted"),
)
_BY_NUMBER = {card.number: card for card in TEST_CARDS}
REJECTED: frozenset[Outcome] = frozenset({"declined", "expired", "wrong_cvc"})  # -> failed, P0010


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, digit in enumerate(int(d) for d in reversed(number)):
        doubled = digit * 2 if index % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def find_card(number: str) -> SandboxCard | None:
    return _BY_NUMBER.get("".join(number.split()).replace("-", ""))


def cards_text() -> str:
    """The test cards, one a line, for `make run` to print."""
    return "\n".join(f"  {card.number:<17} {card.what}" for card in TEST_CARDS)
