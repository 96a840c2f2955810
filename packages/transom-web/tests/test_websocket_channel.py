"""The asyncio driver of a WebSocket: eager delivery to the reader, batched frames.

A server connection is driven here with a stub transport, so that the tests
can tell what happened inside one protocol callback and what waited for the
next pass of the loop. ``test_websocket.py`` covers the same code over real
sockets.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import Any, cast

import pytest

from transom.protocol.websocket import (
    NEED_DATA,
    CloseReceived,
    Role,
    TextMessage,
    WebSocketConnection,
    client_handshake_request,
)
from transom.web import Application, AppRunner, Request, WebSocketResponse, WSMsgType
from transom.web._websocket_channel import HOLD_LIMIT, MessageWaiter

# -- MessageWaiter: the future contract -------------------------------------------


def _run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())  # type: ignore[arg-type]


def test_a_waiter_is_a_future_to_asyncio() -> None:
    async def main() -> None:
        waiter = MessageWaiter(asyncio.get_running_loop())
        candidate: object = waiter
        assert asyncio.isfuture(candidate)
        assert waiter.get_loop() is asyncio.get_running_loop()
        assert not waiter.done()
        with pytest.raises(asyncio.InvalidStateError):
            waiter.result()
        with pytest.raises(asyncio.InvalidStateError):
            waiter.exception()
        waiter.set_result("a")
        assert waiter.done()
        assert not waiter.cancelled()
        assert waiter.result() == "a"
        assert waiter.exception() is None
        result: object = await waiter
        assert result == "a"
        with pytest.raises(asyncio.InvalidStateError):
            waiter.set_result("b")
        with pytest.raises(asyncio.InvalidStateError):
            waiter.set_exception(ValueError())
        assert waiter.cancel() is False

    _run(main)


def test_a_waiter_raises_its_exception() -> None:
    async def main() -> None:
        waiter = MessageWaiter(asyncio.get_running_loop())
        error = StopAsyncIteration()
        waiter.set_exception(error)
        assert waiter.exception() is error
        with pytest.raises(StopAsyncIteration):
            waiter.result()
        with pytest.raises(StopAsyncIteration):
            await waiter

    _run(main)


def test_cancelling_a_waiter_wakes_its_task_with_cancelled_error() -> None:
    async def main() -> None:
        waiter = MessageWaiter(asyncio.get_running_loop())
        task = asyncio.ensure_future(_await(waiter))
        await asyncio.sleep(0)
        assert waiter.cancel("stop") is True
        assert waiter.cancelled()
        with pytest.raises(asyncio.CancelledError, match="stop"):
            waiter.result()
        with pytest.raises(asyncio.CancelledError):
            waiter.exception()
        with pytest.raises(asyncio.CancelledError):
            await task

    _run(main)


def test_cancelling_the_task_cancels_the_waiter() -> None:
    async def main() -> None:
        waiter = MessageWaiter(asyncio.get_running_loop())
        task = asyncio.ensure_future(_await(waiter))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert waiter.cancelled()

    _run(main)


def test_asyncio_helpers_wait_on_a_waiter() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        waiter = MessageWaiter(loop)
        loop.call_soon(waiter.set_result, "a")
        done, pending = await asyncio.wait([cast("asyncio.Future[Any]", waiter)], timeout=5)
        assert done == {cast("asyncio.Future[Any]", waiter)}
        assert not pending
        assert await asyncio.wait_for(_await(MessageWaiter(loop), "b"), 5) == "b"
        slow = MessageWaiter(loop)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(_await(slow), 0.01)
        assert slow.cancelled()

    _run(main)


def test_done_callbacks_run_from_the_loop_in_their_context() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        variable: contextvars.ContextVar[str] = contextvars.ContextVar("variable")
        context = contextvars.copy_context()
        context.run(variable.set, "theirs")
        seen: list[Any] = []
        waiter = MessageWaiter(loop)
        waiter.add_done_callback(lambda w: seen.append(("first", w.result())))
        waiter.add_done_callback(lambda w: seen.append(variable.get("none")), context=context)
        waiter.set_result("a")
        assert seen == []
        await asyncio.sleep(0)
        assert seen == [("first", "a"), "theirs"]
        # Added once done: still called by the loop, not at once.
        waiter.add_done_callback(lambda w: seen.append("late"))
        assert seen[-1] == "theirs"
        await asyncio.sleep(0)
        assert seen[-1] == "late"

    _run(main)


def test_a_removed_done_callback_is_not_called() -> None:
    async def main() -> None:
        seen: list[str] = []

        def callback(waiter: MessageWaiter) -> None:
            seen.append("called")

        waiter = MessageWaiter(asyncio.get_running_loop())
        waiter.add_done_callback(callback)
        waiter.add_done_callback(callback)
        assert waiter.remove_done_callback(callback) == 2
        assert waiter.remove_done_callback(callback) == 0
        waiter.set_result("a")
        await asyncio.sleep(0)
        assert seen == []

    _run(main)


async def _waiting_reader(log: list[str]) -> tuple[MessageWaiter, asyncio.Task[None]]:
    """A waiter, and a task that awaits it and logs what it got."""
    waiter = MessageWaiter(asyncio.get_running_loop())

    async def reader() -> None:
        log.append(f"got {await waiter}")

    task = asyncio.get_running_loop().create_task(reader())
    await asyncio.sleep(0)
    return waiter, task


def _deliver_from_a_loop_callback(waiter: MessageWaiter, log: list[str]) -> None:
    def deliver() -> None:
        waiter.deliver("a")  # type: ignore[arg-type]
        log.append("delivered")

    waiter.get_loop().call_soon(deliver)


def test_deliver_runs_the_waiting_task_at_once_from_a_loop_callback() -> None:
    async def main() -> None:
        log: list[str] = []
        waiter, task = await _waiting_reader(log)
        _deliver_from_a_loop_callback(waiter, log)
        await task
        assert log == ["got a", "delivered"]

    _run(main)


def test_deliver_inside_a_task_leaves_the_waiting_task_to_the_loop() -> None:
    async def main() -> None:
        log: list[str] = []
        waiter, task = await _waiting_reader(log)
        waiter.deliver("a")  # type: ignore[arg-type]
        log.append("delivered")
        await task
        assert log == ["delivered", "got a"]
        with pytest.raises(asyncio.InvalidStateError):
            waiter.deliver("b")  # type: ignore[arg-type]

    _run(main)


def test_deliver_with_other_callbacks_leaves_every_one_to_the_loop() -> None:
    async def main() -> None:
        log: list[str] = []
        waiter, task = await _waiting_reader(log)
        waiter.add_done_callback(lambda w: log.append("callback"))
        _deliver_from_a_loop_callback(waiter, log)
        await task
        await asyncio.sleep(0)
        assert log == ["delivered", "got a", "callback"]

    _run(main)


async def _await(waiter: MessageWaiter, result: Any = None) -> Any:
    if result is not None:
        waiter.get_loop().call_soon(waiter.set_result, result)
    return await waiter


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


def test_frames_sent_in_one_pass_leave_in_one_write_after_it() -> None:
    async def handler(ws: WebSocketResponse, log: list[str]) -> None:
        async for msg in ws:
            await ws.send_str(f"{msg.data}1")
            await ws.send_str(f"{msg.data}2")
            log.append("sent")

    log = asyncio.run(_serve_websocket(handler, [_text_frame("a"), _text_frame("b")]))
    assert log[1:7] == ["sent", "arrived", "write a1 a2", "sent", "arrived", "write b1 b2"]


def test_frames_of_the_only_connection_are_written_at_once() -> None:
    async def handler(ws: WebSocketResponse, log: list[str]) -> None:
        async for msg in ws:
            await ws.send_str(f"{msg.data}1")
            await ws.send_str(f"{msg.data}2")
            log.append("sent")

    log = asyncio.run(_serve_websocket(handler, [_text_frame("a")], alone=True))
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
