"""The local Pay over HTTP on a loopback port, in a background thread (`with serve(sandbox) as running: ...`)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local.sandbox.pay.api import MOUNT, PaySandbox


class RunningPay:
    """A `PaySandbox` served on `url` (`http://127.0.0.1:<port>`); its API base URL is `url + "/sandbox/pay"`."""

    def __init__(self, sandbox: PaySandbox, server: ThreadingHTTPServer) -> None:
        self.sandbox, self.server = sandbox, server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self.api_url = self.url + MOUNT
        if not sandbox.base_url:
            sandbox.base_url = self.api_url
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningPay:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def serve(sandbox: PaySandbox, *, host: str = "127.0.0.1", port: int = 0) -> RunningPay:
    """Start serving `sandbox` on `host:port` (0: any free port)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, payload = sandbox.handle(self.command, self.path, dict(self.headers.items()), body)
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client gave up waiting (a timeout test): nothing to answer

        do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 - http.server's naming

        def log_message(self, format: str, *args: Any) -> None:
            return

    return RunningPay(sandbox, ThreadingHTTPServer((host, port), Handler))
