"""The server connection over real sockets: keep-alive, pipelining, errors, limits, flow control."""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import threading
import types
from collections.abc import Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any, ClassVar

import h11
import httpx
import pytest
import uvloop

from transom.web import BaseRequest, HTTPFound, Request, Response, StreamResponse

if TYPE_CHECKING:
    from tests.conftest import Serve


async def echo(request: Request) -> Response:
    body = await request.read()
    return Response(text=f"{request.method} {request.raw_path} {len(body)}:{body.decode()}")


def test_keep_alive_serves_several_requests_on_one_connection(serve: Serve) -> None:
    server = serve(echo)
    raw = server.raw()
    try:
        for number in range(3):
            raw.request("GET", f"/{number}")
            response = raw.read_response()
            assert response.status == 200
            assert response.body == f"GET /{number} 0:".encode()
            raw.next_cycle()
    finally:
        raw.close()


def test_pipelined_requests_are_answered_in_order(serve: Serve) -> None:
    async def slow_first(request: Request) -> Response:
        # The first request is the slowest: its answer must still come first.
        await asyncio.sleep({"/a": 0.05, "/b": 0.01, "/c": 0.0}[request.path])
        return Response(text=request.path)

    server = serve(slow_first)
    raw = server.raw()
    try:
        raw.send(
            b"".join(f"GET {p} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for p in ["/a", "/b", "/c"])
        )
        bodies = []
        for path in ("/a", "/b", "/c"):
            raw.expect("GET", path)
            bodies.append(raw.read_response().body)
            raw.next_cycle()
        assert bodies == [b"/a", b"/b", b"/c"]
    finally:
        raw.close()


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            400,
        ),
        (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
    ],
    ids=["repeated-length", "length-and-chunked", "space-before-colon", "long-target", "gzip-te"],
)
def test_a_malformed_request_is_answered_with_the_core_status_then_closed(
    serve: Serve, request_bytes: bytes, status: int
) -> None:
    server = serve(echo)
    raw = server.raw()
    try:
        raw.send(request_bytes)
        raw.expect()
        response = raw.read_response()
        assert response.status == status
        assert response.headers["connection"] == "close"
        assert raw.server_closed()
    finally:
        raw.close()


def test_too_many_header_fields_get_431(serve: Serve) -> None:
    server = serve(echo, max_header_count=5)
    raw = server.raw()
    try:
        fields = "".join(f"X-{n}: {n}\r\n" for n in range(10))
        raw.send(f"GET / HTTP/1.1\r\nHost: x\r\n{fields}\r\n".encode())
        raw.expect()
        assert raw.read_response().status == 431
        assert raw.server_closed()
    finally:
        raw.close()


def test_a_malformed_chunked_body_fails_the_read_and_answers_400(serve: Serve) -> None:
    seen: list[BaseException] = []

    async def reader(request: Request) -> Response:
        try:
            await request.read()
        except Exception as exc:
            seen.append(exc)
            raise
        return Response(text="unreachable")

    server = serve(reader)
    raw = server.raw()
    try:
        raw.send(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n")
        raw.expect("POST")
        response = raw.read_response()
        assert response.status == 400
        assert raw.server_closed()
    finally:
        raw.close()
    assert len(seen) == 1


def test_expect_100_continue_is_answered_when_the_handler_reads(serve: Serve) -> None:
    server = serve(echo)
    raw = server.raw()
    try:
        raw.send_head("POST", "/up", [("Content-Length", "5"), ("Expect", "100-continue")])
        assert raw.read_interim() == 100
        raw.send_body(b"hello")
        response = raw.read_response()
        assert response.status == 200
        assert response.body == b"POST /up 5:hello"
    finally:
        raw.close()


def test_no_100_continue_is_sent_when_the_handler_refuses_without_reading(serve: Serve) -> None:
    async def refuse(request: Request) -> Response:
        return Response(status=401, text="no")

    server = serve(refuse)
    raw = server.raw()
    try:
        raw.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n"
        )
        raw.expect("POST")
        response = raw.read_response()
        assert response.interim == []
        assert response.status == 401
        assert response.headers["connection"] == "close"
    finally:
        raw.close()


def test_curl_sends_an_expect_100_continue_upload(serve: Serve, tmp_path: Any) -> None:
    server = serve(echo)
    upload = tmp_path / "upload.bin"
    upload.write_bytes(b"x" * 2048)
    result = subprocess.run(
        [
            "curl", "-sS", "--max-time", "10", "-H", "Expect: 100-continue",
            "--data-binary", f"@{upload}", server.url("/upload"),
        ],
        capture_output=True,
        check=True,
        text=True,
    )  # fmt: skip
    assert result.stdout == "POST /upload 2048:" + "x" * 2048


def test_a_slow_request_head_gets_408_and_is_closed(serve: Serve) -> None:
    server = serve(echo, request_header_timeout=0.2)
    raw = server.raw()
    try:
        raw.send(b"GET / HTTP/1.1\r\nHost:")
        raw.expect()
        response = raw.read_response()
        assert response.status == 408
        assert raw.server_closed()
    finally:
        raw.close()


def test_a_connection_that_sends_nothing_is_closed_after_the_head_timeout(serve: Serve) -> None:
    server = serve(echo, request_header_timeout=0.2)
    raw = server.raw()
    try:
        assert raw.server_closed()
    finally:
        raw.close()


def test_an_idle_keep_alive_connection_is_closed_after_the_keepalive_timeout(
    serve: Serve,
) -> None:
    server = serve(echo, keepalive_timeout=0.2)
    raw = server.raw()
    try:
        raw.request()
        assert raw.read_response().status == 200
        # Closed quietly: an idle connection gets no 408.
        assert raw.sock.recv(1024) == b""
    finally:
        raw.close()


def test_a_handler_exception_is_a_500_and_the_connection_keeps_serving(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    async def handler(request: Request) -> Response:
        if request.path == "/boom":
            raise ValueError("secret detail")
        return Response(text="fine")

    server = serve(handler)
    raw = server.raw()
    with caplog.at_level(logging.ERROR, logger="transom.web.server"):
        try:
            raw.request("GET", "/boom")
            response = raw.read_response()
            assert response.status == 500
            assert b"secret" not in response.body
            assert b"Traceback" not in response.body
            raw.next_cycle()
            raw.request("GET", "/next")
            assert raw.read_response().body == b"fine"
        finally:
            raw.close()
    records = [r for r in caplog.records if r.name == "transom.web.server"]
    assert records
    assert records[0].exc_info is not None
    assert isinstance(records[0].exc_info[1], ValueError)


def test_a_handler_returning_a_non_response_is_a_500(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    async def handler(request: Request) -> Any:
        return "not a response"

    server = serve(handler)
    with caplog.at_level(logging.ERROR, logger="transom.web.server"):
        assert httpx.get(server.url("/")).status_code == 500
    messages = [r.getMessage() for r in caplog.records if r.name == "transom.web.server"]
    assert messages == ["handler for GET / returned str, not a response"]


def test_an_http_exception_raised_or_returned_is_answered_with_its_response(
    serve: Serve,
) -> None:
    async def handler(request: Request) -> Any:
        redirect = HTTPFound("/login")
        redirect.set_cookie("next", request.path)
        if request.query.get("how") == "return":
            return redirect
        raise redirect

    server = serve(handler)
    with httpx.Client() as client:
        for how in ("raise", "return"):
            response = client.get(server.url(f"/account?how={how}"))
            assert response.status_code == 302
            assert response.headers["Location"] == "/login"
            assert response.headers["Set-Cookie"] == "next=/account; Path=/"
            assert response.text == "302: Found"


def test_returning_an_already_sent_response_is_a_500_naming_the_fix(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    shared = Response(text="shared")

    async def handler(request: Request) -> Response:
        return shared

    server = serve(handler)
    with httpx.Client() as client, caplog.at_level(logging.ERROR, logger="transom.web.server"):
        assert client.get(server.url("/")).text == "shared"
        second = client.get(server.url("/"))
    assert second.status_code == 500
    messages = [str(r.exc_info[1]) for r in caplog.records if r.exc_info]
    assert any("create a new response object for each request" in m for m in messages)


def test_a_response_subclass_overriding_prepare_and_write_eof_is_honoured(
    serve: Serve,
) -> None:
    calls: list[str] = []

    class Stamped(Response):
        async def prepare(self, request: BaseRequest) -> None:
            calls.append("prepare")
            self.headers["X-Stamp"] = "prepared"
            await super().prepare(request)

        async def write_eof(self, data: bytes = b"") -> None:
            calls.append("write_eof")
            await super().write_eof(data)

    async def handler(request: Request) -> Response:
        return Stamped(text="stamped")

    server = serve(handler)
    with httpx.Client() as client:
        response = client.get(server.url("/"))
    assert (response.text, response.headers["X-Stamp"]) == ("stamped", "prepared")
    assert calls == ["prepare", "write_eof"]


def test_preparing_an_already_sent_response_raises_at_once(serve: Serve) -> None:
    shared = StreamResponse()
    errors: list[str] = []

    async def handler(request: Request) -> StreamResponse:
        if shared.prepared:
            try:
                await shared.prepare(request)
            except RuntimeError as exc:
                errors.append(str(exc))
                return Response(text="fresh")
        await shared.prepare(request)
        await shared.write(b"first")
        return shared

    server = serve(handler)
    with httpx.Client() as client:
        assert client.get(server.url("/")).text == "first"
        assert client.get(server.url("/")).text == "fresh"
    assert errors
    assert "create a new response object for each request" in errors[0]


def test_work_after_write_eof_runs_while_the_client_already_has_the_answer(
    serve: Serve,
) -> None:
    release = threading.Event()
    finished: list[str] = []

    async def handler(request: Request) -> Response:
        response = Response(text="early")
        await response.prepare(request)
        await response.write_eof()
        # The client already has its answer; go on working.
        await asyncio.get_running_loop().run_in_executor(None, release.wait, 5)
        finished.append(request.path)
        return response

    server = serve(handler)
    raw = server.raw()
    try:
        raw.request("GET", "/first")
        assert raw.read_response().body == b"early"
        assert finished == []
        release.set()
        raw.next_cycle()
        raw.request("GET", "/second")
        assert raw.read_response().body == b"early"
        assert finished[0] == "/first"
    finally:
        release.set()
        raw.close()


@pytest.mark.parametrize(
    "loop_factory", [asyncio.new_event_loop, uvloop.new_event_loop], ids=["asyncio", "uvloop"]
)
def test_a_large_response_to_a_slow_reader_is_not_buffered_unboundedly(
    serve: Serve, loop_factory: Any
) -> None:
    chunk = b"x" * 65536
    total_chunks = 256  # 16 MiB
    buffered: list[int] = []

    async def stream(request: Request) -> StreamResponse:
        response = StreamResponse()
        await response.prepare(request)
        # uvloop's transports do not subclass asyncio's, so no isinstance check.
        transport: Any = request.transport
        for _ in range(total_chunks):
            await response.write(chunk)
            buffered.append(transport.get_write_buffer_size())
        await response.write_eof()
        return response

    server = serve(stream, loop_factory=loop_factory)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect((server.host, server.port))
    try:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = 0
        while data := sock.recv(65536):
            received += len(data)
    finally:
        sock.close()
    assert received > chunk.__len__() * total_chunks
    # The write buffer never held much more than one chunk over asyncio's
    # 64 KiB high-water mark: each write waited for the client.
    assert max(buffered) < 4 * len(chunk)


def test_a_large_request_body_is_not_read_faster_than_the_handler_consumes_it(
    serve: Serve,
) -> None:
    body_size = 16 * 1024 * 1024
    may_read = threading.Event()
    fed_before_reading: list[int] = []

    async def slow_reader(request: Request) -> Response:
        await asyncio.get_running_loop().run_in_executor(None, may_read.wait, 10)
        fed_before_reading.append(request.content.total_bytes)
        size = 0
        async for chunk in request.content.iter_any():
            size += len(chunk)
        return Response(text=str(size))

    server = serve(slow_reader, read_high_water=64 * 1024)
    sock = server.connect(timeout=0.5)
    try:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % body_size)
        sent = send_until_blocked(sock, body_size)
        # The server stopped reading, so the kernel buffers filled and sending blocked.
        assert sent < body_size
        may_read.set()
        sock.settimeout(10)
        sock.sendall(b"y" * (body_size - sent))
        response = b""
        while not response.endswith(str(body_size).encode()):
            data = sock.recv(65536)
            if not data:
                break
            response += data
    finally:
        may_read.set()
        sock.close()
    assert response.startswith(b"HTTP/1.1 200")
    assert fed_before_reading[0] < body_size // 4


def send_until_blocked(sock: socket.socket, total: int) -> int:
    """Send up to ``total`` bytes until a send times out; return how many went."""
    sent = 0
    payload = b"y" * 65536
    try:
        while sent < total:
            sent += sock.send(payload[: total - sent])
    except TimeoutError:
        pass
    return sent


def test_a_101_response_hands_the_connection_to_another_protocol(serve: Serve) -> None:
    class Echo:
        def __init__(self, write: Any) -> None:
            self.write = write

        def data_received(self, data: bytes) -> None:
            self.write(data.upper())

        def eof_received(self) -> None:
            pass

        def connection_lost(self, exc: BaseException | None) -> None:
            done.set()

    done = asyncio.Event()

    async def upgrade(request: Request) -> StreamResponse:
        response = StreamResponse(status=101, headers={"Upgrade": "shout", "Connection": "Upgrade"})
        await response.prepare(request)
        writer = request._writer
        writer.switch_protocol(Echo(writer.write))  # type: ignore[attr-defined]
        await done.wait()
        return response

    server = serve(upgrade)
    sock = server.connect()
    try:
        sock.sendall(
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: shout\r\n\r\nearly"
        )
        received = b""
        while b"EARLY" not in received:
            received += sock.recv(1024)
        assert received.startswith(b"HTTP/1.1 101 ")
        sock.sendall(b"later")
        received = b""
        while b"LATER" not in received:
            received += sock.recv(1024)
    finally:
        sock.close()


def test_connection_close_from_the_client_closes_after_the_answer(serve: Serve) -> None:
    server = serve(echo)
    raw = server.raw()
    try:
        raw.request(headers=[("Connection", "close")])
        response = raw.read_response()
        assert response.headers["connection"] == "close"
        assert raw.server_closed()
    finally:
        raw.close()


def test_an_http_1_0_request_is_answered_and_closed(serve: Serve) -> None:
    server = serve(echo)
    sock = server.connect()
    try:
        sock.sendall(b"GET /old HTTP/1.0\r\n\r\n")
        received = b""
        while data := sock.recv(65536):
            received += data
    finally:
        sock.close()
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert received.endswith(b"GET /old 0:")


def test_head_gets_the_get_headers_without_a_body(serve: Serve) -> None:
    server = serve(echo)
    raw = server.raw()
    try:
        raw.request("HEAD", "/x")
        response = raw.read_response()
        assert response.body == b""
        assert response.headers["content-length"] == str(len(b"HEAD /x 0:"))
    finally:
        raw.close()


def test_a_body_left_unread_is_discarded_before_closing(serve: Serve) -> None:
    async def ignore(request: Request) -> Response:
        return Response(status=413, text="too big for me")

    server = serve(ignore)
    raw = server.raw()
    try:
        raw.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" + b"z" * 1000)
        raw.expect("POST")
        response = raw.read_response()
        assert response.status == 413
        assert response.headers["connection"] == "close"
        # The rest of the body is still accepted (not reset) while the server lingers.
        raw.send(b"z" * 100000)
        assert raw.server_closed()
    finally:
        raw.close()


def test_httpx_and_the_date_header(serve: Serve) -> None:
    server = serve(echo)
    response = httpx.get(server.url("/date"))
    assert response.headers["date"].endswith(" GMT")


def test_keep_alive_pipelining_and_continue_on_uvloop(serve: Serve) -> None:
    server = serve(echo, loop_factory=uvloop.new_event_loop)
    raw = server.raw()
    try:
        raw.send(b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
        for path in ("/1", "/2"):
            raw.expect("GET", path)
            assert raw.read_response().body == f"GET {path} 0:".encode()
            raw.next_cycle()
        raw.send_head("POST", "/c", [("Content-Length", "2"), ("Expect", "100-continue")])
        assert raw.read_interim() == 100
        raw.send_body(b"ok")
        assert raw.read_response().body == b"POST /c 2:ok"
    finally:
        raw.close()


def test_an_exception_after_prepare_replaces_an_unsent_head_with_a_500(serve: Serve) -> None:
    async def handler(request: Request) -> StreamResponse:
        response = StreamResponse(status=201)
        await response.prepare(request)
        raise ValueError("after prepare")

    server = serve(handler)
    assert httpx.get(server.url("/")).status_code == 500


def test_an_exception_mid_body_closes_the_connection(serve: Serve) -> None:
    async def handler(request: Request) -> StreamResponse:
        response = StreamResponse()
        response.content_length = 100
        await response.prepare(request)
        await response.write(b"partial")
        raise ValueError("mid body")

    server = serve(handler)
    raw = server.raw()
    try:
        raw.request()
        with pytest.raises(h11.RemoteProtocolError):
            raw.read_response()
    finally:
        raw.close()


def test_a_client_that_half_closes_after_its_request_still_gets_the_answer(
    serve: Serve,
) -> None:
    async def slow(request: Request) -> Response:
        await asyncio.sleep(0.05)
        return Response(text="still here")

    server = serve(slow)
    sock = server.connect()
    try:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while data := sock.recv(65536):
            received += data
    finally:
        sock.close()
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert received.endswith(b"still here")


@types.coroutine
def _resume(coro: Coroutine[Any, Any, None], pending: Any) -> Generator[Any, Any, None]:
    """Drive an already started coroutine to its end inside a task."""
    while True:
        try:
            sent = yield pending
        except BaseException as exc:
            try:
                pending = coro.throw(exc)
            except StopIteration:
                return
        else:
            try:
                pending = coro.send(sent)
            except StopIteration:
                return


def eager_start_task(
    coro: Coroutine[Any, Any, None], loop: asyncio.AbstractEventLoop, maker: int
) -> Any:
    """Python 3.12's eager task start, emulated: the handler's first step runs now."""
    try:
        pending = coro.send(None)
    except StopIteration:
        done = loop.create_future()
        done.set_result(None)
        return done
    return loop.create_task(_resume(coro, pending))


def test_eagerly_finished_handlers_keep_pipelining_keep_alive_and_timeouts_right(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("transom.web._server_connection.start_task", eager_start_task)

    async def mixed(request: Request) -> Response:
        if request.path == "/slow":
            await asyncio.sleep(0.01)
        return Response(text=request.path)

    server = serve(mixed, keepalive_timeout=0.3, request_header_timeout=0.1)
    raw = server.raw()
    try:
        paths = ["/a", "/slow", "/b", "/c"]
        raw.send(b"".join(f"GET {p} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for p in paths))
        for path in paths:
            raw.expect("GET", path)
            assert raw.read_response().body == path.encode()
            raw.next_cycle()
        # A lone request, answered within data_received itself.
        raw.request("GET", "/d")
        assert raw.read_response().body == b"/d"
        # Idle now: the keep-alive timeout applies (not the shorter head timeout),
        # and the connection closes without a 408.
        assert raw.sock.recv(1024) == b""
    finally:
        raw.close()


class RecordingLoop(asyncio.SelectorEventLoop):
    """A loop of its own making, whose create_task the server must call."""

    made: ClassVar[list[asyncio.Task[Any]]] = []

    def create_task(self, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        task = super().create_task(coro, **kwargs)
        RecordingLoop.made.append(task)
        return task


def test_a_loop_with_its_own_create_task_makes_each_handler_task(serve: Serve) -> None:
    async def handler(request: Request) -> Response:
        return Response(text=str(asyncio.current_task() in RecordingLoop.made))

    server = serve(handler, loop_factory=RecordingLoop)
    with httpx.Client() as client:
        assert [client.get(server.url("/")).text for _ in range(3)] == ["True"] * 3


@pytest.mark.parametrize("new_loop", [asyncio.new_event_loop, uvloop.new_event_loop])
def test_a_task_factory_set_on_the_loop_makes_each_handler_task(
    serve: Serve, new_loop: Callable[[], asyncio.AbstractEventLoop]
) -> None:
    made: list[asyncio.Task[Any]] = []

    def loop_with_a_task_factory() -> asyncio.AbstractEventLoop:
        loop = new_loop()

        def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
            task: asyncio.Task[Any] = asyncio.Task(coro, loop=loop, **kwargs)
            made.append(task)
            return task

        loop.set_task_factory(factory)
        return loop

    async def handler(request: Request) -> Response:
        return Response(text=str(asyncio.current_task() in made))

    server = serve(handler, loop_factory=loop_with_a_task_factory)
    raw = server.raw()
    try:
        for _ in range(2):
            raw.request("GET", "/")
            assert raw.read_response().body == b"True"
            raw.next_cycle()
    finally:
        raw.close()
