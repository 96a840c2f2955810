"""What request methods return: awaitable, and usable with ``async with``."""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from transom.client._response import ClientResponse

__all__ = ["RequestContextManager"]


class RequestContextManager:
    """``await`` it for the response, or ``async with`` it to release on exit.

    Args:
        coro: The request coroutine; run exactly once.
    """

    __slots__ = ("_coro", "_response")

    def __init__(self, coro: Coroutine[Any, Any, ClientResponse]) -> None:
        self._coro = coro
        self._response: ClientResponse | None = None

    def __await__(self) -> Generator[Any, None, ClientResponse]:
        return self._coro.__await__()

    def close(self) -> None:
        """Close the request coroutine without running it."""
        self._coro.close()

    async def __aenter__(self) -> ClientResponse:
        self._response = await self._coro
        return self._response

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._response is not None:
            self._response.release()
