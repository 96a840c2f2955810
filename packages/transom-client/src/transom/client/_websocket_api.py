"""The part of the WebSocket API that both ends share, over a message channel.

``transom.web.WebSocketResponse`` (the server's end) and
``transom.client.ClientWebSocketResponse`` (the client's end) offer the same
message API: typed receives, ``async for``, the ``send_*`` methods, pings.
:class:`WebSocketAPI` holds it once; each end brings its channel (a
``WebSocketChannel``) in ``_channel``, its default receive timeout in
``_receive_timeout``, and what is particular to its role: the handshake,
:meth:`receive` and ``close()`` with their role's documentation.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol, Self

from transom.protocol.websocket import CloseCode, WSMessage, WSMsgType

__all__ = ["MessageChannel", "WebSocketAPI"]

# What ends ``async for``; data messages are told apart first, by identity.
_TEXT = WSMsgType.TEXT
_BINARY = WSMsgType.BINARY
_END_OF_ITERATION = frozenset({WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED})

_NOT_PREPARED: Final = "call prepare() first"


def _data_of(message: WSMessage, kind: WSMsgType, name: str) -> Any:
    """``message.data``, when ``message`` is of type ``kind``.

    Args:
        message: A received message.
        kind: The type the caller asked for.
        name: The data's Python type, as the error names it.

    Raises:
        TypeError: ``message`` is of another type.
    """
    if message.type is not kind:
        raise TypeError(f"Received message {message.type}:{message.data!r} is not {name}")
    return message.data


class MessageChannel(Protocol):
    """What a WebSocket's API needs of its ``WebSocketChannel``."""

    @property
    def exception(self) -> BaseException | None: ...
    async def receive(self, timeout: float | None = None) -> WSMessage: ...  # noqa: ASYNC109
    def next_message(self) -> Awaitable[WSMessage]: ...
    def write_text(self, data: str, compress: bool) -> bool: ...
    def write_bytes(self, data: bytes, compress: bool) -> bool: ...
    def write_ping(self, payload: bytes) -> bool: ...
    def write_pong(self, payload: bytes) -> bool: ...
    async def drain(self) -> None: ...
    async def close(self, *, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> bool: ...


class WebSocketAPI:
    """The messages of an open WebSocket, the same at both ends.

    A subclass sets ``_channel`` (None until the WebSocket is open) and
    ``_receive_timeout``, and defines ``receive(timeout)``.
    """

    __slots__ = ()

    _channel: MessageChannel | None
    _receive_timeout: float | None

    async def receive(self, timeout: float | None = None) -> WSMessage:  # noqa: ASYNC109
        """Wait for the next message; each end defines it."""
        raise NotImplementedError

    def _live(self) -> MessageChannel:
        """The open channel.

        Raises:
            RuntimeError: There is none yet (a server's response not prepared).
        """
        channel = self._channel
        if channel is None:
            raise RuntimeError(_NOT_PREPARED)
        return channel

    # -- state -------------------------------------------------------------------

    def exception(self) -> BaseException | None:
        """What failed the connection (a protocol error, a heartbeat timeout), or None."""
        channel = self._channel
        return None if channel is None else channel.exception

    # -- receiving ---------------------------------------------------------------

    async def receive_str(self, *, timeout: float | None = None) -> str:  # noqa: ASYNC109
        """Receive a TEXT message's text.

        Raises:
            TypeError: The next message is of another type.
        """
        text: str = _data_of(await self.receive(timeout), _TEXT, "str")
        return text

    async def receive_bytes(self, *, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        """Receive a BINARY message's bytes.

        Raises:
            TypeError: The next message is of another type.
        """
        data: bytes = _data_of(await self.receive(timeout), _BINARY, "bytes")
        return data

    async def receive_json(
        self,
        *,
        loads: Callable[[str], Any] = json.loads,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> Any:
        """Receive a TEXT message and decode it as JSON."""
        return loads(await self.receive_str(timeout=timeout))

    def __aiter__(self) -> Self:
        return self

    def __anext__(self) -> Awaitable[WSMessage]:
        # A plain function: with no receive timeout, the channel's future is
        # what ``async for`` awaits, and a message wakes the iterating task
        # with no coroutine frame in between. _live() inlined: once a message.
        channel = self._channel
        if channel is None:
            raise RuntimeError(_NOT_PREPARED)
        timeout = self._receive_timeout
        if timeout is None:
            return channel.next_message()
        return self._next_within(channel, timeout)

    @staticmethod
    async def _next_within(channel: MessageChannel, timeout: float) -> WSMessage:  # noqa: ASYNC109
        message = await channel.receive(timeout)
        kind = message.type
        if kind is _TEXT or kind is _BINARY or kind not in _END_OF_ITERATION:
            return message
        raise StopAsyncIteration

    # -- sending -----------------------------------------------------------------

    async def send_str(self, data: str, compress: bool | None = None) -> None:
        """Send a text message.

        Args:
            data: The text.
            compress: False (or 0) to send this one uncompressed.

        Raises:
            TypeError: ``data`` is not a ``str``.
            ConnectionResetError: The WebSocket is closing or closed.
        """
        if not isinstance(data, str):
            raise TypeError(f"data argument must be str ({type(data)!r})")
        channel = self._channel
        if channel is None:
            raise RuntimeError(_NOT_PREPARED)
        if channel.write_text(data, compress is None or bool(compress)):
            await channel.drain()

    async def send_bytes(
        self, data: bytes | bytearray | memoryview, compress: bool | None = None
    ) -> None:
        """Send a binary message.

        Raises:
            TypeError: ``data`` is not bytes-like.
            ConnectionResetError: The WebSocket is closing or closed.
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        channel = self._live()
        if channel.write_bytes(bytes(data), compress is None or bool(compress)):
            await channel.drain()

    async def send_json(
        self,
        data: Any,
        compress: bool | None = None,
        *,
        dumps: Callable[[Any], str] = json.dumps,
    ) -> None:
        """Send ``dumps(data)`` as a text message."""
        await self.send_str(dumps(data), compress=compress)

    async def ping(self, message: bytes = b"") -> None:
        """Send a ping (at most 125 bytes)."""
        channel = self._live()
        if channel.write_ping(bytes(message)):
            await channel.drain()

    async def pong(self, message: bytes = b"") -> None:
        """Send an unsolicited pong (at most 125 bytes)."""
        channel = self._live()
        if channel.write_pong(bytes(message)):
            await channel.drain()
