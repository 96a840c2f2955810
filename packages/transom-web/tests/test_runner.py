"""Runners and sites, started from async code: lifecycle, sites, TLS, graceful shutdown."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import trustme

from transom.web import (
    Application,
    AppRunner,
    Request,
    Response,
    Server,
    ServerRunner,
    SockSite,
    StreamResponse,
    TCPSite,
    UnixSite,
)

_T = TypeVar("_T")


def run(main: Callable[[], Awaitable[_T]]) -> _T:
    async def bounded() -> _T:
        return await asyncio.wait_for(main(), timeout=20)

    return asyncio.run(bounded())


async def hello(request: Request) -> Response:
    return Response(text="hello")


def hello_app() -> Application:
    app = Application()
    app.router.add_get("/", hello)
    return app


def test_an_app_runner_runs_startup_and_cleanup_around_serving() -> None:
    events: list[str] = []

    async def main() -> None:
        app = hello_app()

        async def on_startup(app: Application) -> None:
            events.append("startup")

        async def on_shutdown(app: Application) -> None:
            events.append("shutdown")

        async def on_cleanup(app: Application) -> None:
            events.append("cleanup")

        app.on_startup.append(on_startup)
        app.on_shutdown.append(on_shutdown)
        app.on_cleanup.append(on_cleanup)
        runner = AppRunner(app)
        await runner.setup()
        assert events == ["startup"]
        assert app.frozen
        site = TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        assert site.name == f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://{host}:{port}/")).text == "hello"
        await runner.cleanup()
        assert events == ["startup", "shutdown", "cleanup"]
        assert runner.server is None

    run(main)


def test_a_site_needs_a_set_up_runner() -> None:
    with pytest.raises(RuntimeError, match="setup"):
        TCPSite(AppRunner(hello_app()))


def test_a_site_cannot_start_twice() -> None:
    async def main() -> None:
        runner = ServerRunner(Server(hello))
        await runner.setup()
        site = TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            with pytest.raises(RuntimeError, match="already started"):
                await site.start()
        finally:
            await runner.cleanup()

    run(main)


def test_a_unix_site_serves_on_a_socket_path(tmp_path: Path) -> None:
    path = str(tmp_path / "app.sock")

    async def main() -> str:
        runner = AppRunner(hello_app())
        await runner.setup()
        site = UnixSite(runner, path)
        await site.start()
        assert site.name == f"http://unix:{path}:"
        try:
            transport = httpx.AsyncHTTPTransport(uds=path)
            async with httpx.AsyncClient(transport=transport) as client:
                return (await client.get("http://localhost/")).text
        finally:
            await runner.cleanup()

    assert run(main) == "hello"


def test_a_sock_site_serves_on_a_bound_socket() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]

    async def main() -> str:
        runner = AppRunner(hello_app())
        await runner.setup()
        site = SockSite(runner, sock)
        await site.start()
        assert site.name == f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"http://127.0.0.1:{port}/")).text
        finally:
            await runner.cleanup()

    assert run(main) == "hello"


def test_reuse_port_lets_two_sites_share_a_port() -> None:
    async def main() -> list[str]:
        runner = AppRunner(hello_app())
        await runner.setup()
        first = TCPSite(runner, "127.0.0.1", 0, reuse_port=True)
        await first.start()
        port = runner.addresses[0][1]
        second = TCPSite(runner, "127.0.0.1", port, reuse_port=True)
        await second.start()
        try:
            assert [address[1] for address in runner.addresses] == [port, port]
            async with httpx.AsyncClient() as client:
                return [(await client.get(f"http://127.0.0.1:{port}/")).text for _ in range(3)]
        finally:
            await runner.cleanup()

    assert run(main) == ["hello"] * 3


def test_tls_with_a_certificate_made_for_the_test() -> None:
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(server_context)
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)
    seen: list[tuple[str, bool]] = []

    async def handler(request: Request) -> Response:
        seen.append((request.scheme, request.secure))
        return Response(text="secret")

    async def main() -> str:
        runner = ServerRunner(Server(handler))
        await runner.setup()
        site = TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
        await site.start()
        port = runner.addresses[0][1]
        assert site.name == f"https://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(verify=client_context) as client:
                return (await client.get(f"https://127.0.0.1:{port}/")).text
        finally:
            await runner.cleanup()

    assert run(main) == "secret"
    assert seen == [("https", True)]


def test_cleanup_lets_an_in_flight_request_finish() -> None:
    async def main() -> tuple[int, str]:
        started = asyncio.Event()

        async def slow(request: Request) -> Response:
            started.set()
            await asyncio.sleep(0.2)
            return Response(text="finished")

        runner = ServerRunner(Server(slow), shutdown_timeout=10)
        await runner.setup()
        await TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        async with httpx.AsyncClient() as client:
            request = asyncio.ensure_future(client.get(f"http://127.0.0.1:{port}/"))
            await started.wait()
            await runner.cleanup()
            response = await request
        return response.status_code, response.text

    assert run(main) == (200, "finished")


def test_cleanup_cancels_handlers_that_overrun_the_shutdown_timeout() -> None:
    async def main() -> list[str]:
        started = asyncio.Event()
        outcome: list[str] = []

        async def stuck(request: Request) -> Response:
            started.set()
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                outcome.append("cancelled")
                raise
            return Response(text="never")

        runner = ServerRunner(Server(stuck), shutdown_timeout=0.1)
        await runner.setup()
        await TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        async with httpx.AsyncClient() as client:
            request = asyncio.ensure_future(client.get(f"http://127.0.0.1:{port}/"))
            await started.wait()
            await runner.cleanup()
            with pytest.raises(httpx.HTTPError):
                await request
        return outcome

    assert run(main) == ["cancelled"]


def test_cleanup_closes_idle_keep_alive_connections_at_once() -> None:
    async def main() -> bytes:
        runner = ServerRunner(Server(hello), shutdown_timeout=10)
        await runner.setup()
        await TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await reader.readuntil(b"hello")
        await runner.cleanup()
        rest = await reader.read()
        writer.close()
        return rest

    assert run(main) == b""


def test_a_new_connection_during_shutdown_is_refused() -> None:
    async def main() -> Any:
        runner = ServerRunner(Server(hello))
        await runner.setup()
        await TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        await runner.cleanup()
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)

    run(main)


def test_cleanup_finishes_even_when_a_client_stops_reading() -> None:
    async def main() -> bool:
        started = asyncio.Event()

        async def endless(request: Request) -> StreamResponse:
            response = StreamResponse()
            await response.prepare(request)
            started.set()
            while True:
                await response.write(b"z" * 65536)

        runner = ServerRunner(Server(endless), shutdown_timeout=0.1)
        await runner.setup()
        await TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        await asyncio.get_running_loop().sock_sendall(sock, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await started.wait()
        await runner.cleanup()  # the client never reads: the connection is aborted
        sock.close()
        return runner.server is None

    assert run(main)
