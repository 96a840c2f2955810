"""``UnixConnector``: pooled connections over a Unix domain socket."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from transom.client._connector import BaseConnector
from transom.client._deadlines import run_until
from transom.client._errors import (
    ClientConnectionError,
    ConnectionTimeoutError,
    UnixClientConnectorError,
)
from transom.client._pool import DEFAULT_KEEPALIVE_TIMEOUT, DEFAULT_LIMIT, DEFAULT_LIMIT_PER_HOST
from transom.client._pooled_connection import PooledConnection

if TYPE_CHECKING:
    from multidict import CIMultiDict

    from transom.client._connection_key import ConnectionKey
    from transom.client._timeouts import ClientTimeout
    from transom.client._tracing import Trace

__all__ = ["UnixConnector"]


class UnixConnector(BaseConnector):
    """Connections over a Unix domain socket; the URL's host only fills Host.

    Args:
        path: The socket's file system path.
        keepalive_timeout: As for `BaseConnector`.
        force_close: As for `BaseConnector`.
        limit: As for `BaseConnector`.
        limit_per_host: As for `BaseConnector`.
    """

    def __init__(
        self,
        path: str,
        *,
        keepalive_timeout: float | None = DEFAULT_KEEPALIVE_TIMEOUT,
        force_close: bool = False,
        limit: int = DEFAULT_LIMIT,
        limit_per_host: int = DEFAULT_LIMIT_PER_HOST,
    ) -> None:
        super().__init__(
            keepalive_timeout=keepalive_timeout,
            force_close=force_close,
            limit=limit,
            limit_per_host=limit_per_host,
        )
        self._path = path

    @property
    def path(self) -> str:
        """The socket path."""
        return self._path

    async def _create_connection(
        self,
        key: ConnectionKey,
        traces: Sequence[Trace],
        timeouts: ClientTimeout,
        server_hostname: str | None,
        proxy_headers: CIMultiDict[str] | None,
    ) -> PooledConnection:
        loop = self._loop
        sock_connect_by = (
            None if timeouts.sock_connect is None else loop.time() + timeouts.sock_connect
        )
        try:
            _, connection = await run_until(
                loop.create_unix_connection(
                    lambda: PooledConnection(loop, self, key, key.host), self._path
                ),
                sock_connect_by,
                functools.partial(
                    ConnectionTimeoutError, f"Connection timeout to unix socket {self._path}"
                ),
            )
        except (ClientConnectionError, TimeoutError):
            raise
        except OSError as exc:
            raise UnixClientConnectorError(self._path, key, exc) from exc
        return connection
