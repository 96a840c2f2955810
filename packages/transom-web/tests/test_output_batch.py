"""Small answers finished in one pass of the event loop leave together, after it."""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING, Any

import pytest

from transom.web import Application, AppRunner, Request, Response
from transom.web._output_batch import HOLD_LIMIT, HeldOutput, OutputBatch

if TYPE_CHECKING:
    from tests.conftest import Serve


class Recorder:
    """A connection that records its flushes in a shared log."""

    def __init__(self, name: str, log: list[str], fail: bool = False) -> None:
        self.name = name
        self.log = log
        self.fail = fail

    def flush_output(self) -> None:
        self.log.append(self.name)
        if self.fail:
            raise RuntimeError(f"{self.name} broke")


async def _test_one_callback_flushes_every_waiting_connection_in_order() -> None:
    loop = asyncio.get_running_loop()
    batch = OutputBatch(loop)
    log: list[str] = []
    for name in "abc":
        batch.add(Recorder(name, log))
    assert log == []
    assert len(loop._ready) == 1  # type: ignore[attr-defined]
    await asyncio.sleep(0)
    assert log == ["a", "b", "c"]
    batch.add(Recorder("d", log))
    await asyncio.sleep(0)
    assert log == ["a", "b", "c", "d"]


async def _test_a_failing_flush_is_reported_and_the_others_still_run() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda loop, context: reported.append(context))
    batch = OutputBatch(loop)
    log: list[str] = []
    batch.add(Recorder("a", log, fail=True))
    batch.add(Recorder("b", log))
    await asyncio.sleep(0)
    assert log == ["a", "b"]
    assert [str(context["exception"]) for context in reported] == ["a broke"]


class LoggingTransport(asyncio.Transport):
    """A stub socket that logs what it is given."""

    def __init__(self, name: str, log: list[str], protocol: asyncio.Protocol) -> None:
        super().__init__()
        self.name = name
        self.log = log
        self.protocol = protocol
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 8080)}.get(
            name, default
        )

    def write(self, data: bytes | bytearray | memoryview) -> None:
        status = bytes(data).split(b"\r\n", 1)[0].decode()
        self.log.append(f"write {self.name}: {status}")

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        if not self.closed:
            self.log.append(f"close {self.name}")
            self.closed = True
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


async def _serve_to_stubs(
    app: Application, log: list[str], requests: dict[str, bytes]
) -> list[str]:
    """Hand each request to a connection of its own in one pass; the log once settled."""
    runner = AppRunner(app, access_log=None)
    await runner.setup()
    assert runner.server is not None
    try:
        for name, request in requests.items():
            protocol = runner.server()
            protocol.connection_made(LoggingTransport(name, log, protocol))
            protocol.data_received(request)
        for _ in range(5):
            await asyncio.sleep(0)
    finally:
        await runner.cleanup()
    return log


def _app(log: list[str], body: bytes = b"hi") -> Application:
    async def handler(request: Request) -> Response:
        log.append(f"handled {request.path}")
        return Response(body=body)

    app = Application()
    app.router.add_get("/{name}", handler)
    return app


def _gets(names: str) -> dict[str, bytes]:
    return {name: f"GET /{name} HTTP/1.1\r\nHost: h\r\n\r\n".encode() for name in names}


async def _test_answers_of_one_pass_are_written_after_every_handler_of_the_pass() -> None:
    log: list[str] = []
    await _serve_to_stubs(_app(log), log, _gets("abc"))
    assert log[:6] == [
        "handled /a",
        "handled /b",
        "handled /c",
        "write a: HTTP/1.1 200 OK",
        "write b: HTTP/1.1 200 OK",
        "write c: HTTP/1.1 200 OK",
    ]


async def _test_a_large_answer_is_written_at_once() -> None:
    log: list[str] = []
    await _serve_to_stubs(_app(log, body=b"x" * (HOLD_LIMIT + 1)), log, _gets("ab"))
    assert log[:4] == [
        "handled /a",
        "write a: HTTP/1.1 200 OK",
        "handled /b",
        "write b: HTTP/1.1 200 OK",
    ]


async def _test_an_answer_the_handler_finishes_itself_is_written_at_once() -> None:
    log: list[str] = []

    async def handler(request: Request) -> Response:
        response = Response(text="early")
        await response.prepare(request)
        await response.write_eof()
        log.append("work after write_eof")
        return response

    app = Application()
    app.router.add_get("/", handler)
    await _serve_to_stubs(app, log, {"a": b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"})
    assert log[:2] == ["write a: HTTP/1.1 200 OK", "work after write_eof"]


async def _test_a_held_answer_is_written_before_the_connection_closes() -> None:
    log: list[str] = []
    request = b"GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    # "b" stays open and idle: with a second connection, answers are held.
    await _serve_to_stubs(_app(log), log, {"a": request, "b": b""})
    assert log == ["handled /a", "write a: HTTP/1.1 200 OK", "close a", "close b"]


def test_a_message_over_the_hold_limit_is_not_held() -> None:
    loop = asyncio.new_event_loop()
    try:
        log: list[str] = []
        batch = OutputBatch(loop)
        held = HeldOutput(batch, Recorder("a", log))
        HeldOutput(batch, Recorder("b", log))
        assert held.add(b"x" * (HOLD_LIMIT + 1)) is False
        assert not held
        assert held.add(b"x" * HOLD_LIMIT) is True
        assert held.take() == b"x" * HOLD_LIMIT
        loop.run_until_complete(asyncio.sleep(0))
        # Only the message that was held joined the batch.
        assert log == ["a"]
    finally:
        loop.close()


def test_held_output_is_taken_whole_and_in_order() -> None:
    loop = asyncio.new_event_loop()
    try:
        batch = OutputBatch(loop)
        log: list[str] = []
        held = HeldOutput(batch, Recorder("a", log))
        HeldOutput(batch, Recorder("b", log))
        assert not held
        assert held.take() == b""
        assert held.add(b"one ") is True
        assert held.add(b"two") is True
        assert held
        assert held.take() == b"one two"
        assert not held
        held.add(b"three")
        held.drop()
        assert held.take() == b""
        loop.run_until_complete(asyncio.sleep(0))
        # The batch was joined twice: once per time the hold went from empty to not.
        assert log == ["a", "a"]
    finally:
        loop.close()


def _busy(batch: OutputBatch) -> bool:
    return batch.busy


def test_nothing_is_held_while_the_loop_has_one_open_connection() -> None:
    loop = asyncio.new_event_loop()
    try:
        batch = OutputBatch(loop)
        log: list[str] = []
        held = HeldOutput(batch, Recorder("a", log))
        assert not _busy(batch)
        assert held.add(b"alone") is False
        other = HeldOutput(batch, Recorder("b", log))
        assert _busy(batch)
        assert held.add(b"together") is True
        other.close()
        other.close()
        assert not _busy(batch)
        assert held.add(b"alone again") is False
        assert held.take() == b"together"
        held.close()
        HeldOutput(batch, Recorder("c", log))
        assert not _busy(batch)
    finally:
        loop.close()


@pytest.mark.parametrize("follow_up", [b"BROKEN\r\n\r\n", b"GET /b HTTP/1.1\r\n\r\n"])
def test_an_error_answer_follows_the_held_answer_of_the_request_before(
    serve: Serve, follow_up: bytes
) -> None:
    """A pipelined request the parser refuses is answered at once, after the held answer."""

    async def handler(request: Request) -> Response:
        return Response(text=f"answer {request.path}")

    server = serve(handler)
    with server.connect() as sock:
        sock.sendall(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n" + follow_up)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    first, second = received.split(b"HTTP/1.1 ")[1:]
    assert first.startswith(b"200 OK")
    assert first.endswith(b"answer /a")
    assert second.startswith(b"400 ")


def test_answers_to_many_connections_on_a_real_socket(serve: Serve) -> None:
    async def handler(request: Request) -> Response:
        return Response(text=request.path)

    server = serve(handler)
    sockets = [server.connect() for _ in range(8)]
    try:
        for rounds in range(3):
            for number, sock in enumerate(sockets):
                sock.sendall(f"GET /{number}-{rounds} HTTP/1.1\r\nHost: h\r\n\r\n".encode())
            for number, sock in enumerate(sockets):
                expected = f"/{number}-{rounds}".encode()
                received = b""
                while not received.endswith(expected):
                    chunk = sock.recv(65536)
                    assert chunk, "the server closed the connection"
                    received += chunk
                assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    finally:
        for sock in sockets:
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def test_one_callback_flushes_every_waiting_connection_in_order() -> None:
    asyncio.run(_test_one_callback_flushes_every_waiting_connection_in_order())


def test_a_failing_flush_is_reported_and_the_others_still_run() -> None:
    asyncio.run(_test_a_failing_flush_is_reported_and_the_others_still_run())


def test_answers_of_one_pass_are_written_after_every_handler_of_the_pass() -> None:
    asyncio.run(_test_answers_of_one_pass_are_written_after_every_handler_of_the_pass())


def test_a_large_answer_is_written_at_once() -> None:
    asyncio.run(_test_a_large_answer_is_written_at_once())


def test_an_answer_the_handler_finishes_itself_is_written_at_once() -> None:
    asyncio.run(_test_an_answer_the_handler_finishes_itself_is_written_at_once())


def test_a_held_answer_is_written_before_the_connection_closes() -> None:
    asyncio.run(_test_a_held_answer_is_written_before_the_connection_closes())
