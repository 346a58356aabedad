"""A real HTTP server on 127.0.0.1, run in a thread, standing in for a publisher's API.

A test describes the publisher as a function from each received :class:`Request` to a
:class:`Reply`; the server records every request so the test can check what the client
sent (and that a cached fetch sent nothing). A reply can drop the connection part-way
through its body, as a flaky link does.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sentinelle.sources.http import HttpPolicy

# Retries without the waits of the real policy: tests of retry paths stay fast.
FAST = HttpPolicy(rate=1000.0, backoff=0.001, max_backoff=0.01)


@dataclass
class Request:
    """What the client sent; header names are lower case, repeated query keys keep the last."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str]

    @property
    def root(self) -> str:
        """``http://host:port`` as the client addressed the server."""
        return f"http://{self.headers['host']}"


@dataclass
class Reply:
    """An answer; ``cut_after`` sends that many body bytes, then drops the connection."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    cut_after: int | None = None


def json_reply(payload: Any, status: int = 200, **headers: str) -> Reply:
    """A JSON answer."""
    return Reply(
        status, json.dumps(payload).encode(), {"Content-Type": "application/json", **headers}
    )


Handler = Callable[[Request], Reply]


class _Server(ThreadingHTTPServer):
    # Closing must not wait for a client that keeps an idle keep-alive connection open.
    block_on_close = False


class Loopback:
    """Serve ``handler`` on 127.0.0.1 (a free port) for the duration of a ``with`` block.

    >>> with Loopback(lambda r: Reply(body=b"ok")) as server:  # doctest: +SKIP
    ...     httpx.get(server.url + "/x").text
    'ok'
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 5

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=dict(parse_qsl(parts.query)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    form=dict(parse_qsl(body)),
                )
                outer.requests.append(request)
                reply = outer.handler(request)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.cut_after is None:
                    self.wfile.write(reply.body)
                    return
                self.wfile.write(reply.body[: reply.cut_after])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output clean."""

        self._server = _Server(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll interval: shutdown waits for the next poll, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def __enter__(self) -> Loopback:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def hits(self, path: str) -> list[Request]:
        """The requests received for ``path``."""
        return [r for r in self.requests if r.path == path]


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
