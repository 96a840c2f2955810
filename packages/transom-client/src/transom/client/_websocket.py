"""``ClientSession.ws_connect``: the client's side of a WebSocket (RFC 6455).

The upgrade request goes through the session like any request (cookies,
auth, proxies, TLS, redirects); the 101 answer is checked against what was
offered, and the pooled connection is handed to a
:class:`ClientWebSocketResponse` for the rest of its life.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from multidict import CIMultiDict
from yarl import URL

from transom.client._errors import WSServerHandshakeError
from transom.client._websocket_api import WebSocketAPI
from transom.client._websocket_channel import WebSocketChannel
from transom.protocol.websocket import (
    CloseCode,
    HandshakeError,
    PerMessageDeflate,
    Role,
    WebSocketConnection,
    WSMessage,
    client_handshake_request,
    validate_server_response,
)

if TYPE_CHECKING:
    from types import TracebackType

    from transom.client._pooled_connection import PooledConnection
    from transom.client._response import ClientResponse

__all__ = [
    "DEFAULT_WS_CLOSE_TIMEOUT",
    "ClientWebSocketResponse",
    "WSContextManager",
    "compress_offer",
    "handshake_url",
    "open_websocket",
]

#: Seconds ``close()`` waits for the server's Close frame (aiohttp's default).
DEFAULT_WS_CLOSE_TIMEOUT: Final = 10.0

_WS_SCHEMES = {"ws": "http", "wss": "https"}


def handshake_url(url: str | URL) -> str | URL:
    """The URL to send the opening handshake to: ``url`` as given, or its HTTP form.

    ``ws://`` and ``wss://`` URLs travel as ``http://`` and ``https://``
    (RFC 6455 §3); other URLs are returned unchanged.

    Raises:
        ValueError: ``url`` is not a valid URL.
    """
    parsed = URL(url)
    scheme = _WS_SCHEMES.get(parsed.scheme)
    return url if scheme is None else parsed.with_scheme(scheme)


def compress_offer(compress: int | bool | PerMessageDeflate) -> PerMessageDeflate | None:
    """What to offer for ``ws_connect(compress=...)``.

    aiohttp's convention: 0 offers nothing, 15 (or True) offers
    permessage-deflate, 9-14 also ask the server for that smaller window.

    Raises:
        ValueError: An integer other than 0 or 9-15.
    """
    if isinstance(compress, PerMessageDeflate):
        return compress
    if compress is True:
        return PerMessageDeflate()
    if not compress:
        return None
    if not 9 <= compress <= 15:
        raise ValueError("compress must be 0 or a window size in bits, 9-15")
    return PerMessageDeflate(server_max_window_bits=compress)


class ClientWebSocketResponse(WebSocketAPI):
    """An open client WebSocket; ``ClientSession.ws_connect`` returns it.

    The same API as the server's ``WebSocketResponse``: :meth:`receive`
    (and ``async for``), the ``send_*`` methods, :meth:`close`. Closing it
    (or leaving its ``async with`` block) ends the connection.
    """

    def __init__(
        self,
        response: ClientResponse,
        channel: WebSocketChannel,
        protocol: str | None,
        compress: bool,
        receive_timeout: float | None,
    ) -> None:
        self._response = response
        self._channel: WebSocketChannel = channel
        self._protocol = protocol
        self._compress = compress
        self._receive_timeout = receive_timeout

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<ClientWebSocketResponse {self._response.url} {state}>"

    # -- state -------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether the WebSocket is closing or closed."""
        return self._channel.closed

    @property
    def close_code(self) -> int | None:
        """The close code: the server's, ours, or 1006 when the connection dropped."""
        return self._channel.close_code

    @property
    def protocol(self) -> str | None:
        """The subprotocol the server chose, or None."""
        return self._protocol

    @property
    def compress(self) -> bool:
        """Whether permessage-deflate was agreed."""
        return self._compress

    @property
    def response(self) -> ClientResponse:
        """The 101 response of the handshake (status and headers)."""
        return self._response

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Transport information (``"peername"``, ``"sslcontext"``...)."""
        connection = self._response.connection
        transport = getattr(connection, "transport", None)
        if transport is None:
            return default
        return transport.get_extra_info(name, default)

    # -- receiving ---------------------------------------------------------------

    async def receive(self, timeout: float | None = None) -> WSMessage:  # noqa: ASYNC109
        """Wait for the next message (see the server's ``WebSocketResponse.receive``).

        Raises:
            RuntimeError: Another task is already receiving.
            TimeoutError: Nothing arrived within ``timeout`` (or the
                ``receive_timeout`` given to ``ws_connect``) seconds.
        """
        return await self._channel.receive(self._receive_timeout if timeout is None else timeout)

    # -- sending -----------------------------------------------------------------

    async def close(
        self, *, code: int = CloseCode.NORMAL_CLOSURE, message: bytes | str = b""
    ) -> bool:
        """Close the WebSocket: send a Close frame and wait for the server's.

        Returns:
            True if this call closed it; False if it was already closing.
        """
        reason = message.decode("utf-8") if isinstance(message, bytes) else message
        return await self._channel.close(code=code, reason=reason)

    async def __aenter__(self) -> ClientWebSocketResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class WSContextManager:
    """``await`` it for the WebSocket, or ``async with`` it to close it on exit."""

    __slots__ = ("_coro", "_ws")

    def __init__(self, coro: Coroutine[Any, Any, ClientWebSocketResponse]) -> None:
        self._coro = coro
        self._ws: ClientWebSocketResponse | None = None

    def __await__(self) -> Generator[Any, None, ClientWebSocketResponse]:
        return self._coro.__await__()

    async def __aenter__(self) -> ClientWebSocketResponse:
        self._ws = await self._coro
        return self._ws

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ws is not None:
            await self._ws.close()


async def open_websocket(
    request: Callable[..., Coroutine[Any, Any, ClientResponse]],
    url: str | URL,
    *,
    method: str,
    protocols: Sequence[str],
    compress: int | bool | PerMessageDeflate,
    headers: Mapping[str, str] | None,
    origin: str | None,
    max_msg_size: int | None,
    heartbeat: float | None,
    autoping: bool,
    autoclose: bool,
    timeout: float,  # noqa: ASYNC109 - aiohttp's name
    receive_timeout: float | None,
    request_options: dict[str, Any],
) -> ClientWebSocketResponse:
    """Send the upgrade request with ``request`` and take over its connection.

    Raises:
        WSServerHandshakeError: The server did not accept the upgrade, or
            its 101 answer does not match what was offered.
    """
    if heartbeat is not None and heartbeat <= 0:
        raise ValueError("heartbeat must be positive")
    handshake = client_handshake_request(
        protocols=protocols, compress=compress_offer(compress) or False
    )
    all_headers: CIMultiDict[str] = CIMultiDict(headers or {})
    for name, value in handshake.headers:
        all_headers[name] = value
    if origin is not None:
        all_headers["Origin"] = origin
    response = await request(method, url, headers=all_headers, **request_options)
    try:
        try:
            result = validate_server_response(handshake, response.status, response.headers)
        except HandshakeError as exc:
            raise WSServerHandshakeError(
                response.request_info,
                response.history,
                status=response.status,
                message=str(exc),
                headers=response.headers,
            ) from None
        connection: PooledConnection | None = response.connection  # type: ignore[assignment]
        transport = None if connection is None else connection.transport
        if connection is None or transport is None or connection.closed:
            raise WSServerHandshakeError(
                response.request_info,
                response.history,
                status=response.status,
                message="the connection closed during the handshake",
                headers=response.headers,
            )
    except BaseException:
        response.close()
        raise
    channel = WebSocketChannel(
        asyncio.get_running_loop(),
        transport,
        WebSocketConnection(
            Role.CLIENT, max_message_size=max_msg_size or None, extensions=result.extensions
        ),
        autoping=autoping,
        autoclose=autoclose,
        heartbeat=heartbeat,
        close_timeout=timeout,
        client=True,
        batch=connection.output_batch,
    )
    connection.switch_protocol(channel)
    if connection._write_paused:
        channel.pause_writing()
    return ClientWebSocketResponse(
        response, channel, result.subprotocol, bool(result.extensions), receive_timeout
    )
