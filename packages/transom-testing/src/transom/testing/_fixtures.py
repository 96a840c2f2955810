"""The pytest fixtures that start test servers and clients, and close them after the test."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from transom.testing._ports import unused_port

if TYPE_CHECKING:
    # Imported where used, so that a project's test run (the plugin loads in
    # every one) does not import the server and the client until it needs them.
    from transom.testing._servers import BaseTestServer, RawTestServer, TestServer
    from transom.testing._test_client import TestClient
    from transom.web import Application, Request, StreamResponse

__all__ = [
    "TransomClient",
    "TransomRawServer",
    "TransomServer",
    "transom_client",
    "transom_raw_server",
    "transom_server",
    "transom_unused_port",
]


class TransomServer(Protocol):
    """The ``transom_server`` fixture: ``await transom_server(app, port=None, **kwargs)``."""

    async def __call__(
        self, app: Application, *, port: int | None = None, **kwargs: Any
    ) -> TestServer: ...


class TransomRawServer(Protocol):
    """The ``transom_raw_server`` fixture: ``await transom_raw_server(handler, **kwargs)``."""

    async def __call__(
        self,
        handler: Callable[[Request], Awaitable[StreamResponse]],
        *,
        port: int | None = None,
        **kwargs: Any,
    ) -> RawTestServer: ...


class TransomClient(Protocol):
    """The ``transom_client`` fixture: ``await transom_client(app_or_server, **kwargs)``."""

    async def __call__(
        self,
        target: Application | BaseTestServer | Callable[[], Application | Awaitable[Application]],
        *,
        server_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> TestClient: ...


async def _start(server: BaseTestServer, config: pytest.Config) -> None:
    if not server.started:
        await server.start_server()
        config.hook.pytest_transom_server_started(server=server)


@pytest.fixture
async def transom_server(request: pytest.FixtureRequest) -> AsyncIterator[TransomServer]:
    """A factory of started :class:`~transom.testing.TestServer` objects, closed after the test.

    ``await transom_server(app, port=None, **kwargs)``: ``kwargs`` go to
    :class:`~transom.testing.TestServer`. Fires ``pytest_transom_server_started``.
    """
    from transom.testing._servers import TestServer

    servers: list[TestServer] = []

    async def factory(app: Application, *, port: int | None = None, **kwargs: Any) -> TestServer:
        server = TestServer(app, port=port, **kwargs)
        servers.append(server)
        await _start(server, request.config)
        return server

    try:
        yield factory
    finally:
        for server in reversed(servers):
            await server.close()


@pytest.fixture
async def transom_raw_server(request: pytest.FixtureRequest) -> AsyncIterator[TransomRawServer]:
    """A factory of started :class:`~transom.testing.RawTestServer` objects, closed after the test.

    ``await transom_raw_server(handler, port=None, **kwargs)``: ``kwargs`` go to
    :class:`~transom.testing.RawTestServer`. Fires ``pytest_transom_server_started``.
    """
    from transom.testing._servers import RawTestServer

    servers: list[RawTestServer] = []

    async def factory(
        handler: Callable[[Request], Awaitable[StreamResponse]],
        *,
        port: int | None = None,
        **kwargs: Any,
    ) -> RawTestServer:
        server = RawTestServer(handler, port=port, **kwargs)
        servers.append(server)
        await _start(server, request.config)
        return server

    try:
        yield factory
    finally:
        for server in reversed(servers):
            await server.close()


@pytest.fixture
async def transom_client(request: pytest.FixtureRequest) -> AsyncIterator[TransomClient]:
    """A factory of started :class:`~transom.testing.TestClient` objects, closed after the test.

    ``await transom_client(target, server_kwargs=None, **kwargs)``, where
    ``target`` is an :class:`~transom.web.Application`, a function returning
    one (or a coroutine function), or a test server; ``server_kwargs`` go to
    the :class:`~transom.testing.TestServer` made for an application and
    ``kwargs`` to the :class:`~transom.testing.TestClient`. Fires
    ``pytest_transom_server_started`` for a server it starts, then
    ``pytest_transom_client_started``.
    """
    from transom.testing._servers import BaseTestServer, TestServer
    from transom.testing._test_client import TestClient
    from transom.web import Application

    clients: list[TestClient] = []

    async def factory(
        target: Application | BaseTestServer | Callable[[], Application | Awaitable[Application]],
        *,
        server_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> TestClient:
        if isinstance(target, BaseTestServer):
            if server_kwargs:
                raise TypeError("server_kwargs apply to an app, not to a server given ready-made")
            server = target
        else:
            app: object = target
            if not isinstance(app, Application) and callable(app):
                app = app()
                if inspect.isawaitable(app):
                    app = await app
            if not isinstance(app, Application):
                raise TypeError(
                    "transom_client takes an Application, a function returning one, "
                    f"or a test server; got {target!r}"
                )
            server = TestServer(app, **(server_kwargs or {}))
        client = TestClient(server, **kwargs)
        clients.append(client)
        await _start(server, request.config)
        request.config.hook.pytest_transom_client_started(client=client)
        return client

    try:
        yield factory
    finally:
        for client in reversed(clients):
            await client.close()


@pytest.fixture
def transom_unused_port() -> Callable[..., int]:
    """The :func:`~transom.testing.unused_port` function: call it for a free port."""
    return unused_port
