"""Loopback servers for the client tests.

Each test runs its own event loop (``asyncio.run``). The fixtures here return
async context managers that start a server on 127.0.0.1, port 0, and stop it
on exit:

- ``web_server(app)`` serves an ``aiohttp.web.Application`` and yields its
  base URL;
- ``raw_server(handler)`` runs ``asyncio.start_server`` with
  ``handler(reader, writer)`` for edge cases (truncated bodies, bad framing,
  slow answers) and yields the base URL;
- ``tls_server(app)`` serves the app over TLS with a certificate for
  ``localhost``/127.0.0.1 from a throwaway CA, and yields the base URL and a
  client context that trusts the CA.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import trustme
from aiohttp import web
from yarl import URL

RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def _serve_app(
    app: web.Application, ssl_context: ssl.SSLContext | None = None, host: str = "127.0.0.1"
) -> AsyncIterator[URL]:
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, 0, ssl_context=ssl_context)
    await site.start()
    server: Any = site._server
    port = server.sockets[0].getsockname()[1]
    scheme = "https" if ssl_context is not None else "http"
    try:
        yield URL.build(scheme=scheme, host=host, port=port)
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def _serve_raw(handler: RawHandler, host: str = "127.0.0.1") -> AsyncIterator[URL]:
    tasks: set[asyncio.Task[Any]] = set()

    async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            tasks.discard(task)

    server = await asyncio.start_server(wrapped, host, 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield URL.build(scheme="http", host=host, port=port)
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


@pytest.fixture
def web_server() -> Callable[..., contextlib.AbstractAsyncContextManager[URL]]:
    """``async with web_server(app) as base_url:``."""
    return _serve_app


@pytest.fixture
def raw_server() -> Callable[..., contextlib.AbstractAsyncContextManager[URL]]:
    """``async with raw_server(handler) as base_url:``."""
    return _serve_raw


@pytest.fixture(scope="session")
def certificate_authority() -> trustme.CA:
    """A throwaway CA for this test run."""
    return trustme.CA()


@pytest.fixture
def tls_contexts(certificate_authority: trustme.CA) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context for localhost and 127.0.0.1, client context trusting the CA)."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("localhost", "127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    certificate_authority.configure_trust(client_context)
    return server_context, client_context


@pytest.fixture
def tls_server(
    tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext],
) -> Callable[..., contextlib.AbstractAsyncContextManager[URL]]:
    """``async with tls_server(app) as base_url:`` (server side of ``tls_contexts``)."""
    server_context, _ = tls_contexts

    def serve(
        app: web.Application, host: str = "127.0.0.1"
    ) -> contextlib.AbstractAsyncContextManager[URL]:
        return _serve_app(app, server_context, host)

    return serve


async def read_head(reader: asyncio.StreamReader) -> bytes:
    """Read one request head (through the blank line)."""
    return await reader.readuntil(b"\r\n\r\n")


@pytest.fixture
def read_request_head() -> Callable[[asyncio.StreamReader], Awaitable[bytes]]:
    """``await read_request_head(reader)``: one request head, blank line included."""
    return read_head


@contextlib.asynccontextmanager
async def _serve_quiet_tls(
    context: ssl.SSLContext, disconnected: asyncio.Event
) -> AsyncIterator[URL]:
    """A TLS origin that answers one request, then never answers the client's close_notify.

    It speaks TLS over memory buffers and, once its answer is sent, only reads
    and drops raw bytes: ``disconnected`` is set when the client closes TCP.
    """

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_side=True)

        async def run(step: Callable[[], Any]) -> Any:
            while True:
                try:
                    result = step()
                except ssl.SSLWantReadError:
                    writer.write(outgoing.read())
                    data = await reader.read(65536)
                    if not data:
                        raise ConnectionError("client went away") from None
                    incoming.write(data)
                    continue
                writer.write(outgoing.read())
                return result

        try:
            await run(tls.do_handshake)
            request = b""
            while b"\r\n\r\n" not in request:
                request += await run(lambda: tls.read(65536))
            await run(lambda: tls.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
            while await reader.read(65536):
                pass
            disconnected.set()
        except ConnectionError:
            disconnected.set()
        finally:
            writer.transport.abort()

    async with _serve_raw(handle) as url:
        yield url.with_scheme("https").with_host("localhost")


@pytest.fixture
def quiet_tls_origin(
    tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext],
) -> Callable[[asyncio.Event], contextlib.AbstractAsyncContextManager[URL]]:
    """``async with quiet_tls_origin(disconnected) as url:``: a TLS origin (server side
    of ``tls_contexts``) that answers one request, then never answers close_notify."""
    server_context, _ = tls_contexts

    def serve(disconnected: asyncio.Event) -> contextlib.AbstractAsyncContextManager[URL]:
        return _serve_quiet_tls(server_context, disconnected)

    return serve
