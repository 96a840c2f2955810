"""Proxies through proxy.py: a real forwarding and CONNECT proxy on 127.0.0.1.

Each proxy runs as its own process (``python -m proxy``) on a port it picks
and writes to a file, and is stopped by its PID after the module. The
sessions here resolve no name themselves: a name in the target URL reaches
its server only if the proxy resolves it and connects on the client's behalf.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from aiohttp import web
from yarl import URL

from transom.client import (
    AbstractResolver,
    BasicAuth,
    ClientHttpProxyError,
    ClientProxyConnectionError,
    ClientResponse,
    ClientSession,
    ResolveResult,
    TCPConnector,
)

Server = Callable[..., contextlib.AbstractAsyncContextManager[URL]]

USER, PASSWORD = "proxy-user", "pr0xy:secret"


def _start_proxy(directory: Path, *flags: str) -> tuple[subprocess.Popen[bytes], URL]:
    port_file = directory / "port"
    log = directory / "proxy.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "proxy",
                "--hostname=127.0.0.1",
                "--port=0",
                f"--port-file={port_file}",
                "--num-acceptors=1",
                "--num-workers=1",
                f"--data-dir={directory / 'data'}",
                f"--cache-dir={directory / 'cache'}",
                "--log-level=WARNING",
                *flags,
            ],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        text = port_file.read_text().strip() if port_file.exists() else ""
        if text.isdigit():
            port = int(text)
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                return process, URL.build(scheme="http", host="127.0.0.1", port=port)
        time.sleep(0.05)
    _stop(process)
    pytest.fail(f"proxy.py did not start:\n{log.read_text()}", pytrace=False)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def open_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[URL]:
    """A proxy.py that forwards for anyone."""
    process, url = _start_proxy(tmp_path_factory.mktemp("proxy"))
    try:
        yield url
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def auth_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[URL]:
    """A proxy.py that asks for Basic credentials :data:`USER`, :data:`PASSWORD`."""
    process, url = _start_proxy(
        tmp_path_factory.mktemp("auth-proxy"), f"--basic-auth={USER}:{PASSWORD}"
    )
    try:
        yield url
    finally:
        _stop(process)


class NoDNS(AbstractResolver):
    """Resolves nothing: the client must leave names to the proxy."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        raise socket.gaierror(socket.EAI_NONAME, f"{host} is for the proxy to resolve")

    async def close(self) -> None:
        """Nothing to release."""


def tls_transport(response: ClientResponse) -> asyncio.Transport:
    """The TLS transport carrying ``response`` (read before the body is)."""
    connection: Any = response.connection
    return cast("asyncio.Transport", connection.transport)


def tls_socket(response: ClientResponse) -> Any:
    """The socket under ``response``'s TLS connection (read before the body is)."""
    return tls_transport(response).get_extra_info("socket")


async def wait_closed(sockets: list[Any]) -> None:
    """Wait until each socket is closed, at most 10 seconds.

    A tunnel ends in two steps: the client closes its socket to proxy.py as
    its session closes, and proxy.py, in its own process and time, then
    closes its socket to the origin. The origin's end must be closed before
    its server stops: stopping an aiohttp TLS server closes an open
    connection with a close_notify and waits for the answer, and a loop that
    ends first leaves that socket open.
    """
    deadline = time.monotonic() + 10
    while any(sock.fileno() != -1 for sock in sockets):
        assert time.monotonic() < deadline, "a TLS connection through the proxy stayed open"
        await asyncio.sleep(0.01)


def echo_app(origin_sockets: list[Any] | None = None) -> web.Application:
    """Answers each request with what it saw, as JSON.

    Args:
        origin_sockets: Gets the server's end of each connection a request
            arrives on, for :func:`wait_closed`.
    """

    async def echo(request: web.Request) -> web.Response:
        if origin_sockets is not None:
            assert request.transport is not None
            sock = request.transport.get_extra_info("socket")
            if sock not in origin_sockets:
                origin_sockets.append(sock)
        body = await request.read()
        return web.json_response(
            {
                "scheme": request.scheme,
                "method": request.method,
                "path_qs": request.path_qs,
                "host": request.host,
                "via": request.headers.get("Via"),
                "proxy_authorization": request.headers.get("Proxy-Authorization"),
                "body": body.decode(),
            }
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


def test_plain_http_is_forwarded(open_proxy: URL, web_server: Server) -> None:
    async def main() -> None:
        async with web_server(echo_app()) as base:
            target = base.with_host("localhost") / "page"
            connector = TCPConnector(resolver=NoDNS())
            async with ClientSession(connector=connector, proxy=open_proxy) as session:
                async with session.get(target, params={"q": "1"}) as response:
                    assert response.status == 200
                    first = await response.json()
                async with session.post(target, data=b"through") as response:
                    second = await response.json()
        assert first["scheme"] == "http"
        assert first["path_qs"] == "/page?q=1"
        assert first["host"] == f"localhost:{base.port}"
        assert first["via"].startswith("1.1 proxy.py")
        assert (second["method"], second["body"]) == ("POST", "through")

    asyncio.run(main())


def test_https_goes_through_a_connect_tunnel(
    open_proxy: URL, tls_server: Server, tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    _, client_context = tls_contexts

    async def main() -> None:
        origin_sockets: list[Any] = []
        async with tls_server(echo_app(origin_sockets)) as base:
            target = base.with_host("localhost") / "secure"
            connector = TCPConnector(ssl=client_context, resolver=NoDNS())
            sockets = []
            async with ClientSession(connector=connector) as session:
                for _ in range(2):
                    async with session.get(target, proxy=open_proxy) as response:
                        sockets.append(tls_socket(response))
                        body = await response.json()
                    assert body["scheme"] == "https"
                    assert body["path_qs"] == "/secure"
                    # Inside the tunnel the proxy sees, and adds, nothing.
                    assert body["via"] is None
            # One tunnel, reused by the second request.
            assert sockets[0] is sockets[1]
            assert len(origin_sockets) == 1
            await wait_closed(sockets + origin_sockets)

    asyncio.run(main())


def test_proxy_auth(
    auth_proxy: URL,
    web_server: Server,
    tls_server: Server,
    tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    _, client_context = tls_contexts
    credentials = BasicAuth(USER, PASSWORD)

    async def main() -> None:
        origin_sockets: list[Any] = []
        async with web_server(echo_app()) as plain, tls_server(echo_app(origin_sockets)) as secure:
            connector = TCPConnector(ssl=client_context, resolver=NoDNS())
            async with ClientSession(connector=connector) as session:
                plain_url = plain.with_host("localhost")
                secure_url = secure.with_host("localhost")
                async with session.get(plain_url, proxy=auth_proxy) as response:
                    assert response.status == 407
                with pytest.raises(ClientHttpProxyError) as info:
                    await session.get(secure_url, proxy=auth_proxy)
                assert info.value.status == 407
                async with session.get(
                    plain_url, proxy=auth_proxy, proxy_auth=credentials
                ) as response:
                    body = await response.json()
                    assert body["via"].startswith("1.1 proxy.py")
                    # The proxy consumes the credentials; the origin never sees them.
                    assert body["proxy_authorization"] is None
                async with session.get(
                    secure_url, proxy=auth_proxy, proxy_auth=credentials
                ) as response:
                    tunnelled = tls_socket(response)
                    assert (await response.json())["scheme"] == "https"
                assert len(origin_sockets) == 1
                in_url = auth_proxy.with_user(USER).with_password(PASSWORD)
                async with session.get(plain_url / "again", proxy=in_url) as response:
                    assert (await response.json())["path_qs"] == "/again"
            await wait_closed([tunnelled, *origin_sockets])

    asyncio.run(main())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_proxy_that_cannot_reach_the_origin(open_proxy: URL) -> None:
    async def main() -> None:
        origin = URL.build(scheme="http", host="127.0.0.1", port=closed_port())
        async with ClientSession() as session:
            async with session.get(origin / "x", proxy=open_proxy) as response:
                assert response.status == 502
            with pytest.raises(ClientHttpProxyError) as info:
                await session.get(origin.with_scheme("https"), proxy=open_proxy)
        assert info.value.status == 502
        assert "tunnel" in str(info.value)

    asyncio.run(main())


def test_proxy_that_is_not_there() -> None:
    async def main() -> None:
        proxy = URL.build(scheme="http", host="127.0.0.1", port=closed_port())
        async with ClientSession() as session:
            for url in ("http://localhost/", "https://localhost/"):
                with pytest.raises(ClientProxyConnectionError) as info:
                    await session.get(url, proxy=proxy)
                assert isinstance(info.value.os_error, ConnectionRefusedError)
                assert f"Cannot connect to proxy 127.0.0.1:{proxy.port}" in str(info.value)

    asyncio.run(main())


@pytest.mark.parametrize("through_proxy", [False, True], ids=["direct", "proxy.py"])
def test_closing_the_session_closes_its_tls_sockets(
    open_proxy: URL,
    tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext],
    quiet_tls_origin: Callable[[asyncio.Event], contextlib.AbstractAsyncContextManager[URL]],
    through_proxy: bool,
) -> None:
    """The socket of a TLS connection, direct or tunnelled, is closed when the
    session is, even if the server never answers the client's close_notify."""
    _, client_context = tls_contexts

    async def main() -> None:
        disconnected = asyncio.Event()
        async with quiet_tls_origin(disconnected) as url:
            proxy = open_proxy if through_proxy else None
            async with (
                ClientSession(connector=TCPConnector(ssl=client_context)) as session,
                session.get(url, proxy=proxy) as response,
            ):
                transport = tls_transport(response)
                sock = transport.get_extra_info("socket")
                assert await response.read() == b"ok"
            closed_with_the_session = sock.fileno() == -1
            if closed_with_the_session:
                # The server sees the connection end too.
                await asyncio.wait_for(disconnected.wait(), 10)
            else:
                transport.abort()
                await wait_closed([sock])
        assert closed_with_the_session, "the TLS socket is still open after session.close()"

    asyncio.run(main())
