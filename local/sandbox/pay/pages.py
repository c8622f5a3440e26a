"""The local Pay's hosted card pages: what a resident sees after following `next_url`. Plainly a stand-in.

`GET /secure/{token}` (the `next_url`, usable once: it sets the page's cookie and moves the payment to `started`)
-> `GET/POST /card_details/{id}` (test cards only) -> for 4000002500003155 `GET/POST /3ds/{id}` (a stand-in
3-D Secure step) -> `GET/POST /confirm/{id}` (`submitted` until Confirm) -> a 303 to the payment's `return_url`.
A rejected card (declined, expired, wrong CVC) ends `failed` P0010, a provider error `error` P0050, each on a page
with a link back to the service; "Cancel payment" ends `failed` P0030 and goes back to the service. Pages need the
cookie set by `next_url`; without it they say the session has ended (as Pay's do).
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Protocol
from urllib.parse import parse_qs

from local.sandbox.loopback import Reply
from local.sandbox.pay import cards
from local.sandbox.pay.ledger import CardUsed, Ledger, SandboxPayment


class PaySandbox(Protocol):
    """What the card pages need of the sandbox (`local.sandbox.pay.api.PaySandbox`, which imports this module)."""

    base_url: str
    ledger: Ledger
    clock: Callable[[], datetime]

    def move(self, payment: SandboxPayment, status: str, code: str | None = None) -> None: ...


COOKIE = "pay_sandbox_session"
_STYLE = (
    "body{font-family:Arial,sans-serif;margin:0;color:#0b0c0c}header{background:#0b0c0c;color:#fff;padding:12px 30px}"
    ".banner{background:#ffdd00;padding:8px 30px;font-weight:bold}main{max-width:640px;padding:20px 30px}"
    "label{display:block;font-weight:bold;margin-top:15px}input{font-size:19px;padding:5px;border:2px solid #0b0c0c}"
    ".error{color:#d4351c;font-weight:bold}.summary{border:5px solid #d4351c;padding:15px;margin-bottom:15px}"
    "button{background:#00703c;color:#fff;font-size:19px;padding:8px 12px;border:0;margin-top:20px;cursor:pointer}"
    "button.link{background:none;color:#1d70b8;text-decoration:underline;padding:0}"
)


def page(title: str, content: str, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    text = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} - Local Pay</title>'
        f"<style>{_STYLE}</style></head><body><header>Local payment stand-in</header>"
        '<div class="banner">This is a local stand-in for GOV.UK Pay. No real payment is taken: use a test card.</div>'
        f"<main><h1>{html.escape(title)}</h1>{content}</main></body></html>"
    )
    return status, {"Content-Type": "text/html; charset=utf-8", **(headers or {})}, text.encode("utf-8")


def _back_link(payment: SandboxPayment) -> str:
    url = payment.return_url or ""
    return f'<p><a href="{html.escape(url, quote=True)}">Go back to the service</a></p>' if url else ""


def _pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


def _redirect(location: str, headers: dict[str, str] | None = None) -> Reply:
    return 303, {"Location": location, **(headers or {})}, b""


def _cookie(headers: dict[str, str]) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value
    return None


def handle(sandbox: PaySandbox, method: str, route: str, headers: dict[str, str], body: bytes) -> Reply:
    form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()} if method == "POST" else {}
    parts = route.strip("/").split("/")
    if parts[0] == "secure" and method == "GET" and len(parts) == 2:
        return _start(sandbox, parts[1])
    if parts[0] == "secure" and method == "POST" and len(parts) == 1:  # next_url_post
        return _start(sandbox, form.get("chargeTokenId", ""))
    if len(parts) not in (2, 3) or parts[0] not in ("card_details", "3ds", "confirm"):
        return page("Page not found", "<p>There is no such page on the local Pay.</p>", 404)
    payment = sandbox.ledger.find(parts[1])
    session = _cookie(headers)
    if payment is None or not session or not payment.session or not secrets.compare_digest(session, payment.session):
        return page("Your payment session has ended", "<p>Go back to the service to try again.</p>", 400)
    cancel = len(parts) == 3 and parts[0] == "card_details" and parts[2] == "cancel" and method == "POST"
    return _journey(sandbox, payment, "cancel" if cancel else parts[0], method, form)


def _journey(sandbox: PaySandbox, payment: SandboxPayment, step: str, method: str, form: dict[str, str]) -> Reply:
    """One step of a started payment's pages, for the resident whose cookie it is."""
    if payment.finished or payment.status == "capturable":
        return _finished(payment)
    if step == "cancel":
        sandbox.move(payment, "failed", "P0030")
        return _redirect(payment.return_url or "/")
    if payment.status == "submitted" and step != "confirm":  # authorised: only Confirm (or Cancel) is left
        return _redirect(f"{sandbox.base_url}/confirm/{payment.payment_id}")
    if step == "card_details":
        return _card_form(sandbox, payment) if method == "GET" else _card_submitted(sandbox, payment, form)
    if step == "3ds" and payment.three_ds_required and payment.status == "started":
        return _three_ds(sandbox, payment, method, form)
    if step == "confirm" and payment.status == "submitted":
        return _confirm(sandbox, payment, method)
    return _redirect(f"{sandbox.base_url}/card_details/{payment.payment_id}")


def _start(sandbox: PaySandbox, token: str) -> Reply:
    payment = sandbox.ledger.by_next_url_token(token) if token else None
    if payment is None:
        return page("Page not found", "<p>This payment link is not known to the local Pay.</p>", 404)
    if payment.next_url_used:
        return page("Your payment session has ended", "<p>This payment link has already been used.</p>", 400)
    payment.next_url_used = True
    if payment.finished:
        return _finished(payment)
    payment.session = secrets.token_urlsafe(24)
    sandbox.move(payment, "started")
    cookie = f"{COOKIE}={payment.session}; Path=/; HttpOnly; SameSite=Lax"
    return _redirect(f"{sandbox.base_url}/card_details/{payment.payment_id}", {"Set-Cookie": cookie})


def _finished(payment: SandboxPayment) -> Reply:
    titles = {
        "success": "Your payment was successful",
        "capturable": "Your payment was successful",
        "cancelled": "Your payment has been cancelled",
        "error": "We're experiencing technical problems",
    }
    messages = {"P0010": "Your payment has been declined", "P0020": "Your payment session has expired"}
    title = messages.get(payment.code or "", titles.get(payment.status, "Your payment has been cancelled"))
    detail = "" if payment.status in {"success", "capturable"} else "No money has been taken from your account."
    return page(title, f"<p>{detail}</p>{_back_link(payment)}")


def _card_form(
    sandbox: PaySandbox,
    payment: SandboxPayment,
    errors: dict[str, str] | None = None,
    kept: dict[str, str] | None = None,
) -> Reply:
    errors, kept = errors or {}, kept or {}
    summary = ""
    if errors:
        items = "".join(f'<li><a href="#{k}">{html.escape(v)}</a></li>' for k, v in errors.items())
        summary = f'<div class="summary" role="alert"><h2>There is a problem</h2><ul>{items}</ul></div>'

    def field(name: str, label: str, *, width: int = 20, autocomplete: str = "off", keep: bool = False) -> str:
        value = html.escape(kept.get(name, ""), quote=True) if keep else ""
        error = f'<p class="error">{html.escape(errors[name])}</p>' if name in errors else ""
        return (
            f'<label for="{name}">{label}</label>{error}<input id="{name}" name="{name}" size="{width}" '
            f'autocomplete="{autocomplete}" value="{value}">'
        )

    here = f"{sandbox.base_url}/card_details/{payment.payment_id}"
    cards_list = "".join(f"<li>{c.number}: {html.escape(c.what)}</li>" for c in cards.TEST_CARDS)
    content = (
        f"{summary}<p>{html.escape(payment.description)}: <strong>{_pounds(payment.amount)}</strong></p>"
        f'<form method="post" action="{here}" novalidate>'
        f"{field('card_number', 'Card number', autocomplete='cc-number')}"
        f"{field('expiry_month', 'Expiry month (MM)', width=2, keep=True)}"
        f"{field('expiry_year', 'Expiry year (YY)', width=2, keep=True)}"
        f"{field('cardholder_name', 'Name on card', keep=True, autocomplete='cc-name')}"
        f"{field('cvc', 'Card security code', width=4, autocomplete='cc-csc')}"
        '<button type="submit">Continue</button></form>'
        f'<form method="post" action="{sandbox.base_url}/card_details/{payment.payment_id}/cancel">'
        '<button class="link" type="submit">Cancel payment</button></form>'
        f"<details><summary>Test cards</summary><ul>{cards_list}</ul></details>"
    )
    return page("Enter card details", content)


def _check_card(form: dict[str, str], now: datetime) -> tuple[cards.SandboxCard | None, dict[str, str]]:
    errors: dict[str, str] = {}
    number = "".join(form.get("card_number", "").split())
    card = cards.find_card(number)
    if not cards.luhn_valid(number):
        errors["card_number"] = "Enter a valid card number"
    elif card is None:
        errors["card_number"] = "Enter one of the test card numbers: the local Pay takes no real cards"
    elif card.outcome == "not_accepted":
        errors["card_number"] = f"{card.brand} is not accepted"
    month, year = form.get("expiry_month", ""), form.get("expiry_year", "")
    if not (month.isdigit() and 1 <= int(month) <= 12 and year.isdigit() and len(year) == 2):
        errors["expiry_month"] = "Enter a valid expiry date"
    elif (2000 + int(year), int(month)) < (now.year, now.month):
        errors["expiry_month"] = "The card has expired: enter a future expiry date"
    if not form.get("cardholder_name", "").strip():
        errors["cardholder_name"] = "Enter the name as it appears on the card"
    cvc = form.get("cvc", "")
    if not (cvc.isdigit() and len(cvc) in (3, 4)):
        errors["cvc"] = "Enter a valid card security code"
    return card, errors


def _card_submitted(sandbox: PaySandbox, payment: SandboxPayment, form: dict[str, str]) -> Reply:
    card, errors = _check_card(form, sandbox.clock())
    if errors or card is None:
        return _card_form(sandbox, payment, errors, form)
    expiry = f"{int(form['expiry_month']):02d}/{form['expiry_year']}"
    payment.card = CardUsed(
        card.brand, card.card_type, card.number[:6], card.number[-4:], expiry, form["cardholder_name"].strip()
    )
    if card.outcome in cards.REJECTED:
        sandbox.move(payment, "failed", "P0010")
        return _finished(payment)
    if card.outcome == "provider_error":
        sandbox.move(payment, "error", "P0050")
        return _finished(payment)
    if card.outcome == "3ds":
        payment.three_ds_required = True
        return _redirect(f"{sandbox.base_url}/3ds/{payment.payment_id}")
    sandbox.move(payment, "submitted")
    return _redirect(f"{sandbox.base_url}/confirm/{payment.payment_id}")


def _three_ds(sandbox: PaySandbox, payment: SandboxPayment, method: str, form: dict[str, str]) -> Reply:
    if method == "GET":
        content = (
            "<p>Your bank asks you to confirm it is you (a stand-in for the bank's 3-D Secure page).</p>"
            f'<form method="post" action="{sandbox.base_url}/3ds/{payment.payment_id}">'
            '<button name="result" value="authenticated" type="submit">Complete authentication</button> '
            '<button name="result" value="failed" type="submit">Fail authentication</button></form>'
        )
        return page("Confirm your payment with your bank", content)
    if form.get("result") == "authenticated":
        sandbox.move(payment, "submitted")
        return _redirect(f"{sandbox.base_url}/confirm/{payment.payment_id}")
    sandbox.move(payment, "failed", "P0010")
    return _finished(payment)


def _confirm(sandbox: PaySandbox, payment: SandboxPayment, method: str) -> Reply:
    if method == "POST":
        sandbox.move(payment, "capturable" if payment.delayed_capture else "success")
        return _redirect(payment.return_url or "/")
    last = payment.card.last_digits if payment.card else "????"
    content = (
        f"<p>{html.escape(payment.description)}</p><p>Total amount: <strong>{_pounds(payment.amount)}</strong></p>"
        f"<p>Card number: •••• •••• •••• {html.escape(last)}</p>"
        f'<form method="post" action="{sandbox.base_url}/confirm/{payment.payment_id}">'
        '<button type="submit">Confirm payment</button></form>'
        f'<form method="post" action="{sandbox.base_url}/card_details/{payment.payment_id}/cancel">'
        '<button class="link" type="submit">Cancel payment</button></form>'
    )
    return page("Confirm your payment", content)
