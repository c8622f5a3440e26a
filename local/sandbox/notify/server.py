"""The process-wide Notify stand-in the local cloud mounts, and the stand-in on a loopback port of its own."""

from __future__ import annotations

from local.sandbox.loopback import RunningServer
from local.sandbox.notify.api import NotifySandbox

_default = NotifySandbox()


def default_sandbox() -> NotifySandbox:
    """The process-wide sandbox the local cloud mounts."""
    return _default


def handle(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
    """Serve one request with the process-wide sandbox (for the local cloud's HTTP server to mount)."""
    return _default.handle(method, path, headers, body)


class RunningSandbox(RunningServer):
    """A sandbox served over HTTP on a loopback port (`with serve() as running: running.url`)."""

    def __init__(self, sandbox: NotifySandbox, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(sandbox.handle, host=host, port=port)
        self.sandbox = sandbox
        sandbox.base_url = self.url


def serve(sandbox: NotifySandbox | None = None, *, host: str = "127.0.0.1", port: int = 0) -> RunningSandbox:
    """Start the stand-in on `host:port` (port 0: any free port) in a background thread."""
    return RunningSandbox(sandbox or _default, host=host, port=port)
