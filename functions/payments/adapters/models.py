"""Typed results of GOV.UK Pay's API: the fields Borough uses, under Pay's own names (others are ignored).

Amounts are integers in pence. Dates stay Pay's ISO 8601 strings (`2026-01-21T17:15:00.000Z`, or `YYYY-MM-DD` for
`captured_date`): they are stored and compared, never computed with here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PaymentStatus = Literal["created", "started", "submitted", "capturable", "success", "failed", "cancelled", "error"]
RefundStatus = Literal["submitted", "success", "error"]
UNFINISHED: frozenset[str] = frozenset({"created", "started", "submitted", "capturable"})


class _PayModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class Link(_PayModel):
    href: str
    method: str = "GET"


class PostLink(Link):
    type: str | None = None
    params: dict[str, str] | None = None


class PaymentState(_PayModel):
    status: PaymentStatus
    finished: bool
    code: str | None = None  # P0010 rejected, P0020 expired, P0030 cancelled by the user, P0040 by us, P0050 PSP
    message: str | None = None


class PaymentLinks(_PayModel):
    self_: Link | None = Field(default=None, alias="self")
    next_url: Link | None = None  # the hosted card page: single use, for the resident's browser only
    next_url_post: PostLink | None = None
    auth_url_post: PostLink | None = None  # MOTO (`moto_api`): POST card details here with `one_time_token`
    events: Link | None = None
    refunds: Link | None = None
    cancel: PostLink | None = None  # present only while the payment can be cancelled
    capture: PostLink | None = None


class SettlementSummary(_PayModel):
    capture_submit_time: str | None = None  # when Pay asked the PSP to take the money
    captured_date: str | None = None  # the day the PSP took it (`success` is not yet captured)
    settled_date: str | None = None


class RefundSummary(_PayModel):
    status: str  # pending, available, unavailable, full, error
    amount_available: int
    amount_submitted: int = 0


class CardDetails(_PayModel):
    card_brand: str | None = None
    card_type: str | None = None
    last_digits_card_number: str | None = None
    first_digits_card_number: str | None = None
    expiry_date: str | None = None


class Payment(_PayModel):
    payment_id: str
    amount: int
    reference: str
    description: str
    state: PaymentState
    created_date: str
    return_url: str | None = None  # absent for MOTO (`moto_api`) payments
    language: str = "en"
    email: str | None = None
    metadata: dict[str, str | int | float | bool | None] | None = None
    moto: bool = False
    authorisation_mode: str = "web"
    delayed_capture: bool = False
    payment_provider: str | None = None
    provider_id: str | None = None
    settlement_summary: SettlementSummary = SettlementSummary()
    refund_summary: RefundSummary | None = None
    card_details: CardDetails | None = None
    links: PaymentLinks = Field(default=PaymentLinks(), alias="_links")

    @property
    def next_url(self) -> str | None:
        return self.links.next_url.href if self.links.next_url else None

    @property
    def one_time_token(self) -> str | None:
        """The MOTO authorisation token (`_links.auth_url_post.params.one_time_token`)."""
        post = self.links.auth_url_post
        return (post.params or {}).get("one_time_token") if post else None


class CreatedPayment(Payment):
    """`POST /v1/payments`'s answer: the payment, with `_links.next_url` (web) or `_links.auth_url_post` (MOTO)."""


class PaymentEvent(_PayModel):
    payment_id: str
    state: PaymentState
    updated: str


class PaymentEvents(_PayModel):
    payment_id: str
    events: list[PaymentEvent]


class Refund(_PayModel):
    refund_id: str
    amount: int
    status: RefundStatus
    created_date: str
    payment_id: str | None = None
    settlement_summary: SettlementSummary = SettlementSummary()


class _Page(_PayModel):
    total: int
    count: int
    page: int
    links: dict[str, Link | None] = Field(default_factory=dict, alias="_links")

    @property
    def has_next(self) -> bool:
        return self.links.get("next_page") is not None


class PaymentPage(_Page):
    results: list[Payment]


class RefundPage(_Page):
    results: list[Refund]
