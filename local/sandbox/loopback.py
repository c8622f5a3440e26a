"""A stand-in served over HTTP on a loopback port, in a background thread: the one small server the sandboxes
(Notify, Pay) share. `with RunningServer(handle) as running: running.url` where `handle(method, path, headers,
body)` answers `(status, headers, body)`."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

Reply = tuple[int, dict[str, str], bytes]  # (status, headers, body)
Handle = Callable[[str, str, dict[str, str], bytes], Reply]  # (method, path, headers, body) -> Reply


def json_reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    """`body` as a JSON answer, with any further `headers`."""
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body).encode("utf-8")


def request_handler(handle: Handle) -> type[BaseHTTPRequestHandler]:
    """An `http.server` request handler that passes every request to `handle`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, payload = handle(self.command, self.path, dict(self.headers.items()), body)
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

    return Handler


class RunningServer:
    """`handle` served on `url` (`http://127.0.0.1:<port>`; port 0: any free port) until `close()`."""

    def __init__(self, handle: Handle, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = ThreadingHTTPServer((host, port), request_handler(handle))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
