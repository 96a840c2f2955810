"""Fixtures that run a transom.web server on 127.0.0.1 (an ephemeral port) in a thread.

The server gets its own event loop in a background thread, so tests stay
synchronous and drive it with real clients (httpx, curl, raw sockets with h11).
Any error the server's loop reports (an exception nobody retrieved) fails the
test at teardown.

Usage::

    def test_hello(serve: Serve) -> None:
        server = serve(app)                      # an Application, or a handler
        assert httpx.get(server.url("/")).text == "hello"
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import h11
import pytest
from multidict import CIMultiDict

from transom.protocol.http1 import Request as RequestHead
from transom.web import (
    Application,
    AppRunner,
    BaseRunner,
    HTTPException,
    Request,
    Server,
    ServerRunner,
    StreamReader,
    StreamResponse,
    TCPSite,
)
from transom.web._payload_stream import EMPTY_STREAM
from transom.web._request import DEFAULT_CLIENT_MAX_SIZE
from transom.web._response_writer import ResponseWriter

_T = TypeVar("_T")

# Seconds a test waits for the server to start or stop; generous for a loaded CI
# machine, and never reached when things work.
STARTUP_TIMEOUT = 10.0
# Seconds given to in-flight requests at teardown before their handlers are cancelled.
TEARDOWN_SHUTDOWN_TIMEOUT = 2.0

Handler = Callable[[Request], Awaitable[StreamResponse]]


def make_request(
    method: str,
    target: str,
    headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
    *,
    host: str = "localhost",
    version: tuple[int, int] = (1, 1),
    writer: ResponseWriter | None = None,
    payload: StreamReader = EMPTY_STREAM,
    transport: Any = None,
    client_max_size: int = DEFAULT_CLIENT_MAX_SIZE,
) -> Request:
    """A request as the server builds it, with no socket behind it.

    ``headers`` default to ``Host: <host>``; ``writer`` receives the response
    when one is prepared (there is none by default: preparing then fails);
    ``transport`` answers ``get_extra_info`` (none by default).
    """
    fields = CIMultiDict({"Host": host} if headers is None else headers)
    head = RequestHead(method=method, target=target, headers=fields, http_version=version)
    return Request(
        head,
        payload,
        cast("ResponseWriter", writer),
        transport=transport,
        client_max_size=client_max_size,
    )


async def answer(app: Application, request: Request) -> StreamResponse | HTTPException:
    """What the server answers ``request`` with: the response, or the HTTPException raised."""
    try:
        return await app._handle(request)
    except HTTPException as exc:
        return exc


class RunningServer:
    """A server running on its own loop in a background thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, runner: BaseRunner, port: int) -> None:
        self.loop = loop
        self.runner = runner
        self.host = "127.0.0.1"
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.loop_errors: list[dict[str, Any]] = []

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + path

    def call(self, coro: Coroutine[Any, Any, _T], timeout: float = STARTUP_TIMEOUT) -> _T:
        """Run ``coro`` on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def connect(self, timeout: float = 5.0) -> socket.socket:
        """A raw TCP connection to the server (closed by the caller)."""
        return socket.create_connection((self.host, self.port), timeout=timeout)

    def raw(self, timeout: float = 5.0) -> RawConnection:
        """A strict raw client (h11) on a new connection (closed by the caller)."""
        return RawConnection(self.connect(timeout))


class Serve(Protocol):
    """Start a server for an application or a bare handler; stopped after the test."""

    def __call__(
        self, app: Application | Handler, **options: Any
    ) -> RunningServer: ...  # pragma: no cover - a typing protocol


@contextlib.contextmanager
def run_server(
    app: Application | Handler,
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop,
    **options: Any,
) -> Iterator[RunningServer]:
    """Run ``app`` (or a handler) on 127.0.0.1, port 0, until the block exits.

    ``loop_factory`` makes the server's loop (``uvloop.new_event_loop`` to test
    on uvloop); ``options`` go to the runner (``keepalive_timeout``,
    ``shutdown_timeout``, limits, ...).
    """
    loop = loop_factory()
    ready: list[RunningServer] = []
    errors: list[dict[str, Any]] = []
    started = threading.Event()
    failure: list[BaseException] = []

    async def start() -> None:
        options.setdefault("shutdown_timeout", TEARDOWN_SHUTDOWN_TIMEOUT)
        runner: BaseRunner
        if isinstance(app, Application):
            runner = AppRunner(app, **options)
        else:
            shutdown_timeout = options.pop("shutdown_timeout")
            runner = ServerRunner(Server(app, **options), shutdown_timeout=shutdown_timeout)
        await runner.setup()
        site = TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = RunningServer(loop, runner, runner.addresses[0][1])
        server.loop_errors = errors
        ready.append(server)

    def thread_main() -> None:
        asyncio.set_event_loop(loop)
        loop.set_exception_handler(lambda _, context: errors.append(context))
        try:
            loop.run_until_complete(start())
        except BaseException as exc:
            failure.append(exc)
            started.set()
            return
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=thread_main, name="transom-test-server", daemon=True)
    thread.start()
    if not started.wait(STARTUP_TIMEOUT):
        raise RuntimeError("the test server did not start in time")
    if failure:
        loop.close()
        raise failure[0]
    server = ready[0]
    try:
        yield server
    finally:
        try:
            server.call(
                server.runner.cleanup(), timeout=STARTUP_TIMEOUT + TEARDOWN_SHUTDOWN_TIMEOUT
            )
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(STARTUP_TIMEOUT)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
    if errors:
        messages = "; ".join(str(context.get("message")) for context in errors)
        raise AssertionError(f"the server's event loop reported errors: {messages}")


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start servers for the test (see :func:`run_server`); all stop at teardown."""
    with contextlib.ExitStack() as stack:

        def start(app: Application | Handler, **options: Any) -> RunningServer:
            return stack.enter_context(run_server(app, **options))

        yield start


class RawResponse:
    """A response read by :class:`RawConnection`."""

    def __init__(
        self, status: int, headers: dict[str, str], body: bytes, interim: list[int]
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.interim = interim


class RawConnection:
    """A strict HTTP/1.1 client over one socket: h11 checks every byte the server sends.

    Requests can be sent through h11 (:meth:`request`) or as raw bytes
    (:meth:`send`, then :meth:`expect` to tell h11 which request they were).
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.h11 = h11.Connection(h11.CLIENT)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(
        self,
        method: str = "GET",
        target: str = "/",
        headers: list[tuple[str, str]] | None = None,
        body: bytes | None = None,
    ) -> None:
        """Send a whole request (with Content-Length when ``body`` is given)."""
        fields = [("Host", "127.0.0.1"), *(headers or [])]
        if body is not None:
            fields.append(("Content-Length", str(len(body))))
        data = self.h11.send(h11.Request(method=method, target=target, headers=fields))
        if body:
            data += self.h11.send(h11.Data(data=body))
        data += self.h11.send(h11.EndOfMessage())
        self.send(data)

    def send_head(self, method: str, target: str, headers: list[tuple[str, str]]) -> None:
        """Send only a request head (the body follows with :meth:`send_body`)."""
        fields = [("Host", "127.0.0.1"), *headers]
        self.send(self.h11.send(h11.Request(method=method, target=target, headers=fields)))

    def send_body(self, data: bytes) -> None:
        """Send the body of the request whose head went with :meth:`send_head`."""
        self.send(self.h11.send(h11.Data(data=data)) + self.h11.send(h11.EndOfMessage()))

    def expect(self, method: str = "GET", target: str = "/") -> None:
        """Record a request sent raw, so h11 can check the response to it."""
        self.h11.send(h11.Request(method=method, target=target, headers=[("Host", "x")]))
        self.h11.send(h11.EndOfMessage())

    def read_response(self) -> RawResponse:
        """Read the next complete response (1xx statuses are collected in ``interim``)."""
        interim: list[int] = []
        status = 0
        headers: dict[str, str] = {}
        body = bytearray()
        while True:
            event = self.h11.next_event()
            if event is h11.NEED_DATA:
                self.h11.receive_data(self.sock.recv(65536))
            elif isinstance(event, h11.InformationalResponse):
                interim.append(event.status_code)
            elif isinstance(event, h11.Response):
                status = event.status_code
                headers = {name.decode().lower(): value.decode() for name, value in event.headers}
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return RawResponse(status, headers, bytes(body), interim)
            else:
                raise AssertionError(f"unexpected event {event!r}")

    def read_interim(self) -> int:
        """Read one 1xx response and return its status."""
        while True:
            event = self.h11.next_event()
            if event is h11.NEED_DATA:
                self.h11.receive_data(self.sock.recv(65536))
            elif isinstance(event, h11.InformationalResponse):
                return int(event.status_code)
            else:
                raise AssertionError(f"expected a 1xx response, got {event!r}")

    def next_cycle(self) -> None:
        """Ready h11 for the next request on this connection."""
        self.h11.start_next_cycle()

    def server_closed(self) -> bool:
        """Whether the server closes the connection (reading to EOF, within the timeout)."""
        try:
            while self.sock.recv(65536):
                pass
        except TimeoutError:
            return False
        except ConnectionResetError:
            pass
        return True

    def close(self) -> None:
        self.sock.close()


# The repository root: examples/ lives there.
REPOSITORY = Path(__file__).resolve().parents[3]
_RUNNING_ON = re.compile(r"Running on (\S+)")


class ServingProcess:
    """A Python process serving HTTP, started by the ``spawn`` fixture."""

    def __init__(self, process: subprocess.Popen[str], base_url: str) -> None:
        self.process = process
        self.base_url = base_url

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def stop(self, signum: int = signal.SIGINT, timeout: float = STARTUP_TIMEOUT) -> str:
        """Send ``signum``, wait for the exit, return everything printed to stdout."""
        self.process.send_signal(signum)
        output, _ = self.process.communicate(timeout=timeout)
        return output


class Spawn(Protocol):
    """Start ``python <args>`` and wait until it prints "Running on <url>"."""

    def __call__(
        self, *args: str, cwd: Path = REPOSITORY
    ) -> ServingProcess: ...  # pragma: no cover - a typing protocol


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Start serving processes for the test; any still running are killed at teardown."""
    processes: list[subprocess.Popen[str]] = []

    def start(*args: str, cwd: Path = REPOSITORY) -> ServingProcess:
        environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=cwd,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(process)
        assert process.stdout is not None
        seen = []
        # A process that hangs without printing is killed, which ends readline().
        watchdog = threading.Timer(STARTUP_TIMEOUT, process.kill)
        watchdog.start()
        try:
            while line := process.stdout.readline():
                seen.append(line)
                match = _RUNNING_ON.search(line)
                if match:
                    return ServingProcess(process, match.group(1).rstrip("/"))
        finally:
            watchdog.cancel()
        process.kill()
        raise AssertionError("the process did not start serving:\n" + "".join(seen))

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.communicate()
