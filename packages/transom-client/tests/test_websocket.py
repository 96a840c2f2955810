"""ClientSession.ws_connect against aiohttp, websockets and raw servers on loopback."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import websockets.asyncio.server
from aiohttp import web
from yarl import URL

from transom.client import (
    ClientSession,
    ClientWebSocketResponse,
    TCPConnector,
    WSCloseCode,
    WSMessage,
    WSMsgType,
    WSServerHandshakeError,
)
from transom.protocol.websocket import NEED_DATA, Ping, Role, WebSocketConnection

Server = Callable[[web.Application], contextlib.AbstractAsyncContextManager[URL]]
RawServer = Callable[..., contextlib.AbstractAsyncContextManager[URL]]
TIMEOUT = 10.0


def ws_app(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.Application:
    app = web.Application()
    app.router.add_get("/ws", handler)
    return app


async def aiohttp_echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(protocols=("chat",), max_msg_size=0)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is web.WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type is web.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


def ws_url(base: URL, path: str = "/ws") -> URL:
    return base.with_scheme("ws") / path.lstrip("/")


# -- echo and interoperability ------------------------------------------------------


@pytest.mark.parametrize("compress", [0, 15])
def test_echo_against_aiohttp(web_server: Server, compress: int) -> None:
    async def main() -> None:
        async with (
            web_server(ws_app(aiohttp_echo)) as base,
            ClientSession() as session,
            session.ws_connect(ws_url(base), compress=compress) as ws,
        ):
            assert isinstance(ws, ClientWebSocketResponse)
            assert ws.compress is bool(compress)
            assert ws.response.status == 101
            await ws.send_str("héllo")
            assert await ws.receive_str() == "héllo"
            await ws.send_bytes(b"\x00\xff" * 50_000)
            assert await ws.receive_bytes() == b"\x00\xff" * 50_000
            await ws.send_json({"a": [1, 2]})
            assert await ws.receive_json() == {"a": [1, 2]}
        assert ws.closed
        assert ws.close_code == 1000

    asyncio.run(main())


@contextlib.asynccontextmanager
async def websockets_server(compression: str | None) -> AsyncIterator[URL]:
    async def handler(connection: websockets.asyncio.server.ServerConnection) -> None:
        async for message in connection:
            await connection.send(message)

    async with websockets.asyncio.server.serve(
        handler, "127.0.0.1", 0, compression=compression, max_size=None
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield URL.build(scheme="ws", host="127.0.0.1", port=port, path="/")


@pytest.mark.parametrize(("server_compression", "compress"), [(None, 0), ("deflate", 15)])
def test_echo_against_the_websockets_library(server_compression: str | None, compress: int) -> None:
    async def main() -> None:
        async with (
            websockets_server(server_compression) as url,
            ClientSession() as session,
            session.ws_connect(url, compress=compress, max_msg_size=0) as ws,
        ):
            assert ws.compress is bool(compress)
            for size in (0, 125, 126, 65_535, 65_536, 1_000_000):
                await ws.send_bytes(b"b" * size)
                assert await ws.receive_bytes() == b"b" * size
                await ws.send_str("t" * size)
                assert await ws.receive_str() == "t" * size
            await ws.send_str("no squeeze", compress=False)
            assert await ws.receive_str() == "no squeeze"

    asyncio.run(main())


def test_await_without_context_manager_and_async_iteration(web_server: Server) -> None:
    async def main() -> None:
        async with web_server(ws_app(aiohttp_echo)) as base, ClientSession() as session:
            ws = await session.ws_connect(base / "ws")
            for word in ("a", "b", "c"):
                await ws.send_str(word)
            received = []
            async for msg in ws:
                received.append(msg.data)
                if len(received) == 3:
                    await ws.close()
            assert received == ["a", "b", "c"]
            assert await ws.close() is False

    asyncio.run(main())


def test_subprotocol_origin_and_headers_reach_the_server(web_server: Server) -> None:
    seen: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("v2", "v1"))
        await ws.prepare(request)
        seen.update(origin=request.headers.get("Origin"), extra=request.headers.get("X-Extra"))
        seen["query"] = dict(request.query)
        await ws.close()
        return ws

    async def main() -> None:
        async with (
            web_server(ws_app(handler)) as base,
            ClientSession() as session,
            session.ws_connect(
                ws_url(base),
                protocols=("v1", "v3"),
                origin="https://app.example",
                headers={"X-Extra": "yes"},
                params={"q": "1"},
            ) as ws,
        ):
            assert ws.protocol == "v1"
            msg = await ws.receive()
            assert msg.type is WSMsgType.CLOSE
        assert seen == {"origin": "https://app.example", "extra": "yes", "query": {"q": "1"}}

    asyncio.run(main())


def test_wss_over_tls(
    tls_server: Server, tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    _, client_context = tls_contexts

    async def main() -> None:
        async with (
            tls_server(ws_app(aiohttp_echo)) as base,
            ClientSession() as session,
            session.ws_connect(base.with_scheme("wss") / "ws", ssl=client_context) as ws,
        ):
            assert ws.get_extra_info("sslcontext") is not None
            await ws.send_str("secret")
            assert await ws.receive_str() == "secret"

    asyncio.run(main())


# -- handshake failures -------------------------------------------------------------


def test_a_refused_upgrade_raises_and_frees_the_connection(web_server: Server) -> None:
    async def not_a_socket(request: web.Request) -> web.Response:
        return web.Response(status=403, text="no")

    async def main() -> None:
        connector = TCPConnector(limit=1)
        async with (
            web_server(ws_app(not_a_socket)) as base,
            ClientSession(connector=connector) as s,
        ):
            with pytest.raises(WSServerHandshakeError) as info:
                await s.ws_connect(base / "ws")
            assert info.value.status == 403
            # The single connection slot is free again.
            async with asyncio.timeout(TIMEOUT), s.get(base / "ws") as response:
                assert response.status == 403

    asyncio.run(main())


def raw_upgrade_server(
    answer: Callable[[str], bytes],
    then: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]] | None = None,
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """A server that reads the upgrade request and answers ``answer(key)``."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        key = next(
            line.split(":", 1)[1].strip()
            for line in head.split("\r\n")
            if line.lower().startswith("sec-websocket-key:")
        )
        writer.write(answer(key))
        await writer.drain()
        if then is not None:
            await then(reader, writer)

    return handler


def accept(key: str) -> str:
    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    return base64.b64encode(digest).decode()


def switching(key: str, extra: str = "") -> bytes:
    return (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept(key)}\r\n{extra}\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            lambda key: switching(key).replace(accept(key).encode(), b"d3Jvbmc="),
            "Sec-WebSocket-Accept",
        ),
        (lambda key: switching(key, "Sec-WebSocket-Protocol: unoffered\r\n"), "subprotocol"),
        (
            lambda key: switching(key, "Sec-WebSocket-Extensions: permessage-deflate\r\n"),
            "extension",
        ),
    ],
)
def test_a_wrong_101_answer_is_refused(
    raw_server: RawServer, answer: Callable[[str], bytes], message: str
) -> None:
    async def main() -> None:
        async with raw_server(raw_upgrade_server(answer)) as base, ClientSession() as session:
            with pytest.raises(WSServerHandshakeError, match=message) as info:
                await session.ws_connect(base / "ws")
            assert info.value.status == 101

    asyncio.run(main())


# -- closing ------------------------------------------------------------------------


def test_server_close_is_reported_with_code_and_reason(web_server: Server) -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close(code=4000, message=b"go away")
        return ws

    async def main() -> None:
        async with (
            web_server(ws_app(handler)) as base,
            ClientSession() as session,
            session.ws_connect(ws_url(base)) as ws,
        ):
            msg = await ws.receive()
            assert msg == WSMessage(WSMsgType.CLOSE, 4000, "go away")
            assert ws.closed
            assert ws.close_code == 4000
            assert (await ws.receive()).type is WSMsgType.CLOSED
            assert await ws.close() is False

    asyncio.run(main())


def test_client_close_sends_code_and_reason(web_server: Server) -> None:
    seen: asyncio.Queue[tuple[int, Any, Any]] = asyncio.Queue()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        msg = await ws.receive()
        await seen.put((int(msg.type), msg.data, msg.extra))
        return ws

    async def main() -> None:
        async with web_server(ws_app(handler)) as base, ClientSession() as session:
            ws = await session.ws_connect(ws_url(base))
            assert await ws.close(code=WSCloseCode.GOING_AWAY, message=b"bye") is True
            assert await asyncio.wait_for(seen.get(), TIMEOUT) == (WSMsgType.CLOSE, 1001, "bye")
            # The server's answer decides: aiohttp answers with 1000.
            assert ws.close_code == 1000
            for send in (ws.send_str("x"), ws.send_bytes(b"x"), ws.ping(), ws.pong()):
                with pytest.raises(ConnectionResetError):
                    await send

    asyncio.run(main())


def test_closing_session_ends_open_websockets(web_server: Server) -> None:
    async def main() -> None:
        async with web_server(ws_app(aiohttp_echo)) as base:
            session = ClientSession()
            ws = await session.ws_connect(ws_url(base))
            await session.close()
            msg = await asyncio.wait_for(ws.receive(), TIMEOUT)
            assert msg.type is WSMsgType.CLOSED
            assert ws.close_code == WSCloseCode.ABNORMAL_CLOSURE

    asyncio.run(main())


def test_an_open_websocket_holds_its_pool_slot_until_closed(web_server: Server) -> None:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="page")

    async def main() -> None:
        app = ws_app(aiohttp_echo)
        app.router.add_get("/page", page)
        async with (
            web_server(app) as base,
            ClientSession(connector=TCPConnector(limit=1)) as session,
        ):
            ws = await session.ws_connect(ws_url(base))
            request = asyncio.ensure_future(session.get(base / "page"))
            await asyncio.sleep(0.1)
            assert not request.done()
            await ws.close()
            async with asyncio.timeout(TIMEOUT):
                response = await request
            assert await response.text() == "page"
            response.release()

    asyncio.run(main())


# -- pings, heartbeat, limits -------------------------------------------------------


def test_without_autoping_pings_and_pongs_are_messages(web_server: Server) -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.ping(b"from server")
        await ws.receive()
        return ws

    async def main() -> None:
        async with (
            web_server(ws_app(handler)) as base,
            ClientSession() as session,
            session.ws_connect(ws_url(base), autoping=False) as ws,
        ):
            msg = await ws.receive()
            assert (msg.type, msg.data) == (WSMsgType.PING, b"from server")
            await ws.ping(b"from client")
            msg = await ws.receive()
            assert (msg.type, msg.data) == (WSMsgType.PONG, b"from client")

    asyncio.run(main())


def test_heartbeat_gives_up_on_a_silent_server(raw_server: RawServer) -> None:
    pings: list[bytes] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Read frames, answer nothing.
        conn = WebSocketConnection(Role.SERVER)
        while data := await reader.read(65536):
            conn.receive_data(data)
            while (event := conn.next_event()) is not NEED_DATA:
                if isinstance(event, Ping):
                    pings.append(event.payload)

    async def main() -> None:
        async with (
            raw_server(raw_upgrade_server(switching, silent)) as base,
            ClientSession() as session,
        ):
            ws = await session.ws_connect(base / "ws", heartbeat=0.2)
            msg = await asyncio.wait_for(ws.receive(), TIMEOUT)
            assert msg.type is WSMsgType.ERROR
            assert isinstance(msg.data, TimeoutError)
            assert isinstance(ws.exception(), TimeoutError)
            assert ws.close_code == WSCloseCode.ABNORMAL_CLOSURE
            assert (await ws.receive()).type is WSMsgType.CLOSED
        assert pings

    asyncio.run(main())


def test_a_message_over_max_msg_size_fails_with_1009(web_server: Server) -> None:
    seen: asyncio.Queue[Any] = asyncio.Queue()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_bytes(b"x" * 2000)
        msg = await ws.receive()
        await seen.put((msg.type, msg.data))
        return ws

    async def main() -> None:
        async with (
            web_server(ws_app(handler)) as base,
            ClientSession() as session,
            session.ws_connect(ws_url(base), max_msg_size=1000) as ws,
        ):
            msg = await ws.receive()
            assert msg.type is WSMsgType.ERROR
            assert ws.close_code == WSCloseCode.MESSAGE_TOO_BIG
            assert await asyncio.wait_for(seen.get(), TIMEOUT) == (web.WSMsgType.CLOSE, 1009)

    asyncio.run(main())


def test_receive_timeout_and_concurrent_receive(web_server: Server) -> None:
    async def main() -> None:
        async with (
            web_server(ws_app(aiohttp_echo)) as base,
            ClientSession() as session,
            session.ws_connect(ws_url(base), receive_timeout=0.05) as ws,
        ):
            with pytest.raises(TimeoutError):
                await ws.receive()
            waiting = asyncio.create_task(ws.receive(timeout=TIMEOUT))
            await asyncio.sleep(0)
            with pytest.raises(RuntimeError, match="Concurrent call to receive"):
                await ws.receive()
            await ws.send_str("for the first")
            assert (await waiting).data == "for the first"

    asyncio.run(main())


def test_several_tasks_send_while_one_reads(web_server: Server) -> None:
    async def main() -> None:
        async with (
            web_server(ws_app(aiohttp_echo)) as base,
            ClientSession() as session,
            session.ws_connect(ws_url(base)) as ws,
        ):

            async def sender(name: str) -> None:
                for i in range(30):
                    await ws.send_str(f"{name}:{i}:" + name * 30_000)

            senders = asyncio.gather(*(sender(name) for name in "wxyz"))
            counts = dict.fromkeys("wxyz", 0)
            for _ in range(120):
                name, index, body = (await ws.receive_str(timeout=TIMEOUT)).split(":")
                assert body == name * 30_000
                assert int(index) == counts[name]
                counts[name] += 1
            await senders

    asyncio.run(main())


def test_typed_receives_reject_other_types(web_server: Server) -> None:
    async def main() -> None:
        async with (
            web_server(ws_app(aiohttp_echo)) as base,
            ClientSession() as session,
            session.ws_connect(ws_url(base)) as ws,
        ):
            await ws.send_bytes(b"bytes")
            with pytest.raises(TypeError, match="is not str"):
                await ws.receive_str()
            await ws.send_str("text")
            with pytest.raises(TypeError, match="is not bytes"):
                await ws.receive_bytes()
            with pytest.raises(TypeError):
                await ws.send_str(b"x")  # type: ignore[arg-type]
            with pytest.raises(TypeError):
                await ws.send_bytes("x")  # type: ignore[arg-type]
            await ws.send_json([1], dumps=lambda _: json.dumps("custom"))
            assert await ws.receive_json() == "custom"

    asyncio.run(main())


def test_compress_window_bits_are_offered_and_checked(web_server: Server) -> None:
    offers: list[str] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        offers.append(request.headers.get("Sec-WebSocket-Extensions", ""))
        return await aiohttp_echo(request)

    async def main() -> None:
        async with web_server(ws_app(handler)) as base, ClientSession() as session:
            async with session.ws_connect(ws_url(base), compress=10) as ws:
                await ws.send_str("small window")
                assert await ws.receive_str() == "small window"
            with pytest.raises(ValueError, match="9-15"):
                await session.ws_connect(ws_url(base), compress=16)
        assert offers == ["permessage-deflate; server_max_window_bits=10; client_max_window_bits"]

    asyncio.run(main())
