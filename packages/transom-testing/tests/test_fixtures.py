import textwrap

import pytest

APP = """
import pytest
from transom import web
from transom.testing import RawTestServer, TestClient, TestServer

EVENTS = web.AppKey("events", list)
events = []


async def hello(request):
    return web.Response(text=f"hello {request.path}")


def make_app():
    app = web.Application()
    app[EVENTS] = events

    async def on_cleanup(app):
        app[EVENTS].append("cleanup")

    app.on_cleanup.append(on_cleanup)
    app.router.add_get("/{tail:.*}", hello)
    return app
"""


def _write(pytester: pytest.Pytester, source: str) -> None:
    pytester.makepyfile(test_sample=APP + textwrap.dedent(source))


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:asyncio", "-p", "no:randomly", "-W", "error", *args)


def test_transom_client_takes_an_app_a_factory_or_a_server(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        async def make_app_async():
            return make_app()

        async def test_app(transom_client):
            client = await transom_client(make_app())
            assert await (await client.get("/a")).text() == "hello /a"

        async def test_factory(transom_client):
            client = await transom_client(make_app)
            assert isinstance(client.app, web.Application)
            assert await (await client.get("/b")).text() == "hello /b"

        async def test_async_factory(transom_client):
            client = await transom_client(make_app_async)
            assert await (await client.get("/c")).text() == "hello /c"

        async def test_server(transom_client, transom_server):
            server = await transom_server(make_app())
            client = await transom_client(server)
            assert client.server is server
            assert await (await client.get("/d")).text() == "hello /d"

        async def test_raw_server(transom_client, transom_raw_server):
            server = await transom_raw_server(hello)
            client = await transom_client(server)
            assert client.app is None
            assert await (await client.get("/e")).text() == "hello /e"
        """,
    )

    _run(pytester).assert_outcomes(passed=5)


def test_what_the_fixtures_started_is_closed_after_the_test(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        made = []

        async def test_uses_all(transom_client, transom_server, transom_raw_server):
            client = await transom_client(make_app())
            server = await transom_server(make_app())
            raw = await transom_raw_server(hello)
            unread = await client.get("/")
            made.extend([client, server, raw, client.session])
            assert client.server.started and server.started and raw.started

        def test_all_closed():
            assert [obj.closed for obj in made] == [True, True, True, True]
            assert events == ["cleanup", "cleanup"]
        """,
    )

    _run(pytester).assert_outcomes(passed=2)


def test_options_reach_the_server_and_the_client(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        async def test_options(transom_client, transom_unused_port):
            port = transom_unused_port()
            client = await transom_client(
                make_app(), server_kwargs={"port": port}, headers={"X-Test": "1"}
            )
            assert client.port == port
            assert client.session.headers["X-Test"] == "1"

        async def test_server_port(transom_server, transom_unused_port):
            port = transom_unused_port()
            server = await transom_server(make_app(), port=port)
            assert server.port == port
        """,
    )

    _run(pytester).assert_outcomes(passed=2)


def test_transom_client_refuses_what_it_cannot_serve(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        async def test_not_an_app(transom_client):
            with pytest.raises(TypeError, match="Application, a function returning one"):
                await transom_client(42)

        async def test_factory_returning_something_else(transom_client):
            with pytest.raises(TypeError, match="Application"):
                await transom_client(lambda: "app")

        async def test_server_kwargs_with_a_server(transom_client, transom_server):
            server = await transom_server(make_app())
            with pytest.raises(TypeError, match="server_kwargs"):
                await transom_client(server, server_kwargs={"port": 0})
        """,
    )

    _run(pytester).assert_outcomes(passed=3)


def test_started_hooks_see_each_server_once_then_the_client(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        calls = []

        def pytest_transom_server_started(server):
            assert server.started
            calls.append(("server", type(server).__name__, server.port))

        def pytest_transom_client_started(client):
            calls.append(("client", client.port))
        """
    )
    _write(
        pytester,
        """
        from conftest import calls

        async def test_client_for_an_app(transom_client):
            client = await transom_client(make_app())
            assert calls == [("server", "TestServer", client.port), ("client", client.port)]
            calls.clear()

        async def test_client_for_a_started_server(transom_client, transom_raw_server):
            server = await transom_raw_server(hello)
            client = await transom_client(server)
            assert calls == [("server", "RawTestServer", server.port), ("client", server.port)]
            calls.clear()
        """,
    )

    _run(pytester, "--import-mode=prepend").assert_outcomes(passed=2)


def test_fixtures_run_on_uvloop_when_asked(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        import asyncio
        import uvloop

        async def test_on_uvloop(transom_server):
            server = await transom_server(make_app())
            assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
            reader, writer = await asyncio.open_connection(server.host, server.port)
            writer.write(b"GET /u HTTP/1.1\\r\\nHost: test\\r\\nConnection: close\\r\\n\\r\\n")
            answer = await reader.read()
            writer.close()
            await writer.wait_closed()
            assert answer.startswith(b"HTTP/1.1 200 OK")
            assert answer.endswith(b"hello /u")
        """,
    )

    _run(pytester, "--transom-loop=uvloop").assert_outcomes(passed=1)


def test_with_pytest_asyncio_auto_mode_the_fixtures_run_on_its_loop(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    _write(
        pytester,
        """
        async def test_with_a_client(transom_client):
            client = await transom_client(make_app())
            assert await (await client.get("/x")).text() == "hello /x"

        def test_cleanup_ran_once():
            assert events == ["cleanup"]
        """,
    )

    pytester.runpytest("-p", "asyncio", "-p", "no:randomly").assert_outcomes(passed=2)


def test_with_pytest_asyncio_strict_mode_a_marked_test_cannot_use_them(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    _write(
        pytester,
        """
        @pytest.mark.asyncio
        async def test_marked(transom_client):
            pass
        """,
    )

    result = pytester.runpytest("-p", "asyncio", "-p", "no:randomly")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*requested an async fixture 'transom_client'*"])
