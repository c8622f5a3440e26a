"""Run the local Pay on its own: `python -m local.sandbox.pay [--port 8030] [--webhook URL]`.

Prints the API's base URL, an API key in full (a key of this stand-in only, shaped like Pay's test keys), a `curl`
to create a payment, the webhook signing secret if a webhook URL is given, and the test cards; then serves until
interrupted, applying expiry, capture and refund settlement every few seconds.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TextIO

from local.sandbox.pay import PaySandbox, cards_text, serve

ADVANCE_EVERY_SECONDS = 5.0
_NEVER = threading.Event()  # waited on between rounds: only an interrupt stops the loop


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    until: Callable[[float], bool] = _NEVER.wait,
) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.sandbox.pay", description="A local GOV.UK Pay stand-in")
    parser.add_argument("--port", type=int, default=8030, help="loopback port (0: any free port)")
    parser.add_argument("--webhook", help="a URL to send signed webhooks to")
    options = parser.parse_args(argv)
    out = out or sys.stdout
    sandbox = PaySandbox()
    key = sandbox.new_api_key()
    with serve(sandbox, port=options.port) as running:
        print(f"Local GOV.UK Pay    {running.api_url}", file=out)
        print(f"API key             {key}", file=out)
        if options.webhook:
            subscription = sandbox.webhooks.subscribe(options.webhook)
            print(f"Webhook signing     {subscription.signing_secret}  (to {options.webhook})", file=out)
        body = '{"amount": 1450, "reference": "TEST-1", "description": "A test", "return_url": "http://127.0.0.1/"}'
        print(
            f"Try                 curl -s {running.api_url}/v1/payments -H 'Authorization: Bearer {key}' "
            f"-H 'Content-Type: application/json' -d '{body}'",
            file=out,
        )
        print(f"Test cards\n{cards_text()}", file=out, flush=True)
        try:
            while not until(ADVANCE_EVERY_SECONDS):
                sandbox.advance()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
