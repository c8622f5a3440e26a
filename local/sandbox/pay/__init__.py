"""A faithful local GOV.UK Pay: Pay's public REST API (OpenAPI 1.0.3, the endpoints Borough uses), hosted card
pages that take Pay's test cards, signed webhooks on Pay's retry schedule, the 15 POST/s rate limit, and expiry of
unpaid payments after 90 minutes. Nothing here is deployed.

Modules: `api` (the REST API and `PaySandbox`), `validation` (request checks and Pay's error codes), `ledger`
(payments, refunds, states, clock and ids), `render` (Pay-shaped JSON), `pages` (the card pages), `cards` (test
cards), `webhooks` (signing and delivery), `server` (serving over HTTP on a loopback port); `python -m
local.sandbox.pay` runs it on its own and prints its URL, an API key and the test cards.

Mounting it in the local cloud (the integrator's part):

- Route every request whose path starts with `MOUNT` (`/sandbox/pay/`) to `sandbox.handle(method, path, headers,
  body)` -> `(status, headers, body)`; `path` keeps its query string, `headers` is a dict (any case), `body` bytes.
  It also answers paths without the prefix (`/v1/payments`), as served on a port of its own by `serve()`.
- Build one `PaySandbox(base_url=<local address> + MOUNT)` per run: `base_url` is what its links (`_links`,
  `next_url`, `auth_url_post`) point at, so it must be the address a browser and the functions reach.
- Give the payments function `PAY_BASE_URL=<local address>/sandbox/pay`, and put `sandbox.new_api_key()` (an
  `api_test_...` key) in the local Secrets Manager under the Pay key's secret name; print it and
  `cards.cards_text()` at start-up.
- Webhooks: `sandbox.webhooks.subscribe(<local address>/<the webhook route>)` returns the signing secret to put in
  the webhook secret's local value. Deliveries run on `threading.Timer`s (pass `time_scale` to shrink the waits).
- Call `sandbox.advance()` now and then (every few seconds) so expiry, capture and refund settlement send their
  webhooks even when nobody asks the API (every API call and page view applies them first anyway).
- Stand-in requests must be served without the local cloud's lock (a function calls Pay while it holds it).
"""

from __future__ import annotations

from local.sandbox.pay.api import MOUNT, PaySandbox, new_api_key
from local.sandbox.pay.cards import TEST_CARDS, cards_text
from local.sandbox.pay.server import RunningPay, serve

__all__ = ["MOUNT", "TEST_CARDS", "PaySandbox", "RunningPay", "cards_text", "new_api_key", "serve"]
