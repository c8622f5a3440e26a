"""The local Pay over HTTP on a loopback port, in a background thread (`with serve(sandbox) as running: ...`)."""

from __future__ import annotations

from local.sandbox.loopback import RunningServer
from local.sandbox.pay.api import MOUNT, PaySandbox


class RunningPay(RunningServer):
    """A `PaySandbox` served on `url` (`http://127.0.0.1:<port>`); its API base URL is `url + "/sandbox/pay"`."""

    def __init__(self, sandbox: PaySandbox, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(sandbox.handle, host=host, port=port)
        self.sandbox = sandbox
        self.api_url = self.url + MOUNT
        if not sandbox.base_url:
            sandbox.base_url = self.api_url


def serve(sandbox: PaySandbox, *, host: str = "127.0.0.1", port: int = 0) -> RunningPay:
    """Start serving `sandbox` on `host:port` (0: any free port)."""
    return RunningPay(sandbox, host=host, port=port)
