"""WebSocketResponse over real sockets: the websockets library and raw frames as clients."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from transom.protocol.websocket import (
    NEED_DATA,
    CloseReceived,
    Event,
    Role,
    WebSocketConnection,
    client_handshake_request,
)
from transom.protocol.websocket import ConnectionClosed as ConnectionEnded
from transom.web import (
    AppKey,
    Application,
    Request,
    WebSocketReady,
    WebSocketResponse,
    WSCloseCode,
    WSMessage,
    WSMsgType,
)

from .conftest import RunningServer, Serve

TIMEOUT = 10.0


async def echo(request: Request) -> WebSocketResponse:
    ws = WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type is WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


async def data_of(ws: WebSocketResponse) -> list[Any]:
    """The data of every message ``async for`` gives, once it ends."""
    return [msg.data async for msg in ws]


def ws_url(server: RunningServer, path: str = "/ws") -> str:
    return f"ws://127.0.0.1:{server.port}{path}"


def app_with(handler: Callable[[Request], Any], path: str = "/ws") -> Application:
    app = Application()
    app.router.add_get(path, handler)
    return app


class Recorder:
    """Collects what a handler saw, for the test thread to check."""

    def __init__(self) -> None:
        self.items: queue.Queue[Any] = queue.Queue()

    def put(self, item: Any) -> None:
        self.items.put(item)

    def get(self) -> Any:
        return self.items.get(timeout=TIMEOUT)


class RawWebSocket:
    """A client speaking frames through transom's own sans-I/O connection."""

    def __init__(self, server: RunningServer, path: str = "/ws", **handshake: Any) -> None:
        self.sock = server.connect(TIMEOUT)
        request = client_handshake_request(**handshake)
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}"]
        lines += [f"{name}: {value}" for name, value in request.headers]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            assert chunk, "connection closed during the handshake"
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        self.status_line = head.split(b"\r\n")[0]
        self.conn = WebSocketConnection(Role.CLIENT, max_message_size=None)
        if rest:
            self.conn.receive_data(rest)

    def send(self, frame: bytes) -> None:
        self.sock.sendall(frame)

    def events(self) -> Iterator[Event]:
        """Events until the server closes the connection."""
        while True:
            event = self.conn.next_event()
            if event is NEED_DATA:
                data = self.sock.recv(65536)
                if data:
                    self.conn.receive_data(data)
                else:
                    self.conn.receive_eof()
                continue
            yield event
            if isinstance(event, ConnectionEnded):
                return

    def next_close(self) -> CloseReceived:
        for event in self.events():
            if isinstance(event, CloseReceived):
                return event
        raise AssertionError("no Close frame")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw_clients() -> Iterator[list[RawWebSocket]]:
    clients: list[RawWebSocket] = []
    yield clients
    for client in clients:
        client.close()


# -- echo and interoperability ---------------------------------------------------


@pytest.mark.parametrize("compression", [None, "deflate"])
def test_echoes_text_and_binary_with_the_websockets_client(
    serve: Serve, compression: str | None
) -> None:
    server = serve(app_with(echo))
    with connect(ws_url(server), compression=compression) as client:
        client.send("héllo")
        assert client.recv(TIMEOUT) == "héllo"
        payload = os.urandom(200_000)
        client.send(payload)
        assert client.recv(TIMEOUT) == payload
        client.send("x" * 70_000)
        assert client.recv(TIMEOUT) == "x" * 70_000


def test_compression_is_agreed_only_when_offered_and_accepted(serve: Serve) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse(compress=request.query.get("c") == "1")
        await ws.prepare(request)
        seen.put(ws.compress)
        await ws.close()
        return ws

    server = serve(app_with(handler))
    for query, offer, agreed in [("?c=1", "deflate", True), ("?c=0", "deflate", False)]:
        with connect(ws_url(server, "/ws" + query), compression=offer) as client:
            with pytest.raises(ConnectionClosed):
                client.recv(TIMEOUT)
            assert client.response is not None
            assert bool(client.response.headers.get("Sec-WebSocket-Extensions")) is agreed
        assert seen.get() is agreed
    with (
        connect(ws_url(server, "/ws?c=1"), compression=None) as client,
        pytest.raises(ConnectionClosed),
    ):
        client.recv(TIMEOUT)
    assert seen.get() is False


def test_a_message_can_skip_compression(serve: Serve) -> None:
    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str("z" * 1000, compress=False)
        await ws.send_bytes(b"z" * 1000, compress=0)  # type: ignore[arg-type]
        await ws.close()
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server), compression="deflate") as client:
        assert client.recv(TIMEOUT) == "z" * 1000
        assert client.recv(TIMEOUT) == b"z" * 1000


def test_chooses_the_first_offered_subprotocol_it_speaks(serve: Serve) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse(protocols=("chat.v2", "chat.v1"))
        await ws.prepare(request)
        seen.put(ws.ws_protocol)
        await ws.close()
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server), subprotocols=["chat.v1", "chat.v2"]) as client:  # type: ignore[list-item]
        assert client.subprotocol == "chat.v1"
    assert seen.get() == "chat.v1"
    with connect(ws_url(server), subprotocols=["other"]) as client:  # type: ignore[list-item]
        assert client.subprotocol is None
    assert seen.get() is None


# -- handshake failures ------------------------------------------------------------


def test_plain_get_gets_426_with_the_upgrade_header(serve: Serve) -> None:
    server = serve(app_with(echo))
    conn = server.raw()
    conn.request("GET", "/ws")
    response = conn.read_response()
    assert response.status == 426
    assert response.headers["upgrade"] == "websocket"
    conn.close()


def upgrade_headers(**changes: str | None) -> list[tuple[str, str]]:
    headers: dict[str, str | None] = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version": "13",
    }
    headers.update(changes)
    return [(name, value) for name, value in headers.items() if value is not None]


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"Sec-WebSocket-Key": "short"}, 400),
        ({"Sec-WebSocket-Key": None}, 400),
        ({"Sec-WebSocket-Version": "12"}, 426),
    ],
)
def test_invalid_upgrade_requests_are_refused(
    serve: Serve, changes: dict[str, str | None], status: int
) -> None:
    server = serve(app_with(echo))
    conn = server.raw()
    conn.request("GET", "/ws", headers=upgrade_headers(**changes))
    response = conn.read_response()
    assert response.status == status
    if status == 426:
        assert response.headers["sec-websocket-version"] == "13"
    conn.close()


def test_can_prepare_lets_a_handler_serve_a_page_instead(serve: Serve) -> None:
    from transom.web import Response

    async def handler(request: Request) -> Any:
        ws = WebSocketResponse(protocols=("p1",))
        ready = ws.can_prepare(request)
        assert isinstance(ready, WebSocketReady)
        if not ready:
            return Response(text="a page")
        await ws.prepare(request)
        await ws.send_str(f"protocol={ready.protocol}")
        await ws.close()
        return ws

    server = serve(app_with(handler))
    conn = server.raw()
    conn.request("GET", "/ws")
    assert conn.read_response().body == b"a page"
    conn.close()
    with connect(ws_url(server), subprotocols=["p1"]) as client:  # type: ignore[list-item]
        assert client.recv(TIMEOUT) == "protocol=p1"


# -- closing ----------------------------------------------------------------------


def test_server_close_sends_code_and_reason(serve: Serve) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        seen.put(await ws.close(code=4001, message=b"bye now"))
        seen.put((ws.closed, ws.close_code))
        seen.put(await ws.close())
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server)) as client:
        with pytest.raises(ConnectionClosed) as info:
            client.recv(TIMEOUT)
        assert info.value.rcvd is not None
        assert (info.value.rcvd.code, info.value.rcvd.reason) == (4001, "bye now")
    assert seen.get() is True
    assert seen.get() == (True, 4001)
    assert seen.get() is False


def test_client_close_is_answered_and_reported_to_the_handler(serve: Serve) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        msg = await ws.receive()
        seen.put((msg.type, msg.data, msg.extra, ws.closed, ws.close_code))
        seen.put(await ws.close())
        seen.put((await ws.receive()).type)
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server)) as client:
        client.close(code=4002, reason="done")
        assert client.protocol.close_rcvd is not None
        assert client.protocol.close_rcvd.code == 4002
    assert seen.get() == (WSMsgType.CLOSE, 4002, "done", True, 4002)
    assert seen.get() is False
    assert seen.get() is WSMsgType.CLOSED


def test_without_autoclose_the_handler_answers_the_close(serve: Serve) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse(autoclose=False)
        await ws.prepare(request)
        msg = await ws.receive()
        seen.put((msg.type, ws.closed))
        await ws.send_str("last words")
        seen.put(await ws.close(code=1000))
        return ws

    server = serve(app_with(handler))
    raw = RawWebSocket(server)
    raw.send(raw.conn.send_close(1000, "client done"))
    events = list(raw.events())
    assert seen.get() == (WSMsgType.CLOSE, False)
    assert seen.get() is True
    assert [type(e).__name__ for e in events] == [
        "TextMessage",
        "CloseReceived",
        "ConnectionClosed",
    ]
    raw.close()


def test_returning_without_closing_closes_with_1000(serve: Serve) -> None:
    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str("only this")
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server)) as client:
        assert client.recv(TIMEOUT) == "only this"
        with pytest.raises(ConnectionClosed) as info:
            client.recv(TIMEOUT)
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == 1000


def test_close_gives_up_waiting_after_timeout(
    serve: Serve, raw_clients: list[RawWebSocket]
) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse(timeout=0.2)
        await ws.prepare(request)
        seen.put(await ws.close())
        seen.put((ws.close_code, type(ws.exception())))
        return ws

    server = serve(app_with(handler))
    raw = RawWebSocket(server)
    raw_clients.append(raw)
    # The client never answers the Close frame.
    assert raw.next_close().code == 1000
    assert seen.get() is True
    assert seen.get() == (WSCloseCode.ABNORMAL_CLOSURE, TimeoutError)


def test_sending_after_close_raises(serve: Serve) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        await ws.close()
        for send in (ws.send_str("x"), ws.send_bytes(b"x"), ws.ping(), ws.pong()):
            try:
                await send
            except ConnectionResetError:
                seen.put("refused")
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server)) as client, pytest.raises(ConnectionClosed):
        client.recv(TIMEOUT)
    assert [seen.get() for _ in range(4)] == ["refused"] * 4


# -- the seeds' patterns ------------------------------------------------------------


def test_one_task_reads_while_several_tasks_send(serve: Serve) -> None:
    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)

        async def sender(name: str) -> None:
            for i in range(50):
                await ws.send_str(f"{name}:{i}:" + name * 20_000)
                await asyncio.sleep(0)

        senders = [asyncio.create_task(sender(name)) for name in "abcd"]
        async for msg in ws:
            if msg.type is WSMsgType.TEXT and msg.data == "stop":
                break
        await asyncio.gather(*senders)
        await ws.close()
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server), max_size=None) as client:
        received: dict[str, list[int]] = {name: [] for name in "abcd"}
        for _ in range(200):
            name, index, body = str(client.recv(TIMEOUT)).split(":")
            assert body == name * 20_000
            received[name].append(int(index))
        assert received == {name: list(range(50)) for name in "abcd"}
        client.send("stop")


def test_a_second_concurrent_receive_raises(serve: Serve) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        first = asyncio.create_task(ws.receive())
        await asyncio.sleep(0)
        try:
            await ws.receive()
        except RuntimeError as exc:
            seen.put(str(exc))
        seen.put((await first).data)
        await ws.close()
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server)) as client:
        assert "Concurrent call to receive()" in seen.get()
        client.send("for the first")
        assert seen.get() == "for the first"


def test_a_receive_beside_a_waiting_async_for_raises(serve: Serve) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)

        reader = asyncio.create_task(data_of(ws))
        await asyncio.sleep(0)
        try:
            await ws.receive()
        except RuntimeError as exc:
            seen.put(str(exc))
        seen.put(await reader)
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server)) as client:
        assert "Concurrent call to receive()" in seen.get()
        client.send("kept")
        client.close()
    assert seen.get() == ["kept"]


def test_an_async_for_cancelled_while_waiting_leaves_the_socket_usable(serve: Serve) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)

        async def first_message() -> WSMessage:
            async for msg in ws:
                return msg
            raise AssertionError("the iteration ended")

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(first_message(), 0.05)
        seen.put("gave up")
        seen.put((await ws.receive()).data)
        seen.put((await first_message()).data)
        await ws.close()
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server)) as client:
        assert seen.get() == "gave up"
        client.send("to receive")
        client.send("to async for")
        assert seen.get() == "to receive"
        assert seen.get() == "to async for"


@pytest.mark.parametrize("wait_first", [True, False], ids=["waiting", "queued"])
def test_async_for_ends_at_the_clients_close(serve: Serve, wait_first: bool) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        if not wait_first:
            # The message and the Close frame are queued before the loop starts.
            await asyncio.sleep(0.2)
        seen.put(await data_of(ws))
        seen.put((ws.closed, ws.close_code))
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server)) as client:
        client.send("last words")
        client.close(code=4003)
    assert seen.get() == ["last words"]
    assert seen.get() == (True, 4003)


def test_async_for_ends_when_another_task_closes(serve: Serve) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)

        reader = asyncio.create_task(data_of(ws))
        await asyncio.sleep(0.05)
        closing = asyncio.create_task(ws.close(code=4004))
        seen.put(await reader)
        await closing
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server)) as client:
        with pytest.raises(ConnectionClosed) as info:
            client.recv(timeout=TIMEOUT)
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == 4004
    assert seen.get() == []


def test_async_for_with_a_receive_timeout_raises_when_nothing_comes(serve: Serve) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse(receive_timeout=0.05)
        await ws.prepare(request)
        received = []
        try:
            async for msg in ws:
                received.append(msg.data)
        except TimeoutError:
            seen.put(received)
        await ws.close()
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server)) as client:
        client.send("in time")
        assert seen.get() == ["in time"]


SOCKETS = AppKey("sockets", dict)


def test_logout_in_another_request_closes_the_users_sockets(serve: Serve) -> None:
    import httpx

    seen = Recorder()

    async def chat(request: Request) -> WebSocketResponse:
        user = request.query["user"]
        ws = WebSocketResponse()
        await ws.prepare(request)
        sockets: dict[str, set[WebSocketResponse]] = request.app[SOCKETS]
        sockets.setdefault(user, set()).add(ws)
        try:
            async for msg in ws:
                await ws.send_str(msg.data)
        finally:
            sockets[user].discard(ws)
        seen.put((user, ws.close_code))
        return ws

    async def logout(request: Request) -> Any:
        from transom.web import Response

        user = request.query["user"]
        for ws in set(request.app[SOCKETS].get(user, ())):
            await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"logged out")
        return Response(text="bye")

    app = Application()
    app[SOCKETS] = {}
    app.router.add_get("/ws", chat)
    app.router.add_get("/logout", logout)
    server = serve(app)
    with (
        connect(ws_url(server, "/ws?user=ann")) as ann1,
        connect(ws_url(server, "/ws?user=ann")) as ann2,
        connect(ws_url(server, "/ws?user=bob")) as bob,
    ):
        for client in (ann1, ann2, bob):
            client.send("ping")
            assert client.recv(TIMEOUT) == "ping"
        assert httpx.get(server.url("/logout?user=ann"), timeout=TIMEOUT).text == "bye"
        for client in (ann1, ann2):
            with pytest.raises(ConnectionClosed) as info:
                client.recv(TIMEOUT)
            assert info.value.rcvd is not None
            assert (info.value.rcvd.code, info.value.rcvd.reason) == (1008, "logged out")
        assert [seen.get(), seen.get()] == [("ann", 1008), ("ann", 1008)]
        bob.send("still here")
        assert bob.recv(TIMEOUT) == "still here"


def test_server_shutdown_closes_open_sockets_with_1001(serve: Serve) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_str(msg.data)
        seen.put(ws.close_code)
        return ws

    server = serve(app_with(handler), shutdown_timeout=5.0)
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(connect(ws_url(server))) for _ in range(3)]
        for client in clients:
            client.send("hi")
            assert client.recv(TIMEOUT) == "hi"
        started = time.monotonic()
        stopping = threading.Thread(
            target=server.call, args=(server.runner.cleanup(),), kwargs={"timeout": TIMEOUT}
        )
        stopping.start()
        for client in clients:
            with pytest.raises(ConnectionClosed) as info:
                client.recv(TIMEOUT)
            assert info.value.rcvd is not None
            assert info.value.rcvd.code == 1001
        stopping.join(TIMEOUT)
        # Well within shutdown_timeout: the sockets were closed, not waited out.
        assert time.monotonic() - started < 5.0
        assert [seen.get() for _ in clients] == [1001] * 3


# -- pings and heartbeat ------------------------------------------------------------


def test_pings_are_answered_and_hidden_by_default(serve: Serve) -> None:
    server = serve(app_with(echo))
    with connect(ws_url(server)) as client:
        client.ping(b"are you there").wait(TIMEOUT)
        client.send("after ping")
        assert client.recv(TIMEOUT) == "after ping"


def test_without_autoping_the_handler_sees_pings_and_pongs(serve: Serve) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse(autoping=False)
        await ws.prepare(request)
        ping = await ws.receive()
        seen.put((ping.type, ping.data))
        await ws.pong(ping.data)
        await ws.ping(b"yours")
        pong = await ws.receive()
        seen.put((pong.type, pong.data))
        await ws.close()
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server)) as client:
        assert client.ping(b"mine").wait(TIMEOUT)
        with pytest.raises(ConnectionClosed):
            client.recv(TIMEOUT)
    assert seen.get() == (WSMsgType.PING, b"mine")
    assert seen.get() == (WSMsgType.PONG, b"yours")


def test_heartbeat_closes_a_silent_peer_with_1006(
    serve: Serve, raw_clients: list[RawWebSocket]
) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse(heartbeat=0.2)
        await ws.prepare(request)
        msg = await ws.receive()
        seen.put((msg.type, type(msg.data), ws.close_code, type(ws.exception())))
        return ws

    server = serve(app_with(handler))
    raw = RawWebSocket(server)
    raw_clients.append(raw)
    # The raw client never answers pings.
    events = list(raw.events())
    assert type(events[0]).__name__ == "Ping"
    assert isinstance(events[-1], ConnectionEnded)
    assert seen.get() == (WSMsgType.ERROR, TimeoutError, 1006, TimeoutError)


def test_heartbeat_keeps_an_answering_peer(serve: Serve) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse(heartbeat=0.1)
        await ws.prepare(request)
        msg = await ws.receive()
        seen.put((msg.type, msg.data, ws.closed))
        await ws.close()
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server)) as client:
        # Several heartbeats pass; the websockets client answers each ping.
        time.sleep(0.6)
        client.send("still alive")
        assert seen.get() == (WSMsgType.TEXT, "still alive", False)


# -- failures on the wire -----------------------------------------------------------


def failing_handler(seen: Recorder, **options: Any) -> Callable[[Request], Any]:
    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse(**options)
        await ws.prepare(request)
        msg = await ws.receive()
        seen.put((msg.type, ws.close_code, type(ws.exception()).__name__))
        seen.put((await ws.receive()).type)
        return ws

    return handler


def test_a_message_over_max_msg_size_closes_with_1009(
    serve: Serve, raw_clients: list[RawWebSocket]
) -> None:
    seen = Recorder()
    server = serve(app_with(failing_handler(seen, max_msg_size=1000)))
    raw = RawWebSocket(server)
    raw_clients.append(raw)
    raw.send(raw.conn.send_bytes(b"x" * 1001))
    assert raw.next_close().code == 1009
    assert seen.get() == (WSMsgType.ERROR, 1009, "WebSocketProtocolError")
    assert seen.get() is WSMsgType.CLOSED


def test_max_msg_size_zero_means_no_limit(serve: Serve) -> None:
    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        msg = await ws.receive()
        await ws.send_str(str(len(msg.data)))
        await ws.close()
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server), max_size=None) as client:
        client.send(b"x" * (5 * 1024 * 1024))
        assert client.recv(TIMEOUT) == str(5 * 1024 * 1024)


def test_invalid_utf8_closes_with_1007(serve: Serve, raw_clients: list[RawWebSocket]) -> None:
    seen = Recorder()
    server = serve(app_with(failing_handler(seen)))
    raw = RawWebSocket(server)
    raw_clients.append(raw)
    frame = bytearray(raw.conn.send_bytes(b"\xff\xfe"))
    frame[0] = 0x81  # the same payload, as a text frame
    raw.send(bytes(frame))
    assert raw.next_close().code == 1007
    assert seen.get() == (WSMsgType.ERROR, 1007, "WebSocketProtocolError")


def test_an_unmasked_frame_closes_with_1002(serve: Serve, raw_clients: list[RawWebSocket]) -> None:
    seen = Recorder()
    server = serve(app_with(failing_handler(seen)))
    raw = RawWebSocket(server)
    raw_clients.append(raw)
    raw.send(b"\x81\x02hi")
    assert raw.next_close().code == 1002
    assert seen.get() == (WSMsgType.ERROR, 1002, "WebSocketProtocolError")


def test_a_dropped_connection_ends_the_loop_with_1006(serve: Serve) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        msg = await ws.receive()
        seen.put((msg.type, ws.close_code))
        return ws

    server = serve(app_with(handler))
    raw = RawWebSocket(server)
    raw.close()
    assert seen.get() == (WSMsgType.CLOSED, 1006)


# -- the receive and send helpers ---------------------------------------------------


def test_typed_receive_and_send_helpers(serve: Serve) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        seen.put(await ws.receive_str())
        seen.put(await ws.receive_bytes())
        seen.put(await ws.receive_json())
        try:
            await ws.receive_str()
        except TypeError as exc:
            seen.put(str(exc))
        try:
            await ws.receive_bytes()
        except TypeError as exc:
            seen.put(str(exc))
        await ws.send_json({"ok": True})
        await ws.send_json([1], dumps=lambda data: "custom")
        for wrong in (ws.send_str(b"x"), ws.send_bytes("x")):  # type: ignore[arg-type]
            try:
                await wrong
            except TypeError:
                seen.put("type error")
        try:
            await ws.write(b"raw")
        except RuntimeError as exc:
            seen.put(str(exc))
        try:
            await ws.receive(timeout=0.05)
        except TimeoutError:
            seen.put("timed out")
        await ws.close()
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server)) as client:
        client.send("text")
        client.send(b"bytes")
        client.send(json.dumps({"a": 1}))
        client.send(b"not text")
        client.send("not bytes")
        assert json.loads(client.recv(TIMEOUT)) == {"ok": True}
        assert client.recv(TIMEOUT) == "custom"
        assert [seen.get() for _ in range(3)] == ["text", b"bytes", {"a": 1}]
        assert "is not str" in seen.get()
        assert "is not bytes" in seen.get()
        assert [seen.get(), seen.get()] == ["type error", "type error"]
        assert "Cannot call .write()" in seen.get()
        assert seen.get() == "timed out"


def test_unread_messages_pause_the_socket_and_all_arrive(serve: Serve) -> None:
    seen = Recorder()
    go = threading.Event()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        await asyncio.to_thread(go.wait, TIMEOUT)
        count = 0
        async for msg in ws:
            if msg.data == "end":
                break
            assert msg.data == str(count) * 1000
            count += 1
        seen.put(count)
        await ws.close()
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server)) as client:
        for i in range(300):
            client.send(str(i) * 1000)
        client.send("end")
        go.set()
        assert seen.get() == 300


def test_messages_before_the_handler_reads_are_kept_in_order(serve: Serve) -> None:
    seen = Recorder()

    async def handler(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        await asyncio.sleep(0.1)
        seen.put([(await ws.receive()).data for _ in range(3)])
        await ws.close()
        return ws

    server = serve(app_with(handler))
    with connect(ws_url(server)) as client:
        for word in ("one", "two", "three"):
            client.send(word)
        assert seen.get() == ["one", "two", "three"]


def test_not_prepared_and_mocked_requests_are_refused() -> None:
    ws = WebSocketResponse()
    assert ws.closed is False
    assert ws.close_code is None
    assert ws.exception() is None
    assert ws.ws_protocol is None
    assert ws.compress is True
    assert ws.get_extra_info("peername", "none") == "none"
    with pytest.raises(RuntimeError, match="prepare"):
        asyncio.run(ws.send_str("x"))
    with pytest.raises(RuntimeError, match="prepare"):
        asyncio.run(ws.receive())
    with pytest.raises(RuntimeError, match="prepare"):
        asyncio.run(ws.write_eof())
    with pytest.raises(ValueError, match="heartbeat"):
        WebSocketResponse(heartbeat=0)


def test_ws_message_is_the_protocol_type() -> None:
    from transom.protocol import websocket

    assert WSMessage is websocket.WSMessage
    assert WSMsgType is websocket.WSMsgType
    assert WSCloseCode is websocket.CloseCode


def test_post_is_not_a_websocket_upgrade(serve: Serve) -> None:
    app = Application()
    app.router.add_route("*", "/ws", echo)
    server = serve(app)
    conn = server.raw()
    conn.request("POST", "/ws", headers=upgrade_headers())
    response = conn.read_response()
    assert response.status == 405
    conn.close()


def test_a_message_before_a_protocol_error_is_still_answered(
    serve: Serve, raw_clients: list[RawWebSocket]
) -> None:
    server = serve(app_with(echo))
    raw = RawWebSocket(server)
    raw_clients.append(raw)
    # A valid message and a broken frame (reserved opcode) in one segment.
    raw.send(raw.conn.send_text("before the error") + b"\x83\x80\x00\x00\x00\x00")
    events = list(raw.events())
    assert type(events[0]).__name__ == "TextMessage"
    assert events[0].data == "before the error"  # type: ignore[union-attr]
    assert isinstance(events[1], CloseReceived)
    assert events[1].code == 1002


def test_an_unprepared_websocket_refuses_to_receive_iterate_or_send() -> None:
    async def main() -> None:
        ws = WebSocketResponse()
        with pytest.raises(RuntimeError, match=r"prepare\(\)"):
            await ws.receive()
        with pytest.raises(RuntimeError, match=r"prepare\(\)"):
            async for _ in ws:
                pass
        with pytest.raises(RuntimeError, match=r"prepare\(\)"):
            await ws.send_str("x")
        with pytest.raises(RuntimeError, match=r"prepare\(\)"):
            await ws.send_bytes(b"x")

    asyncio.run(main())
