"""Running the web page: uvicorn on loopback, with the limits uvicorn lacks.

uvicorn has no deadline for a request's headers, so a client that sends half a request line and
waits holds a connection forever (400 such clients hold 400 sockets). `HeaderDeadlineH11` is
uvicorn's own h11 protocol with one addition: while the server waits for a request's headers
(h11's IDLE state: a new connection, or a keep-alive connection part-way into its next request),
the connection is closed after `HEADER_TIMEOUT_S`. The body has its own deadline in
`trillion.web.app.Guard`; idle keep-alive connections close after uvicorn's 5 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from trillion.web.app import LOOPBACK, create_app

HEADER_TIMEOUT_S = 10.0  # a request's headers must arrive within this of the connection opening
MAX_CONNECTIONS = 2048  # beyond: uvicorn answers 503 itself (a flood never grows tasks unbounded)
MAX_HEADER_BYTES = 16 * 1024  # h11's limit on an incomplete request head


class HeaderDeadlineH11(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request headers do not arrive in time."""

    header_timeout_s = HEADER_TIMEOUT_S
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:  # still (or again) waiting for a request's headers
            if self._header_timer is None:
                self._arm()
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._expire)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expire(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def make_server(host: str = "127.0.0.1", port: int = 8765, allow_hosts: tuple[str, ...] = ()) -> Any:
    """A configured `uvicorn.Server` (not started). The Host header must name `host`, a loopback
    name or one of `allow_hosts`, and carry `port`."""
    import uvicorn

    allowed = LOOPBACK | {host.lower().strip("[]")} | {h.lower() for h in allow_hosts}
    config = uvicorn.Config(
        create_app(frozenset(allowed), port),
        host=host,
        port=port,
        http=HeaderDeadlineH11,
        ws="none",
        lifespan="off",
        log_level="warning",
        limit_concurrency=MAX_CONNECTIONS,
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        server_header=False,
    )
    return uvicorn.Server(config)


def serve(
    host: str, port: int, allow_hosts: tuple[str, ...] = (), say: Callable[[str], None] = print
) -> None:
    """Run until Ctrl+C, after printing where the page is and how to stop it."""
    shown = f"[{host}]" if ":" in host else host
    say(f"trillion ui: open http://{shown}:{port}/ in a browser (Ctrl+C stops the server)")
    if host not in LOOPBACK:
        say(f"warning: bound to {host}, reachable beyond this machine; requests must name it as Host")
    make_server(host, port, allow_hosts).run()
