"""``WebSocketResponse``: a handler's side of a WebSocket connection (RFC 6455).

The handler prepares it like any response; the 101 answer goes out, and the
connection's later bytes belong to the WebSocket. Returning from the handler
closes the WebSocket (with 1000 if nobody closed it) and then the connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from transom.protocol.websocket import (
    DEFAULT_MAX_MESSAGE_SIZE,
    CloseCode,
    HandshakeError,
    HandshakeResult,
    PerMessageDeflate,
    Role,
    WebSocketConnection,
    WSMessage,
    server_handshake,
)
from transom.web._http_exceptions import HTTPBadRequest, HTTPMethodNotAllowed, HTTPUpgradeRequired
from transom.web._stream_response import StreamResponse
from transom.web._websocket_api import WebSocketAPI
from transom.web._websocket_channel import WebSocketChannel

if TYPE_CHECKING:
    from transom.web._request import BaseRequest

__all__ = ["DEFAULT_CLOSE_TIMEOUT", "WebSocketReady", "WebSocketResponse"]

#: Seconds :meth:`WebSocketResponse.close` waits for the peer's Close frame
#: before dropping the connection; aiohttp's default.
DEFAULT_CLOSE_TIMEOUT: Final = 10.0


class WebSocketReady(NamedTuple):
    """What :meth:`WebSocketResponse.can_prepare` found.

    Attributes:
        ok: Whether the request is a valid WebSocket upgrade.
        protocol: The subprotocol that would be chosen, if any.
    """

    ok: bool
    protocol: str | None

    def __bool__(self) -> bool:
        return self.ok


class WebSocketResponse(StreamResponse, WebSocketAPI):
    """The server side of a WebSocket; the handler returns it when done.

    ::

        async def handler(request):
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            async for msg in ws:
                if msg.type is web.WSMsgType.TEXT:
                    await ws.send_str(msg.data)
            return ws

    Args:
        protocols: Subprotocols this handler speaks; the first one the
            client offers is chosen.
        heartbeat: Seconds of silence after which a ping is sent; no answer
            within half of it closes the connection with 1006.
        autoping: Answer pings and swallow pongs; False hands both to
            :meth:`receive`.
        autoclose: Answer the client's Close frame at once; False hands it
            to :meth:`receive` and leaves the answer to :meth:`close`.
        max_msg_size: Largest message accepted, in bytes after
            decompression; a larger one closes with 1009. 0 or None: no limit.
        compress: Accept permessage-deflate (RFC 7692) when the client
            offers it: True on the client's terms, or a
            :class:`~transom.protocol.websocket.PerMessageDeflate` with the
            server's own.
        timeout: Seconds :meth:`close` waits for the client's Close frame.
        receive_timeout: Default ``timeout`` of :meth:`receive`.
    """

    def __init__(
        self,
        *,
        protocols: Sequence[str] = (),
        heartbeat: float | None = None,
        autoping: bool = True,
        autoclose: bool = True,
        max_msg_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
        compress: bool | PerMessageDeflate = True,
        timeout: float = DEFAULT_CLOSE_TIMEOUT,
        receive_timeout: float | None = None,
    ) -> None:
        super().__init__(status=101)
        if heartbeat is not None and heartbeat <= 0:
            raise ValueError("heartbeat must be positive")
        self._protocols = tuple(protocols)
        self._heartbeat = heartbeat
        self._autoping = autoping
        self._autoclose = autoclose
        self._max_msg_size = max_msg_size or None
        self._compress_option = compress
        self._timeout = timeout
        self._receive_timeout = receive_timeout
        self._handshake: HandshakeResult | None = None
        self._channel: WebSocketChannel | None = None

    # -- handshake ---------------------------------------------------------------

    def _check_handshake(self, request: BaseRequest) -> HandshakeResult:
        if request.method != "GET":
            raise HTTPMethodNotAllowed(request.method, ["GET"])
        try:
            return server_handshake(
                request.headers, protocols=self._protocols, compress=self._compress_option
            )
        except HandshakeError as exc:
            if exc.status_code == 426:
                raise HTTPUpgradeRequired(headers=dict(exc.headers), text=str(exc)) from None
            raise HTTPBadRequest(text=str(exc)) from None

    def can_prepare(self, request: BaseRequest) -> WebSocketReady:
        """Tell whether ``request`` is a WebSocket upgrade this response can accept.

        Nothing is sent; a handler can serve a plain page otherwise.

        Raises:
            RuntimeError: The response was already prepared.
        """
        if self.prepared:
            raise RuntimeError("already prepared")
        try:
            result = self._check_handshake(request)
        except (HTTPBadRequest, HTTPMethodNotAllowed, HTTPUpgradeRequired):
            return WebSocketReady(False, None)
        return WebSocketReady(True, result.subprotocol)

    async def prepare(self, request: BaseRequest) -> None:
        """Check the upgrade request, send the 101 answer and take over the connection.

        Raises:
            HTTPBadRequest: The request is not a valid WebSocket upgrade
                (missing or malformed key, malformed header fields).
            HTTPUpgradeRequired: No ``Upgrade: websocket``, or a version
                other than 13.
            HTTPMethodNotAllowed: Not a GET request.
            RuntimeError: Prepared for another request, or the request does
                not come from a server connection (a mocked request).
        """
        if self.prepared:
            await super().prepare(request)
            return
        switch = getattr(request._writer, "switch_protocol", None)
        result = self._check_handshake(request)
        self._handshake = result
        headers = self._headers
        for name, value in result.headers:
            headers[name] = value
        await super().prepare(request)
        if switch is None:
            raise RuntimeError("a WebSocket needs a request from a server connection")
        transport = request.transport
        if transport is None:
            raise ConnectionResetError("the client closed the connection")
        writer = request._writer
        connection = WebSocketConnection(
            Role.SERVER, max_message_size=self._max_msg_size, extensions=result.extensions
        )
        channel = WebSocketChannel(
            asyncio.get_running_loop(),
            transport,  # type: ignore[arg-type]
            connection,
            autoping=self._autoping,
            autoclose=self._autoclose,
            heartbeat=self._heartbeat,
            close_timeout=self._timeout,
            batch=getattr(writer, "output_batch", None),
        )
        self._channel = channel
        switch(channel)
        if writer.paused:
            channel.pause_writing()

    # -- state -------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether the WebSocket is closing or closed (a Close frame went out)."""
        channel = self._channel
        return channel is not None and channel.closed

    @property
    def close_code(self) -> int | None:
        """The close code: the client's, ours, or 1006 when the connection dropped."""
        channel = self._channel
        return None if channel is None else channel.close_code

    @property
    def ws_protocol(self) -> str | None:
        """The agreed subprotocol, or None."""
        handshake = self._handshake
        return None if handshake is None else handshake.subprotocol

    @property
    def compress(self) -> bool:
        """Whether permessage-deflate was agreed (before prepare: whether it is accepted)."""
        handshake = self._handshake
        if handshake is None:
            return bool(self._compress_option)
        return bool(handshake.extensions)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Transport information (``"peername"``, ``"sslcontext"``...), as asyncio gives it."""
        request = self._request
        if request is None:
            return default
        return request.get_extra_info(name, default)

    # -- receiving ---------------------------------------------------------------

    async def receive(self, timeout: float | None = None) -> WSMessage:  # noqa: ASYNC109
        """Wait for the next message.

        Returns TEXT and BINARY messages; PING and PONG when ``autoping`` is
        off; CLOSE when the client closes (answered already when
        ``autoclose``); CLOSING once this side started closing; ERROR when
        the connection failed (``data`` is the exception); CLOSED after.

        Raises:
            RuntimeError: Not prepared, or another task is already receiving.
            TimeoutError: Nothing arrived within ``timeout`` (or
                ``receive_timeout``) seconds.
        """
        return await self._live().receive(self._receive_timeout if timeout is None else timeout)

    # -- sending -----------------------------------------------------------------

    async def close(
        self, *, code: int = CloseCode.NORMAL_CLOSURE, message: bytes | str = b""
    ) -> bool:
        """Close the WebSocket: send a Close frame and wait for the client's.

        Safe to call from any task, also while another task waits in
        :meth:`receive` (which then gets CLOSING). The wait for the
        client's answer lasts at most ``timeout`` seconds, then the
        connection is dropped (close code 1006).

        Args:
            code: The close code (1000 by default).
            message: The reason, at most 123 bytes of UTF-8.

        Returns:
            True if this call closed it; False if it was already closing.

        Raises:
            RuntimeError: Not prepared.
        """
        reason = message.decode("utf-8") if isinstance(message, bytes) else message
        return await self._live().close(code=code, reason=reason)

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        """Not available: send messages with :meth:`send_str` or :meth:`send_bytes`."""
        raise RuntimeError("Cannot call .write() for websocket")

    async def write_eof(self, data: bytes = b"") -> None:
        """Close the WebSocket if still open (called when the handler returns)."""
        if self._eof_sent:
            return
        self._live()  # RuntimeError before prepare()
        self._eof_sent = True
        await self.close()
