"""``TransomTestCase``: unittest-style tests with a started server and client per test."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from unittest import IsolatedAsyncioTestCase

from transom.testing._servers import TestServer
from transom.testing._test_client import TestClient
from transom.web import Application

__all__ = ["TransomTestCase"]


class TransomTestCase(IsolatedAsyncioTestCase):
    """A test case whose every test gets the application served and a client for it.

    Override :meth:`get_application`; each test method then finds
    ``self.app``, a started ``self.server`` and ``self.client`` (a
    :class:`TestClient`), all closed after the test (after ``asyncTearDown``).
    Each test runs on its own event loop, as
    :class:`unittest.IsolatedAsyncioTestCase` does::

        class TestGreeting(TransomTestCase):
            async def get_application(self) -> web.Application:
                app = web.Application()
                app.router.add_get("/", hello)
                return app

            async def test_hello(self) -> None:
                async with self.client.get("/") as response:
                    self.assertEqual(response.status, 200)

    Override :meth:`get_server` or :meth:`get_client` to change how they are
    made (server options, client headers).
    """

    app: Application
    server: TestServer
    client: TestClient

    def get_application(self) -> Application | Awaitable[Application]:
        """Return the application to test (this method may be ``async``).

        Raises:
            NotImplementedError: Not overridden.
        """
        raise NotImplementedError("override get_application() to return the app under test")

    async def get_server(self, app: Application) -> TestServer:
        """Return the (not yet started) server for ``app``."""
        return TestServer(app)

    async def get_client(self, server: TestServer) -> TestClient:
        """Return the (not yet started) client for ``server``."""
        return TestClient(server)

    async def asyncSetUp(self) -> None:
        """Build the app, server and client, and start the server."""
        await super().asyncSetUp()
        app = self.get_application()
        if inspect.isawaitable(app):
            app = await app
        self.app = app
        self.server = await self.get_server(app)
        # Cleanups run even when setUp fails part way; closing twice is harmless.
        self.addAsyncCleanup(self.server.close)
        self.client = await self.get_client(self.server)
        self.addAsyncCleanup(self.client.close)
        await self.client.start_server()
