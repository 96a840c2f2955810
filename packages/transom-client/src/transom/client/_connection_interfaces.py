"""The interfaces a pooled connection talks to, besides the response reading from it.

The connector that owns the connection takes it back after each exchange,
and after a ``101 Switching Protocols`` (RFC 9110 §15.2.2) a sink of the new
protocol takes over the connection's bytes and transport events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from transom.client._output_batch import OutputBatch
    from transom.client._pooled_connection import PooledConnection

__all__ = ["ConnectionOwner", "ProtocolSink"]


class ConnectionOwner(Protocol):
    """The connector, as seen by its connections."""

    @property
    def output_batch(self) -> OutputBatch: ...
    def _release(self, connection: PooledConnection, reusable: bool) -> None: ...
    def _idle_lost(self, connection: PooledConnection) -> None: ...


class ProtocolSink(Protocol):
    """Receives a connection's bytes after a switch of protocols (101)."""

    def data_received(self, data: bytes) -> None: ...
    def eof_received(self) -> None: ...
    def connection_lost(self, exc: BaseException | None) -> None: ...
    def pause_writing(self) -> None: ...
    def resume_writing(self) -> None: ...
