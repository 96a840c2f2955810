"""Hooks the transom pytest plugin offers to a project's ``conftest.py`` or plugins.

The plugin registers these specifications through ``pytest_addhooks``, so any
plugin or ``conftest.py`` can implement them by name (pytest only looks for
hook implementations among names starting with ``pytest_``)::

    # conftest.py
    import asyncio

    def pytest_transom_loop_factory(config):
        return asyncio.new_event_loop   # or uvloop.new_event_loop, or your own

    def pytest_transom_server_started(server):
        print("serving on", server.make_url("/"))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import asyncio

    import pytest

    from transom.testing._servers import BaseTestServer
    from transom.testing._test_client import TestClient

__all__ = [
    "hookspec",
    "pytest_transom_client_started",
    "pytest_transom_loop_factory",
    "pytest_transom_server_started",
]

hookspec = pluggy.HookspecMarker("pytest")


@hookspec(firstresult=True)
def pytest_transom_loop_factory(
    config: pytest.Config,
) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """Return the factory that makes each test's fresh event loop.

    Called once per test that needs a loop. The first implementation that
    returns a factory wins; return ``None`` to leave the choice to the next
    one. Without any, ``--transom-loop`` decides (``asyncio`` by default,
    ``uvloop`` when asked for).

    Args:
        config: The pytest config, for reading options.

    Returns:
        A zero-argument callable returning a new, not yet running event loop,
        or ``None``.
    """


@hookspec
def pytest_transom_server_started(server: BaseTestServer) -> None:
    """Called when a fixture has started a test server, before the test gets it.

    Fired by ``transom_server`` and ``transom_raw_server``, and by
    ``transom_client`` for the server it starts for an application; a server
    a test starts itself is not reported. Use it to log the URL, seed a
    database the app uses, or attach a tracer.

    Args:
        server: The started :class:`~transom.testing.TestServer` or
            :class:`~transom.testing.RawTestServer`; ``server.make_url(path)``
            gives its URLs.
    """


@hookspec
def pytest_transom_client_started(client: TestClient) -> None:
    """Called when the ``transom_client`` fixture has started a client, before the test gets it.

    Its server is listening (and was reported by
    :func:`pytest_transom_server_started` if the fixture started it). Use it to
    put cookies in ``client.session.cookie_jar``, such as a logged-in session.

    Args:
        client: The started :class:`~transom.testing.TestClient`.
    """
