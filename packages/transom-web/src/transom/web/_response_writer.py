"""The interface a response writes through.

The server connection gives each request its own writer; test tools can give
a fake one. A response calls, in order: :meth:`~ResponseWriter.start` once,
then any number of :meth:`~ResponseWriter.write` (awaiting
:meth:`~ResponseWriter.drain` when :attr:`~ResponseWriter.paused`) or
:meth:`~ResponseWriter.sendfile`, then :meth:`~ResponseWriter.write_eof` once.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from multidict import CIMultiDict

__all__ = ["ResponseWriter"]


class ResponseWriter(Protocol):
    """Sends one response's head and body."""

    @property
    def output_size(self) -> int:
        """Bytes handed to the transport so far, head included."""
        ...

    @property
    def paused(self) -> bool:
        """Whether the peer reads slower than we write: await :meth:`drain`."""
        ...

    def start(self, status: int, reason: str, headers: CIMultiDict[str]) -> None:
        """Queue the response head; it leaves with the first body bytes.

        Raises:
            LocalProtocolError: A header name or value cannot be sent.
        """
        ...

    def write(self, data: bytes) -> None:
        """Send body bytes (dropped for responses that have no body, e.g. to HEAD)."""
        ...

    async def drain(self) -> None:
        """Wait until the transport's write buffer is below its high-water mark.

        Raises:
            ConnectionResetError: The connection was lost.
        """
        ...

    async def sendfile(self, file: IO[bytes], offset: int, count: int, chunk_size: int) -> None:
        """Send ``count`` bytes of ``file`` from ``offset`` as body bytes."""
        ...

    async def write_eof(self, data: bytes = b"") -> None:
        """Send the last body bytes and end the response."""
        ...
