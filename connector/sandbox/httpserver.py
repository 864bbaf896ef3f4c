"""A lean threaded HTTP/1.1 server for the sandbox's WSGI app.

The sandbox app answers a read in about 0.2 ms; werkzeug's development server spends four
times that parsing headers through the email package and building its environ, which would
make the stand-in the bottleneck of any benchmark. This server does only what the SDKs need:
HTTP/1.1 keep-alive, Content-Length and chunked request bodies, one write per answer. It also
puts the client socket in the environ under ``werkzeug.socket``, as werkzeug does, so the
fault injector can drop a connection.
"""

from __future__ import annotations

import io
import socket
import socketserver
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

IDLE_SECONDS = 120.0
MAX_LINE = 65536
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BadRequest(Exception):
    pass


class LeanHandler(socketserver.StreamRequestHandler):
    server: LeanWSGIServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connection.settimeout(IDLE_SECONDS)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        try:
            super().finish()
        except OSError:
            pass

    def handle(self) -> None:
        try:
            while self._one_request():
                pass
        except (OSError, BadRequest, ValueError):
            return

    def _read_head(self) -> tuple[str, str, str, dict[str, str]] | None:
        line = self.rfile.readline(MAX_LINE)
        while line in (b"\r\n", b"\n"):
            line = self.rfile.readline(MAX_LINE)
        if not line:
            return None
        parts = line.decode("latin-1").rstrip("\r\n").split(" ")
        if len(parts) != 3:
            raise BadRequest(line)
        headers: dict[str, str] = {}
        while True:
            raw = self.rfile.readline(MAX_LINE)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            key = name.strip().upper().replace("-", "_")
            value = value.strip()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        return parts[0], parts[1], parts[2], headers

    def _read_body(self, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("TRANSFER_ENCODING", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline(MAX_LINE).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(MAX_LINE) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(MAX_LINE)
        length = int(headers.get("CONTENT_LENGTH") or 0)
        return self.rfile.read(length) if length else b""

    def _environ(self, method: str, target: str, version: str, headers: dict[str, str],
                 body: bytes) -> dict[str, Any]:
        path, _, query = target.partition("?")
        host, port = self.server.server_address[:2]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method, "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"), "QUERY_STRING": query,
            "REQUEST_URI": target, "RAW_URI": target, "SERVER_NAME": str(host),
            "SERVER_PORT": str(port), "SERVER_PROTOCOL": version,
            "REMOTE_ADDR": self.client_address[0], "REMOTE_PORT": str(self.client_address[1]),
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False, "werkzeug.socket": self.connection,
            "CONTENT_LENGTH": str(len(body)) if body else "",
        }
        for key, value in headers.items():
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key not in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
                environ["HTTP_" + key] = value
        return environ

    def _one_request(self) -> bool:
        head = self._read_head()
        if head is None:
            return False
        method, target, version, headers = head
        if headers.get("EXPECT", "").lower() == "100-continue":
            self.connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self._environ(method, target, version, headers, self._read_body(headers))
        answer: dict[str, Any] = {}

        def start_response(status: str, response_headers: list[tuple[str, str]],
                           exc_info: object = None) -> Callable[[bytes], None]:
            answer["status"], answer["headers"] = status, response_headers
            return lambda data: None

        result = self.server.app(environ, start_response)
        try:
            payload = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()  # type: ignore[union-attr]
        keep_alive = version == "HTTP/1.1" and headers.get("CONNECTION", "").lower() != "close"
        self._write(answer, payload, keep_alive, method == "HEAD")
        return keep_alive

    def _write(self, answer: dict[str, Any], payload: bytes, keep_alive: bool,
               head_only: bool) -> None:
        lines = [f"HTTP/1.1 {answer['status']}"]
        names = set()
        for name, value in answer["headers"]:
            names.add(name.lower())
            lines.append(f"{name}: {value}")
        if "content-length" not in names:
            lines.append(f"Content-Length: {len(payload)}")
        if not keep_alive:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.connection.sendall(head if head_only else head + payload)


class LeanWSGIServer(socketserver.ThreadingTCPServer):
    """Threaded, keep-alive; ``server_close`` also closes the connections still open."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, host: str, port: int, app: WSGIApp) -> None:
        self.app = app
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__((host, port), LeanHandler)

    @property
    def server_port(self) -> int:
        return int(self.server_address[1])

    def track(self, connection: socket.socket, opened: bool) -> None:
        with self._open_lock:
            if opened:
                self._open.add(connection)
            else:
                self._open.discard(connection)

    def server_close(self) -> None:
        super().server_close()
        with self._open_lock:
            connections, self._open = list(self._open), set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

