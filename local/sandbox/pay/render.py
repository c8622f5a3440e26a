"""The local Pay's answers, shaped and named as GOV.UK Pay's OpenAPI 1.0.3 says (`PaymentWithAllLinks`,
`CreatePaymentResult`, `PaymentEvents`, `Refund`, `PaymentSearchResults`, `RefundSearchResults`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from local.sandbox.pay.ledger import STATE_CODES, SandboxPayment, SandboxRefund, iso_millis


def _link(href: str, method: str = "GET") -> dict[str, str]:
    return {"href": href, "method": method}


def state(status: str, code: str | None) -> dict[str, Any]:
    answer: dict[str, Any] = {"status": status, "finished": status in {"success", "failed", "cancelled", "error"}}
    if code:
        answer["code"], answer["message"] = code, STATE_CODES[code][1]
    return answer


def payment(p: SandboxPayment, api: str, card_pages: str, *, created: bool = False) -> dict[str, Any]:
    """One payment. `api` is the API's base URL, `card_pages` the hosted pages' base URL (next_url)."""
    self_href = f"{api}/v1/payments/{p.payment_id}"
    links: dict[str, Any] = {
        "self": _link(self_href),
        "events": _link(f"{self_href}/events"),
        "refunds": _link(f"{self_href}/refunds"),
    }
    if p.authorisation_mode == "web" and p.status in {"created", "started"} and not p.next_url_used:
        links["next_url"] = _link(f"{card_pages}/secure/{p.next_url_token}")
        links["next_url_post"] = {
            "href": f"{card_pages}/secure",
            "method": "POST",
            "type": "application/x-www-form-urlencoded",
            "params": {"chargeTokenId": p.next_url_token},
        }
    if p.authorisation_mode == "moto_api" and p.status == "created" and p.one_time_token and created:
        links["auth_url_post"] = {
            "href": f"{api}/v1/auth",
            "method": "POST",
            "type": "application/json",
            "params": {"one_time_token": p.one_time_token},
        }
    if not p.finished:
        links["cancel"] = _link(f"{self_href}/cancel", "POST")
    if p.status == "capturable":
        links["capture"] = _link(f"{self_href}/capture", "POST")
    answer: dict[str, Any] = {
        "payment_id": p.payment_id,
        "amount": p.amount,
        "reference": p.reference,
        "description": p.description,
        "language": p.language,
        "state": state(p.status, p.code),
        "created_date": iso_millis(p.created_at),
        "payment_provider": "sandbox",
        "delayed_capture": p.delayed_capture,
        "moto": p.moto or p.authorisation_mode == "moto_api",
        "authorisation_mode": p.authorisation_mode,
        "refund_summary": {
            "status": p.refund_status,
            "amount_available": p.amount_available,
            "amount_submitted": p.amount_submitted,
        },
        "settlement_summary": settlement(p),
        "_links": links,
    }
    if p.return_url is not None:
        answer["return_url"] = p.return_url
    if p.email is not None:
        answer["email"] = p.email
    if p.metadata:
        answer["metadata"] = dict(p.metadata)
    if p.card is not None:
        answer["card_details"] = {
            "card_brand": p.card.brand,
            "card_type": p.card.card_type,
            "first_digits_card_number": p.card.first_digits,
            "last_digits_card_number": p.card.last_digits,
            "expiry_date": p.card.expiry_date,
            "cardholder_name": p.card.cardholder_name,
        }
        answer["provider_id"] = f"sandbox-{p.payment_id[:10]}"
        answer["authorisation_summary"] = {"three_d_secure": {"required": p.three_ds_required}}
    if created:
        answer.pop("card_details", None)
    return answer


def settlement(p: SandboxPayment) -> dict[str, str]:
    summary: dict[str, str] = {}
    if p.capture_submit_time is not None:
        summary["capture_submit_time"] = iso_millis(p.capture_submit_time)
    if p.captured_at is not None:
        summary["captured_date"] = p.captured_at.date().isoformat()
    return summary


def events(p: SandboxPayment, api: str) -> dict[str, Any]:
    self_href = f"{api}/v1/payments/{p.payment_id}"
    return {
        "payment_id": p.payment_id,
        "events": [
            {
                "payment_id": p.payment_id,
                "state": state(status, code),
                "updated": iso_millis(at),
                "_links": {"payment_url": _link(self_href)},
            }
            for at, status, code in p.events
        ],
        "_links": {"self": _link(f"{self_href}/events")},
    }


def refund(r: SandboxRefund, api: str) -> dict[str, Any]:
    payment_href = f"{api}/v1/payments/{r.payment_id}"
    return {
        "refund_id": r.refund_id,
        "payment_id": r.payment_id,
        "amount": r.amount,
        "status": r.status,
        "created_date": iso_millis(r.created_at),
        "settlement_summary": {},
        "_links": {"self": _link(f"{payment_href}/refunds/{r.refund_id}"), "payment": _link(payment_href)},
    }


def refunds_of(p: SandboxPayment, api: str) -> dict[str, Any]:
    payment_href = f"{api}/v1/payments/{p.payment_id}"
    return {
        "payment_id": p.payment_id,
        "_embedded": {"refunds": [refund(r, api) for r in p.refunds]},
        "_links": {"self": _link(f"{payment_href}/refunds"), "payment": _link(payment_href)},
    }


def search_page(
    results: list[dict[str, Any]], total: int, page: int, size: int, url: str, query: dict[str, str]
) -> dict[str, Any]:
    """One page of search results with Pay's navigation links (`next_page` only when there is one)."""
    last = max(1, -(-total // size))

    def at(number: int) -> dict[str, str]:
        return _link(f"{url}?{urlencode({**query, 'page': str(number), 'display_size': str(size)})}")

    links: dict[str, Any] = {"self": at(page), "first_page": at(1), "last_page": at(last)}
    if page > 1:
        links["prev_page"] = at(page - 1)
    if page < last:
        links["next_page"] = at(page + 1)
    return {"total": total, "count": len(results), "page": page, "results": results, "_links": links}
