"""The HTTP layer: a threaded server that hands each request to a router and writes the reply.

Every request gets its own thread (a long poll holds one open) and its own connection: the
server speaks HTTP/1.0, so a connection closes after its answer and no idle keep-alive
connection keeps the server from stopping. A reply with ``drop`` closes the connection without
an answer, which is how injected timeouts and disconnects look to a client.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .api import Reply

__all__ = ["HttpServer", "Router"]

logger = logging.getLogger(__name__)

# (HTTP method, path, query string, Content-Type, body) -> Reply
Router = Callable[[str, str, str, "str | None", bytes], Reply]

_MAX_BODY = 64 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "FakeTelegram/1.0"
    sys_version = ""
    timeout = 60  # seconds a client may take to send its request
    server: HttpServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve()

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            self.send_error(413)
            return
        parts = urlsplit(self.path)
        reply = self.server.router(
            self.command, parts.path, parts.query, self.headers.get("Content-Type"), body
        )
        if reply.drop:
            self.close_connection = True
            return
        try:
            self.send_response(reply.status)
            self.send_header(
                "Content-Type",
                reply.content_type + ("; charset=utf-8" if "json" in reply.content_type else ""),
            )
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("client left before its answer to %s", parts.path)

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                total += size
                if total > _MAX_BODY:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        logger.debug("%s " + format, self.address_string(), *args)


class HttpServer(ThreadingHTTPServer):
    """A threaded HTTP server that can stop at once, even with requests in progress."""

    daemon_threads = True  # never keep a Ctrl-C'd CLI alive; stop() joins them anyway
    block_on_close = True

    def __init__(self, address: tuple[str, int], router: Router) -> None:
        self.router = router
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        """Track the connection, then serve it in a thread."""
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:  # type: ignore[no-untyped-def]
        """Forget the connection and close it."""
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def interrupt_reads(self) -> None:
        """Unblock handlers still waiting for a request's bytes, so stopping never hangs."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RD)
            except OSError:
                pass  # already closed by its handler

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        """Log a failed request quietly instead of printing a traceback to stderr."""
        logger.debug("request from %s failed", client_address, exc_info=True)
