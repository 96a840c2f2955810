"""HTTP proxies: absolute-form requests, CONNECT tunnels, credentials, the environment."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from yarl import URL

from transom.client import (
    BasicAuth,
    ClientHttpProxyError,
    ClientProxyConnectionError,
    ClientSession,
    TCPConnector,
)

Server = Callable[..., contextlib.AbstractAsyncContextManager[URL]]


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def forwarding_proxy(seen: list[bytes], refuse_connect: bool = False) -> AsyncIterator[URL]:
    """A minimal proxy: forwards absolute-form requests and opens CONNECT tunnels."""
    tasks: set[asyncio.Task[Any]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            seen.append(head)
            method, target, _ = head.split(b"\r\n", 1)[0].split(b" ")
            if method == b"CONNECT":
                if refuse_connect:
                    writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                    return
                host, port = target.decode().rsplit(":", 1)
                up_reader, up_writer = await asyncio.open_connection(host, int(port))
                writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            else:
                url = URL(target.decode())
                up_reader, up_writer = await asyncio.open_connection(url.host, url.port)
                origin_head = head.replace(target, url.raw_path_qs.encode(), 1)
                up_writer.write(origin_head)
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            tasks.discard(task)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield URL.build(scheme="http", host="127.0.0.1", port=port)
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


def hello_app() -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"{request.scheme} {request.path_qs}")

    app = web.Application()
    app.router.add_get("/{tail:.*}", hello)
    return app


def test_plain_http_goes_through_the_proxy_in_absolute_form(web_server: Server) -> None:
    seen: list[bytes] = []

    async def main() -> None:
        async with (
            web_server(hello_app()) as base,
            forwarding_proxy(seen) as proxy,
            ClientSession() as session,
        ):
            auth = BasicAuth("proxy-user", "secret")
            async with session.get(
                base / "page", params={"q": "1"}, proxy=proxy, proxy_auth=auth
            ) as response:
                assert await response.text() == "http /page?q=1"
        assert seen[0].startswith(f"GET {base}/page?q=1 HTTP/1.1".encode())
        assert b"Proxy-Authorization: " + auth.encode().encode() in seen[0]

    asyncio.run(main())


def test_https_goes_through_a_connect_tunnel(
    tls_server: Server, tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    seen: list[bytes] = []
    _, client_context = tls_contexts

    async def main() -> None:
        async with tls_server(hello_app()) as base, forwarding_proxy(seen) as proxy:
            url = base.with_host("localhost") / "secure"
            connector = TCPConnector(ssl=client_context)
            async with ClientSession(connector=connector, proxy=proxy) as session:
                for _ in range(2):
                    async with session.get(url, proxy_headers={"X-Via": "test"}) as response:
                        assert await response.text() == "https /secure"
        assert len(seen) == 1
        assert seen[0].startswith(f"CONNECT localhost:{base.port} HTTP/1.1".encode())
        assert b"X-Via: test" in seen[0]

    asyncio.run(main())


def test_refused_tunnel_raises_client_http_proxy_error(tls_server: Server) -> None:
    seen: list[bytes] = []

    async def main() -> None:
        async with (
            tls_server(hello_app()) as base,
            forwarding_proxy(seen, refuse_connect=True) as proxy,
            ClientSession() as session,
        ):
            with pytest.raises(ClientHttpProxyError) as info:
                await session.get(base, proxy=proxy)
        assert info.value.status == 403
        assert "tunnel" in str(info.value)

    asyncio.run(main())


def test_unreachable_proxy_raises_client_proxy_connection_error() -> None:
    async def main() -> None:
        async with ClientSession() as session:
            with pytest.raises(ClientProxyConnectionError, match=r"proxy 127\.0\.0\.1:1"):
                await session.get("http://example.test/", proxy="http://127.0.0.1:1")

    asyncio.run(main())


def test_trust_env_reads_the_proxy_from_the_environment(
    web_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bytes] = []

    async def main() -> None:
        async with web_server(hello_app()) as base, forwarding_proxy(seen) as proxy:
            monkeypatch.setenv("HTTP_PROXY", str(proxy.with_user("u").with_password("p")))
            monkeypatch.delenv("NO_PROXY", raising=False)
            monkeypatch.delenv("no_proxy", raising=False)
            async with (
                ClientSession(trust_env=True) as session,
                session.get(base.with_host("localhost")) as response,
            ):
                assert response.status == 200
            async with ClientSession() as session, session.get(base) as response:
                assert response.status == 200
        assert len(seen) == 1
        assert b"Proxy-Authorization: " + BasicAuth("u", "p").encode().encode() in seen[0]

    asyncio.run(main())
