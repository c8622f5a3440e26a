"""`python -m local.sandbox.notify [--port 8025]`: the Notify stand-in on a loopback port of its own."""

from __future__ import annotations

import threading

from local.sandbox.notify.api import OUTBOX, SANDBOX_API_KEY
from local.sandbox.notify.server import serve


def main() -> None:  # pragma: no cover - a development convenience
    import argparse

    parser = argparse.ArgumentParser(description="Run the GOV.UK Notify stand-in on a loopback port")
    parser.add_argument("--port", type=int, default=8025)
    args = parser.parse_args()
    running = serve(port=args.port)
    print(f"Notify stand-in at {running.url} (API key {SANDBOX_API_KEY}); outbox at {running.url}{OUTBOX}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        running.close()


if __name__ == "__main__":  # pragma: no cover
    main()
