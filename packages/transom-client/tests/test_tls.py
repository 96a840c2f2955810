"""TLS with certificates made at test time: verification, host names, pinning."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ssl
from collections.abc import Callable

import pytest
import trustme
from aiohttp import web
from yarl import URL

from transom.client import (
    ClientConnectorCertificateError,
    ClientSession,
    ClientSSLError,
    Fingerprint,
    ServerFingerprintMismatch,
    TCPConnector,
)

Server = Callable[..., contextlib.AbstractAsyncContextManager[URL]]


def hello_app() -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"hello over {request.scheme}")

    app = web.Application()
    app.router.add_get("/", hello)
    return app


def test_verified_request_with_a_trusted_ca(
    tls_server: Server, tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    _, client_context = tls_contexts

    async def main() -> None:
        async with tls_server(hello_app()) as base:
            async with (
                ClientSession(connector=TCPConnector(ssl=client_context)) as session,
                session.get(base.with_host("localhost")) as response,
            ):
                assert await response.text() == "hello over https"
            async with (
                ClientSession() as session,
                session.get(base, ssl=client_context) as response,
            ):
                assert response.status == 200

    asyncio.run(main())


def test_verification_is_on_by_default(tls_server: Server) -> None:
    async def main() -> None:
        async with tls_server(hello_app()) as base, ClientSession() as session:
            with pytest.raises(ClientConnectorCertificateError) as info:
                await session.get(base)
            assert isinstance(info.value, ClientSSLError)
            assert isinstance(info.value, ssl.CertificateError)
            assert "127.0.0.1" in str(info.value)
            assert "certificate" in str(info.value)

    asyncio.run(main())


def test_wrong_host_name_fails_verification(
    tls_server: Server,
    tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext],
    certificate_authority: trustme.CA,
) -> None:
    _, client_context = tls_contexts
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("other.example").configure_cert(server_context)

    async def main() -> None:
        app = hello_app()
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            async with ClientSession() as session:
                with pytest.raises(ClientConnectorCertificateError, match=r"match"):
                    await session.get(f"https://127.0.0.1:{port}/", ssl=client_context)
        finally:
            await runner.cleanup()

    asyncio.run(main())


def test_ssl_false_disables_verification_explicitly(tls_server: Server) -> None:
    async def main() -> None:
        async with (
            tls_server(hello_app()) as base,
            ClientSession() as session,
            session.get(base, ssl=False) as response,
        ):
            assert await response.text() == "hello over https"

    asyncio.run(main())


def test_pinned_fingerprint_accepts_only_that_certificate(
    tls_server: Server, tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    _, client_context = tls_contexts

    async def main() -> None:
        async with tls_server(hello_app()) as base:
            assert base.port is not None
            _, writer = await asyncio.open_connection(
                "127.0.0.1", base.port, ssl=client_context, server_hostname="localhost"
            )
            ssl_object = writer.get_extra_info("ssl_object")
            der = ssl_object.getpeercert(binary_form=True)
            writer.close()
            await writer.wait_closed()
            digest = hashlib.sha256(der).digest()
            async with ClientSession() as session:
                async with session.get(base, ssl=Fingerprint(digest)) as response:
                    assert response.status == 200
                with pytest.raises(ServerFingerprintMismatch) as info:
                    await session.get(base, ssl=Fingerprint(b"\0" * 32))
                assert info.value.got == digest
                assert "127.0.0.1" in str(info.value)

    asyncio.run(main())


def test_fingerprint_refuses_weak_digests() -> None:
    with pytest.raises(ValueError, match="insecure"):
        Fingerprint(hashlib.sha1(b"x").digest())
    with pytest.raises(ValueError, match="32-byte"):
        Fingerprint(b"short")
    assert Fingerprint(b"\1" * 32) == Fingerprint(b"\1" * 32)


def test_requests_with_different_tls_settings_do_not_share_connections(
    tls_server: Server, tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    _, client_context = tls_contexts

    async def main() -> None:
        async with tls_server(hello_app()) as base, ClientSession() as session:
            async with session.get(base, ssl=client_context) as response:
                await response.read()
            # A connection verified with the trusted context must not serve a
            # request that asked for default verification.
            with pytest.raises(ClientConnectorCertificateError):
                await session.get(base)

    asyncio.run(main())
