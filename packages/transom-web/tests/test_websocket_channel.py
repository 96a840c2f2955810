"""The asyncio driver of a WebSocket: messages delivered inside data_received, batched frames.

A server connection is driven here with a stub transport, so that the tests
can tell what happened inside one protocol callback and what waited for the
next pass of the loop. ``test_websocket.py`` covers the same code over real
sockets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from transom.protocol.websocket import (
    NEED_DATA,
    CloseReceived,
    Role,
    TextMessage,
    WebSocketConnection,
    client_handshake_request,
)
from transom.web import Application, AppRunner, Request, WebSocketResponse, WSMsgType
from transom.web._output_batch import HOLD_LIMIT

# -- a server's WebSocket over a stub transport -----------------------------------


class StubTransport(asyncio.Transport):
    """A socket that logs each write as the frames' texts, and its closing."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log
        self.protocol: asyncio.Protocol | None = None
        self.closed = False
        self.frames = WebSocketConnection(Role.CLIENT, max_message_size=None)
        self.switched = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 8080)}.get(
            name, default
        )

    def write(self, data: bytes | bytearray | memoryview) -> None:
        data = bytes(data)
        if not self.switched:
            self.log.append(data.split(b"\r\n", 1)[0].decode())
            self.switched = True
            return
        self.frames.receive_data(data)
        texts = []
        while (event := self.frames.next_event()) is not NEED_DATA:
            if isinstance(event, TextMessage):
                texts.append(event.data if len(event.data) < 20 else f"{len(event.data)} chars")
            else:
                texts.append(type(event).__name__)
            if isinstance(event, CloseReceived) and self.protocol is not None:
                # Answer the server's Close, as a client does.
                reply = self.frames.send_close(event.code)
                asyncio.get_running_loop().call_soon(self.protocol.data_received, reply)
        self.log.append("write " + " ".join(texts))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        if not self.closed:
            self.log.append("close")
            self.closed = True
            assert self.protocol is not None
            asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()

    def pause_reading(self) -> None:
        """Nothing to pause."""

    def resume_reading(self) -> None:
        """Nothing to resume."""

    def can_write_eof(self) -> bool:
        return True

    def get_write_buffer_size(self) -> int:
        return 0


def _upgrade_request() -> bytes:
    handshake = client_handshake_request()
    lines = ["GET /ws HTTP/1.1", "Host: h"] + [f"{n}: {v}" for n, v in handshake.headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _text_frame(text: str) -> bytes:
    return WebSocketConnection(Role.CLIENT, max_message_size=None).send_text(text)


async def _serve_websocket(
    handler: Callable[[WebSocketResponse, list[str]], Awaitable[None]],
    frames: list[bytes],
    *,
    alone: bool = False,
) -> list[str]:
    """Open a WebSocket to ``handler`` on a stub transport, send ``frames``, log what follows.

    Each frame arrives in a loop callback of its own, as a socket's bytes do;
    the log records ``arrived`` right after each ``data_received`` returns.
    Unless ``alone``, another (idle) connection is open, so that small frames
    are held for the loop pass's batch.
    """
    log: list[str] = []

    async def endpoint(request: Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        await handler(ws, log)
        return ws

    app = Application()
    app.router.add_get("/ws", endpoint)
    runner = AppRunner(app, access_log=None)
    await runner.setup()
    assert runner.server is not None
    try:
        loop = asyncio.get_running_loop()
        protocol = runner.server()
        transport = StubTransport(log)
        transport.protocol = protocol
        protocol.connection_made(transport)
        protocol.data_received(_upgrade_request())
        if not alone:
            idle = runner.server()
            idle_transport = StubTransport([])
            idle_transport.protocol = idle
            idle.connection_made(idle_transport)
        for _ in range(5):
            await asyncio.sleep(0)

        for frame in frames:

            def arrive(frame: bytes = frame) -> None:
                protocol.data_received(frame)
                log.append("arrived")

            loop.call_soon(arrive)
            for _ in range(5):
                await asyncio.sleep(0)
    finally:
        await runner.cleanup()
    return log


def test_a_message_reaches_the_waiting_handler_inside_data_received() -> None:
    async def handler(ws: WebSocketResponse, log: list[str]) -> None:
        async for msg in ws:
            log.append(f"handled {msg.data}")

    log = asyncio.run(_serve_websocket(handler, [_text_frame("a"), _text_frame("b")]))
    assert log[:5] == [
        "HTTP/1.1 101 Switching Protocols",
        "handled a",
        "arrived",
        "handled b",
        "arrived",
    ]


def test_receive_also_gets_its_message_inside_data_received() -> None:
    async def handler(ws: WebSocketResponse, log: list[str]) -> None:
        while True:
            msg = await ws.receive()
            if msg.type is not WSMsgType.TEXT:
                return
            log.append(f"handled {msg.data}")

    log = asyncio.run(_serve_websocket(handler, [_text_frame("a")]))
    assert log[1:3] == ["handled a", "arrived"]


async def _echo_twice(ws: WebSocketResponse, log: list[str]) -> None:
    """Answer each message with two frames, then log that they were sent."""
    async for msg in ws:
        await ws.send_str(f"{msg.data}1")
        await ws.send_str(f"{msg.data}2")
        log.append("sent")


def test_frames_sent_in_one_pass_leave_in_one_write_after_it() -> None:
    log = asyncio.run(_serve_websocket(_echo_twice, [_text_frame("a"), _text_frame("b")]))
    assert log[1:7] == ["sent", "arrived", "write a1 a2", "sent", "arrived", "write b1 b2"]


def test_frames_of_the_only_connection_are_written_at_once() -> None:
    log = asyncio.run(_serve_websocket(_echo_twice, [_text_frame("a")], alone=True))
    assert log[1:5] == ["write a1", "write a2", "sent", "arrived"]


def test_a_large_frame_is_written_at_once_after_the_held_ones() -> None:
    async def handler(ws: WebSocketResponse, log: list[str]) -> None:
        await ws.receive()
        await ws.send_str("small")
        await ws.send_str("x" * (HOLD_LIMIT + 1))
        log.append("sent")

    log = asyncio.run(_serve_websocket(handler, [_text_frame("go")]))
    assert log[1:4] == ["write small", f"write {HOLD_LIMIT + 1} chars", "sent"]


def test_held_frames_leave_before_the_close_frame_and_the_closing() -> None:
    async def handler(ws: WebSocketResponse, log: list[str]) -> None:
        await ws.receive()
        await ws.send_str("last")
        log.append("sent")
        await ws.close()

    log = asyncio.run(_serve_websocket(handler, [_text_frame("go")]))
    assert log[1:3] == ["sent", "write last"]
    assert log[3] == "write CloseReceived"


def test_an_iteration_end_is_not_delivered_inside_the_callback() -> None:
    async def handler(ws: WebSocketResponse, log: list[str]) -> None:
        async for msg in ws:
            log.append(f"handled {msg.data}")
        log.append(f"ended {ws.close_code}")

    close = WebSocketConnection(Role.CLIENT, max_message_size=None).send_close(1000)
    log = asyncio.run(_serve_websocket(handler, [_text_frame("a"), close]))
    assert log[1:3] == ["handled a", "arrived"]
    # The peer's Close is answered; the handler learns of it from the loop.
    assert log.index("arrived", 3) < log.index("ended 1000")
    assert "write CloseReceived" in log
