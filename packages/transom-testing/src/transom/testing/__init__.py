"""transom.testing: test servers, test clients, mocked requests and a pytest plugin.

Serve an application on a loopback port and talk to it::

    async with TestClient(TestServer(app)) as client:
        async with client.get("/") as response:
            assert response.status == 200

With pytest, the plugin (loaded automatically) runs ``async def`` tests and
fixtures, and its ``transom_client`` fixture does the above in one line. See
:mod:`transom.testing.pytest_plugin` and :mod:`transom.testing.hookspecs`.
"""

from transom.testing._leak_tracker import LeakWarning
from transom.testing._mocked_request import make_mocked_request
from transom.testing._ports import unused_port
from transom.testing._servers import (
    TEST_SHUTDOWN_TIMEOUT,
    BaseTestServer,
    RawTestServer,
    TestServer,
)
from transom.testing._test_case import TransomTestCase
from transom.testing._test_client import TestClient

__all__ = [
    "TEST_SHUTDOWN_TIMEOUT",
    "BaseTestServer",
    "LeakWarning",
    "RawTestServer",
    "TestClient",
    "TestServer",
    "TransomTestCase",
    "make_mocked_request",
    "unused_port",
]
