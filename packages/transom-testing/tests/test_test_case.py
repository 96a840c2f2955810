import textwrap

import pytest


def _run(pytester: pytest.Pytester, source: str) -> pytest.RunResult:
    pytester.makepyfile(test_sample=textwrap.dedent(source))
    return pytester.runpytest("-p", "no:asyncio", "-p", "no:randomly", "-W", "error")


def test_each_test_gets_the_app_served_and_a_client(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        from transom import web
        from transom.testing import TestClient, TestServer, TransomTestCase

        events = []

        async def hello(request):
            return web.Response(text="hello")

        class TestHello(TransomTestCase):
            async def get_application(self):
                app = web.Application()
                app.router.add_get("/", hello)

                async def on_cleanup(app):
                    events.append("cleanup")

                app.on_cleanup.append(on_cleanup)
                return app

            async def test_get(self):
                async with self.client.get("/") as response:
                    self.assertEqual(await response.text(), "hello")
                self.assertIsInstance(self.server, TestServer)
                self.assertIsInstance(self.client, TestClient)
                self.assertIs(self.client.app, self.app)
                self.assertTrue(self.server.started)

            async def test_second(self):
                self.assertEqual(events, ["cleanup"])
        """,
    )

    result.assert_outcomes(passed=2)


def test_a_sync_get_application_and_custom_client(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        from transom import web
        from transom.testing import TestClient, TransomTestCase

        async def echo(request):
            return web.Response(text=request.headers.get("X-Token", ""))

        class TestCustom(TransomTestCase):
            def get_application(self):
                app = web.Application()
                app.router.add_get("/", echo)
                return app

            async def get_client(self, server):
                return TestClient(server, headers={"X-Token": "secret"})

            async def test_header_sent(self):
                response = await self.client.get("/")
                self.assertEqual(await response.text(), "secret")
        """,
    )

    result.assert_outcomes(passed=1)


def test_without_get_application_the_test_errors(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        from transom.testing import TransomTestCase

        class TestNothing(TransomTestCase):
            async def test_it(self):
                pass
        """,
    )

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*NotImplementedError: override get_application()*"])
