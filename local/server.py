"""The HTTP server on 127.0.0.1: each request goes to the handler it is given (the local cloud gives it
`LocalCloud.handle`, the same path tests use in-process)."""

from __future__ import annotations

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from local.gateway import MAX_BODY_BYTES, Headers, Response

DISCARD_LIMIT = 10 * MAX_BODY_BYTES  # beyond this, drop the connection rather than read the body

# (method, path with query, headers, body, client address) -> (status, headers, body)
RequestHandler = Callable[[str, str, Headers, bytes, str], Response]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    respond: RequestHandler


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "BoroughLocalCloud"
    # Headers and body go out in separate writes: with Nagle's algorithm on, each keep-alive response would wait
    # ~40 ms for the client's delayed ACK.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            self._discard(length)  # read it, so the client sees the 413 instead of a broken pipe
            body = json.dumps({"message": "Request Entity Too Large"}).encode()
            self._reply(413, [("content-type", "application/json"), ("content-length", str(len(body)))], body)
            return
        raw = self.rfile.read(length) if length else b""
        status, headers, body = self.server.respond(
            self.command, self.path, list(self.headers.items()), raw, self.client_address[0]
        )
        self._reply(status, headers, body)

    def _discard(self, length: int) -> None:
        if length > DISCARD_LIMIT:
            self.close_connection = True
            return
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 16))
            if not chunk:
                break
            length -= len(chunk)

    def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("date", "server"):
                self.send_header(name, value)
        if not any(name.lower() == "content-length" for name, _ in headers):
            self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        return  # the functions' own logs say what happened; one line per request would drown them


def bind(respond: RequestHandler, host: str, port: int) -> _Server:
    server = _Server((host, port), _Handler, bind_and_activate=True)
    server.respond = respond
    return server
