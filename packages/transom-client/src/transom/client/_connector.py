"""``BaseConnector``: where sessions get connections (pooled, limited, reused).

It owns the pool bookkeeping and hands out :class:`PooledConnection`
objects; subclasses say how a new connection is opened (``TCPConnector``:
TCP and TLS, ``UnixConnector``: a Unix socket).
"""

from __future__ import annotations

import asyncio
import functools
import warnings
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict

from transom.client._connection_key import ConnectionKey
from transom.client._deadlines import earliest, run_until
from transom.client._errors import (
    ClientConnectionError,
    ConnectionTimeoutError,
)
from transom.client._loop import running_loop
from transom.client._output_batch import OutputBatch
from transom.client._pool import (
    DEFAULT_KEEPALIVE_TIMEOUT,
    DEFAULT_LIMIT,
    DEFAULT_LIMIT_PER_HOST,
    Outcome,
    Pool,
)
from transom.client._pooled_connection import PooledConnection
from transom.client._timeouts import ClientTimeout

if TYPE_CHECKING:
    from transom.client._tracing import Trace

# Loop turns close() gives aborted transports to report their end.
_CLOSE_TURNS = 8

__all__ = ["BaseConnector"]

_Waiter = asyncio.Future[PooledConnection | None]
_NO_TIMEOUTS = ClientTimeout()


class BaseConnector:
    """A pool of connections shared by any number of sessions.

    Args:
        keepalive_timeout: Seconds an idle connection is kept; ``None`` keeps
            it until the server closes it.
        force_close: Close every connection after its response (no reuse).
        limit: Most connections open at once; 0 for no limit.
        limit_per_host: Most connections open at once per host (per pool
            key); 0 for no limit.

    Raises:
        RuntimeError: No event loop is running.
    """

    def __init__(
        self,
        *,
        keepalive_timeout: float | None = DEFAULT_KEEPALIVE_TIMEOUT,
        force_close: bool = False,
        limit: int = DEFAULT_LIMIT,
        limit_per_host: int = DEFAULT_LIMIT_PER_HOST,
    ) -> None:
        self._loop = running_loop(type(self).__name__)
        self._output_batch = OutputBatch(self._loop)
        if force_close:
            keepalive_timeout = 0
        self._force_close = force_close
        self._pool: Pool[ConnectionKey, PooledConnection, _Waiter] = Pool(
            limit=limit, limit_per_host=limit_per_host, keepalive_timeout=keepalive_timeout
        )
        self._in_use: set[PooledConnection] = set()
        self._closed = False
        self._cleanup_handle: asyncio.TimerHandle | None = None

    # -- public state ----------------------------------------------------------

    @property
    def output_batch(self) -> OutputBatch:
        """Where this connector's connections hold small requests until the loop pass ends."""
        return self._output_batch

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    @property
    def force_close(self) -> bool:
        """Whether connections are closed after each response."""
        return self._force_close

    @property
    def limit(self) -> int:
        """Most connections open at once (0: no limit)."""
        return self._pool.limit

    @property
    def limit_per_host(self) -> int:
        """Most connections open at once per host (0: no limit)."""
        return self._pool.limit_per_host

    def __repr__(self) -> str:
        pool = self._pool
        hosts = []
        for key in pool.known_keys():
            idle = pool.idle_count(key)
            active = pool.open_count(key) - idle
            scheme = "https" if key.is_ssl else "http"
            detail = f"active={active} idle={idle}"
            waiting = pool.waiters_for(key)
            if waiting:
                detail += f" waiting={waiting}"
            hosts.append(f"{scheme}://{key.host}:{key.port} {detail}")
        state = "closed" if self._closed else f"open={pool.total_open}/{pool.limit or 'inf'}"
        inner = "; ".join(hosts)
        return f"<{type(self).__name__} {state} waiters={pool.waiter_count}" + (
            f" [{inner}]>" if inner else ">"
        )

    def __del__(self, _warn: Any = warnings.warn) -> None:
        if getattr(self, "_closed", True):
            return
        if self._pool.total_open or self._in_use:
            _warn(f"Unclosed connector {self!r}", ResourceWarning, source=self, stacklevel=1)

    async def __aenter__(self) -> BaseConnector:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- getting a connection --------------------------------------------------

    def _take_idle(self, key: ConnectionKey) -> PooledConnection | None:
        """A live idle connection for ``key`` without waiting, if the pool has one.

        This is the hot path of a request on a warm pool: no await, no timer.
        """
        pool = self._pool
        # Bounded: each pass removes one idle connection from the pool.
        while not self._closed:
            connection, expired = pool.take_idle(key, self._loop.time())
            if expired:
                self._close_all(expired)
            if connection is None:
                return None
            if connection.closed:
                self._apply(pool.discard(key))
                continue
            connection.checked_out = True
            self._in_use.add(connection)
            return connection
        return None

    async def connect(
        self,
        key: ConnectionKey,
        traces: Sequence[Trace] = (),
        timeouts: ClientTimeout = _NO_TIMEOUTS,
        *,
        deadline: float | None = None,
        server_hostname: str | None = None,
        proxy_headers: CIMultiDict[str] | None = None,
        fresh: bool = False,
    ) -> PooledConnection:
        """A connection for ``key``: an idle one, a new one, or the next one freed.

        Args:
            key: The pool key of the request.
            traces: The request's tracing hooks.
            timeouts: ``connect`` bounds the whole call, ``sock_connect`` each
                socket attempt.
            deadline: The request's total deadline (loop time).
            server_hostname: Overrides the TLS server name (SNI and check).
            proxy_headers: Extra headers for a CONNECT to ``key.proxy``.
            fresh: Skip idle connections (a retry after a stale one failed).

        Raises:
            ConnectionTimeoutError: ``connect``/``sock_connect`` expired.
            ClientConnectorError: The connection could not be opened.
            ClientConnectionError: The connector is closed.
        """
        if self._closed:
            raise ClientConnectionError("Connector is closed")
        connection = None if fresh else self._take_idle(key)
        if connection is not None:
            for trace in traces:
                await trace.send_connection_reuseconn()
            return connection
        connect_by = earliest(
            None if timeouts.connect is None else self._loop.time() + timeouts.connect, deadline
        )
        return await run_until(
            self._connect_slow(key, traces, timeouts, server_hostname, proxy_headers, fresh),
            connect_by,
            functools.partial(
                ConnectionTimeoutError, f"Connection timeout to host {key.host}:{key.port}"
            ),
        )

    async def _connect_slow(
        self,
        key: ConnectionKey,
        traces: Sequence[Trace],
        timeouts: ClientTimeout,
        server_hostname: str | None,
        proxy_headers: CIMultiDict[str] | None,
        fresh: bool,
    ) -> PooledConnection:
        pool = self._pool
        # Bounded: each pass returns, or drops an idle connection from the
        # pool and tries again.
        while True:
            grant, expired = pool.acquire(key, self._loop.time())
            self._close_all(expired)
            if grant is None:
                candidate = await self._wait_for_slot(key, traces)
            else:
                self._close_all(grant.evicted)
                candidate = grant.connection
            if candidate is None:
                return await self._open(key, traces, timeouts, server_hostname, proxy_headers)
            if candidate.closed or fresh:
                # A retry after a stale connection distrusts its idle
                # siblings too: the server likely timed them all out.
                candidate.close()
                self._apply(pool.discard(key))
                continue
            candidate.checked_out = True
            self._in_use.add(candidate)
            for trace in traces:
                await trace.send_connection_reuseconn()
            return candidate

    async def _wait_for_slot(
        self, key: ConnectionKey, traces: Sequence[Trace]
    ) -> PooledConnection | None:
        waiter: _Waiter = self._loop.create_future()
        self._pool.add_waiter(key, waiter)
        for trace in traces:
            await trace.send_connection_queued_start()
        try:
            result = await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # The handoff happened but this request gave up: pass it on.
                handed = waiter.result()
                if handed is not None:
                    self._apply(
                        self._pool.release(key, handed, reusable=True, now=self._loop.time())
                    )
                else:
                    self._apply(self._pool.discard(key))
            else:
                self._pool.remove_waiter(key, waiter)
            raise
        for trace in traces:
            await trace.send_connection_queued_end()
        return result

    async def _open(
        self,
        key: ConnectionKey,
        traces: Sequence[Trace],
        timeouts: ClientTimeout,
        server_hostname: str | None,
        proxy_headers: CIMultiDict[str] | None,
    ) -> PooledConnection:
        """Open a connection in a slot already reserved for ``key``."""
        for trace in traces:
            await trace.send_connection_create_start()
        try:
            connection = await self._create_connection(
                key, traces, timeouts, server_hostname, proxy_headers
            )
        except BaseException:
            self._apply(self._pool.discard(key))
            raise
        if self._closed:
            connection.close()
            raise ClientConnectionError("Connector is closed")
        connection.checked_out = True
        self._in_use.add(connection)
        for trace in traces:
            await trace.send_connection_create_end()
        return connection

    async def _create_connection(
        self,
        key: ConnectionKey,
        traces: Sequence[Trace],
        timeouts: ClientTimeout,
        server_hostname: str | None,
        proxy_headers: CIMultiDict[str] | None,
    ) -> PooledConnection:
        raise NotImplementedError

    # -- connections coming back ---------------------------------------------

    def _release(self, connection: PooledConnection, reusable: bool) -> None:
        """Called by a connection at the end of its response (or on failure)."""
        self._in_use.discard(connection)
        if self._closed:
            connection.close()
            return
        now = self._loop.time()
        if not (reusable and self._pool.keep(connection.key, connection, now)):
            self._apply(self._pool.release(connection.key, connection, reusable=reusable, now=now))
        if reusable and self._cleanup_handle is None:
            self._schedule_cleanup()

    def _idle_lost(self, connection: PooledConnection) -> None:
        """Called by an idle connection the server closed."""
        if not self._closed:
            self._apply(self._pool.discard_idle(connection.key, connection))

    def _apply(self, outcome: Outcome[_Waiter, PooledConnection]) -> None:
        self._close_all(outcome.to_close)
        for waiter, connection in outcome.handoffs:
            if waiter.done():
                # The waiter gave up just now; return what it was given.
                if connection is not None:
                    self._apply(
                        self._pool.release(
                            connection.key, connection, reusable=True, now=self._loop.time()
                        )
                    )
                continue
            waiter.set_result(connection)

    def _close_all(self, connections: list[PooledConnection]) -> None:
        for connection in connections:
            connection.close()

    def _schedule_cleanup(self) -> None:
        when = self._pool.next_expiry()
        if when is not None and not self._closed:
            self._cleanup_handle = self._loop.call_at(when, self._cleanup)

    def _cleanup(self) -> None:
        self._cleanup_handle = None
        self._close_all(self._pool.expire(self._loop.time()))
        self._schedule_cleanup()

    # -- closing -------------------------------------------------------------

    async def close(self) -> None:
        """Close every connection, idle or in use, and fail waiting requests."""
        if self._closed:
            return
        self._closed = True
        if self._cleanup_handle is not None:
            self._cleanup_handle.cancel()
            self._cleanup_handle = None
        idle, waiters = self._pool.close()
        connections = idle + list(self._in_use)
        self._in_use.clear()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(ClientConnectionError("Connector is closed"))
        for connection in connections:
            connection.shut()
        # Let the transports run their close callbacks (connection_lost) now,
        # so no socket outlives the connector. A closed or aborted transport
        # reports within a loop turn or two (TLS over a proxy tunnel takes
        # one more layer); the wait is bounded in turns, never in time.
        for _ in range(_CLOSE_TURNS):
            if all(connection.lost for connection in connections):
                break
            await asyncio.sleep(0)
