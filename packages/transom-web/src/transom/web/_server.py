"""The low-level server: a protocol factory running one handler for every request.

:class:`Server` is what ``loop.create_server`` is given; it holds the settings
every connection shares and tracks live connections so that shutdown can
close idle ones, let busy ones finish, and cancel what overruns the timeout.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Final

from transom.protocol.http1 import (
    DEFAULT_MAX_CHUNK_LINE_SIZE,
    DEFAULT_MAX_HEADER_BLOCK_SIZE,
    DEFAULT_MAX_HEADER_COUNT,
    DEFAULT_MAX_REQUEST_LINE_SIZE,
)
from transom.web._access_log import AbstractAccessLogger, AccessLogger, access_logger
from transom.web._compiler_hints import mypyc_attr
from transom.web._output_batch import OutputBatch
from transom.web._payload_stream import DEFAULT_HIGH_WATER
from transom.web._request import DEFAULT_CLIENT_MAX_SIZE
from transom.web._server_connection import ServerConnection

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from transom.web._request import Request
    from transom.web._response import StreamResponse

__all__ = [
    "DEFAULT_KEEPALIVE_TIMEOUT",
    "DEFAULT_LINGERING_TIMEOUT",
    "DEFAULT_REQUEST_HEADER_TIMEOUT",
    "SHUTDOWN_GRACE",
    "Server",
]

# Seconds an idle keep-alive connection stays open waiting for the next request.
# 75 s outlasts the idle timeouts of common clients and load balancers (AWS ALB:
# 60 s), so the client, not the server, closes first and never races a close.
DEFAULT_KEEPALIVE_TIMEOUT: Final = 75.0
# Seconds a client gets to send a whole request head, counted from its first byte
# (or from the connection's opening). A security limit against slowloris clients
# that trickle a header byte now and then to hold connections open: whatever
# their pace, each connection is reclaimed after this long. Legitimate clients
# send a few kilobytes of head in one round trip, so 30 s only ever cuts abuse
# or dead links.
DEFAULT_REQUEST_HEADER_TIMEOUT: Final = 30.0
# Seconds spent reading and discarding an unread request body after the response,
# before closing (so the close does not reset the connection and destroy the
# response before the client reads it).
DEFAULT_LINGERING_TIMEOUT: Final = 5.0
# Seconds cancelled handlers get to finish their cleanup, and closing
# connections get to flush, at the end of a shutdown.
SHUTDOWN_GRACE: Final = 1.0


@mypyc_attr(allow_interpreted_subclasses=True)
class Server:
    """Serves HTTP/1.1 connections by calling ``handler`` for each request.

    Args:
        handler: ``async (request) -> response``.
        access_log_class: Builds the access logger from ``access_log`` and
            ``access_log_format``.
        access_log: The logger for access lines; ``None`` turns the access log off.
        access_log_format: See :class:`AccessLogger`.
        keepalive_timeout: Seconds an idle connection waits for its next request.
        request_header_timeout: Seconds a client gets to send a request head.
        lingering_timeout: Seconds spent discarding an unread body before closing.
        client_max_size: Most body bytes ``request.read()``/``post()`` buffer.
        max_request_line_size: See ``transom.protocol.http1.Connection``.
        max_header_count: See ``transom.protocol.http1.Connection``.
        max_header_block_size: See ``transom.protocol.http1.Connection``.
        max_chunk_line_size: See ``transom.protocol.http1.Connection``.
        read_high_water: Buffered body bytes past which the socket is not read
            until the handler consumes them.
    """

    def __init__(
        self,
        handler: Callable[[Request], Awaitable[StreamResponse]],
        *,
        access_log_class: type[AbstractAccessLogger] = AccessLogger,
        access_log: logging.Logger | None = access_logger,
        access_log_format: str = AccessLogger.LOG_FORMAT,
        keepalive_timeout: float = DEFAULT_KEEPALIVE_TIMEOUT,
        request_header_timeout: float = DEFAULT_REQUEST_HEADER_TIMEOUT,
        lingering_timeout: float = DEFAULT_LINGERING_TIMEOUT,
        client_max_size: int = DEFAULT_CLIENT_MAX_SIZE,
        max_request_line_size: int = DEFAULT_MAX_REQUEST_LINE_SIZE,
        max_header_count: int = DEFAULT_MAX_HEADER_COUNT,
        max_header_block_size: int = DEFAULT_MAX_HEADER_BLOCK_SIZE,
        max_chunk_line_size: int = DEFAULT_MAX_CHUNK_LINE_SIZE,
        read_high_water: int = DEFAULT_HIGH_WATER,
    ) -> None:
        self.handler = handler
        self.access_logger: AbstractAccessLogger | None = (
            None if access_log is None else access_log_class(access_log, access_log_format)
        )
        self.keepalive_timeout = keepalive_timeout
        self.request_header_timeout = request_header_timeout
        self.lingering_timeout = lingering_timeout
        self.client_max_size = client_max_size
        self.limits: dict[str, Any] = {
            "max_request_line_size": max_request_line_size,
            "max_header_count": max_header_count,
            "max_header_block_size": max_header_block_size,
            "max_chunk_line_size": max_chunk_line_size,
        }
        self.read_high_water = read_high_water
        self.requests_count = 0
        self._connections: set[ServerConnection] = set()
        self._shutting_down = False
        self._all_closed: asyncio.Event | None = None
        self._output_batch: OutputBatch | None = None

    def __call__(self) -> ServerConnection:
        """Make the protocol for one accepted connection."""
        return ServerConnection(self)

    def output_batch(self, loop: asyncio.AbstractEventLoop) -> OutputBatch:
        """The batch in which this server's connections on ``loop`` hold small answers."""
        batch = self._output_batch
        if batch is None or batch.loop is not loop:
            batch = self._output_batch = OutputBatch(loop)
        return batch

    @property
    def connections(self) -> list[ServerConnection]:
        """The open connections."""
        return list(self._connections)

    def pre_shutdown(self) -> None:
        """Stop keep-alive: close idle connections now, busy ones after their response."""
        self._shutting_down = True
        for connection in list(self._connections):
            connection.close_when_idle()

    async def shutdown(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Let in-flight requests finish for ``timeout`` seconds, then cancel them.

        Every connection is closed when this returns; one whose client does
        not read what is left to send is aborted after a short grace period.
        """
        self.pre_shutdown()
        pending = {
            task
            for connection in self._connections
            if (task := connection.handler_task) is not None and not task.done()
        }
        if pending:
            _, pending = await asyncio.wait(pending, timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            # Cancelled handlers get a moment to run their finally blocks.
            await asyncio.wait(pending, timeout=SHUTDOWN_GRACE)
        if not self._connections:
            return
        self._all_closed = asyncio.Event()
        for connection in list(self._connections):
            connection.close()
        try:
            await asyncio.wait_for(self._all_closed.wait(), SHUTDOWN_GRACE)
        except TimeoutError:
            for connection in list(self._connections):
                connection.abort_transport()
        finally:
            self._all_closed = None

    def _forget(self, connection: ServerConnection) -> None:
        """A connection is gone (called from its ``connection_lost``)."""
        self._connections.discard(connection)
        if not self._connections and self._all_closed is not None:
            self._all_closed.set()
