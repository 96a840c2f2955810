import textwrap

import pytest

APP = """
import asyncio

import pytest
from transom import web
from transom.client import ClientSession, TCPConnector
from transom.testing import RawTestServer, TestClient, TestServer


async def endless(request):
    response = web.StreamResponse()
    await response.prepare(request)
    await response.write(b"started")
    await asyncio.sleep(30)
    return response


async def hello(request):
    return web.Response(text="hello")


async def ws_echo(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        await ws.send_str(msg.data)
    return ws


def make_app():
    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/ws", ws_echo)
    return app
"""


def _write(pytester: pytest.Pytester, source: str) -> None:
    pytester.makepyfile(test_sample=APP + textwrap.dedent(source))


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:asyncio", "-p", "no:randomly", *args)


def _line_of(pytester: pytest.Pytester, text: str) -> int:
    lines = pytester.path.joinpath("test_sample.py").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_a_session_left_open_fails_the_test_naming_the_line_that_made_it(
    pytester: pytest.Pytester,
) -> None:
    _write(
        pytester,
        """
        async def test_leaks_a_session():
            session = ClientSession()
        """,
    )

    result = _run(pytester)

    result.assert_outcomes(passed=1, errors=1)
    line = _line_of(pytester, "session = ClientSession()")
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leaks_a_session*",
            "test_sample.py::test_leaks_a_session left 1 transom object open:",
            f"  ClientSession created at test_sample.py:{line} (in test_leaks_a_session),"
            " still open",
            "      session = ClientSession()",
            "*--transom-leaks=warn*",
        ]
    )


def test_each_kind_of_leak_is_reported(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        async def test_connector():
            connector = TCPConnector()

        async def test_test_server():
            server = TestServer(make_app())
            await server.start_server()

        async def test_test_client():
            client = TestClient(TestServer(make_app()))
            await client.start_server()

        async def test_runner():
            runner = web.AppRunner(make_app())
            await runner.setup()

        async def test_unreleased_response():
            async with RawTestServer(endless, shutdown_timeout=0.1) as server:
                async with ClientSession() as session:
                    response = await session.get(server.make_url("/"))
        """,
    )

    result = _run(pytester)

    result.assert_outcomes(passed=5, errors=5)
    result.stdout.fnmatch_lines_random(
        [
            "  TCPConnector created at test_sample.py:* (in test_connector), still open",
            "  TestServer created at test_sample.py:* (in test_test_server), still open",
            "  TestClient created at test_sample.py:* (in test_test_client), still open",
            "  AppRunner created at test_sample.py:* (in test_runner), still open",
            "  ClientResponse created at test_sample.py:* (in test_unreleased_response),"
            " still open",
            '      response = await session.get(server.make_url("/"))',
        ]
    )


def test_what_transom_makes_for_an_object_is_left_to_that_object(
    pytester: pytest.Pytester,
) -> None:
    _write(
        pytester,
        """
        async def test_leaks_a_client():
            client = TestClient(TestServer(make_app()))
            await client.start_server()
            await client.get("/")
        """,
    )

    result = _run(pytester)

    # The client's session, connector and server's runner are not reported
    # separately; the server made by the test itself is.
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*left 2 transom objects open:"])
    result.stdout.fnmatch_lines_random(
        [
            "  TestClient created at test_sample.py:*",
            "  TestServer created at test_sample.py:*",
        ]
    )
    result.stdout.no_fnmatch_line("*ClientSession created*")
    result.stdout.no_fnmatch_line("*Connector created*")


def test_what_a_test_closes_is_not_reported(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        async def test_closes_everything():
            async with ClientSession() as session, TestServer(make_app()) as server:
                async with session.get(server.make_url("/")) as response:
                    assert response.status == 200
                connector = TCPConnector()
                await connector.close()

        async def test_reads_the_body_to_the_end():
            async with TestServer(make_app()) as server, ClientSession() as session:
                response = await session.get(server.make_url("/"))
                assert await response.text() == "hello"
        """,
    )

    _run(pytester, "-W", "error").assert_outcomes(passed=2)


def test_a_leak_in_an_async_fixture_is_blamed_on_the_fixture(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        @pytest.fixture
        async def session():
            return ClientSession()

        @pytest.fixture
        async def closed_session():
            async with ClientSession() as session:
                yield session

        async def test_uses_them(session, closed_session):
            pass
        """,
    )

    result = _run(pytester)

    result.assert_outcomes(passed=1, errors=1)
    line = _line_of(pytester, "return ClientSession()")
    result.stdout.fnmatch_lines(
        [
            "*left 1 transom object open:",
            f"  ClientSession created at test_sample.py:{line} (in session), still open",
        ]
    )


def test_leaked_objects_are_closed_after_the_report(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        made = []

        async def test_leaks():
            server = TestServer(make_app())
            await server.start_server()
            session = ClientSession()
            response = await session.get(server.make_url("/"))
            made.extend([server, session, session.connector])

        def test_they_were_closed():
            assert [obj.closed for obj in made] == [True, True, True]
        """,
    )

    _run(pytester).assert_outcomes(passed=2, errors=1)


def test_warn_mode_reports_the_leak_as_a_warning_at_its_line(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        async def test_leaks_a_session():
            session = ClientSession()
        """,
    )

    result = _run(pytester, "--transom-leaks=warn", "-W", "always::transom.testing.LeakWarning")

    result.assert_outcomes(passed=1, warnings=1)
    line = _line_of(pytester, "session = ClientSession()")
    result.stdout.fnmatch_lines(
        [
            f"*test_sample.py:{line}: LeakWarning: test_sample.py::test_leaks_a_session left 1*",
            "*ClientSession created at test_sample.py:*",
        ]
    )


def test_the_ini_option_selects_warn_mode(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntransom_leaks = warn\n")
    _write(
        pytester,
        """
        async def test_leaks_a_session():
            session = ClientSession()
        """,
    )

    _run(pytester, "-W", "always::transom.testing.LeakWarning").assert_outcomes(
        passed=1, warnings=1
    )


def test_the_command_line_option_wins_over_the_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntransom_leaks = warn\n")
    _write(
        pytester,
        """
        async def test_leaks_a_session():
            session = ClientSession()
        """,
    )

    _run(pytester, "--transom-leaks=fail").assert_outcomes(passed=1, errors=1)


def test_an_unknown_ini_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntransom_leaks = ignore\n")
    _write(pytester, "")

    result = _run(pytester)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*transom_leaks must be 'fail' or 'warn', not 'ignore'*"])


def test_a_client_websocket_left_open_is_reported(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        async def test_leaks_a_websocket():
            server = TestServer(make_app())
            await server.start_server()
            session = ClientSession()
            ws = await session.ws_connect(server.make_url("/ws"))
            await ws.send_str("hi")
            assert (await ws.receive()).data == "hi"

        async def test_closes_its_websocket():
            async with TestServer(make_app()) as server, ClientSession() as session:
                async with session.ws_connect(server.make_url("/ws")) as ws:
                    await ws.send_str("hi")
                    assert (await ws.receive()).data == "hi"

        async def test_test_client_closes_websockets_it_opened():
            async with TestClient(TestServer(make_app())) as client:
                ws = await client.ws_connect("/ws")
                await ws.send_str("hi")
                assert (await ws.receive()).data == "hi"
        """,
    )

    result = _run(pytester)

    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_leaks_a_websocket*"])
    result.stdout.fnmatch_lines_random(
        [
            "  ClientWebSocketResponse created at test_sample.py:*"
            " (in test_leaks_a_websocket), still open",
            "  WebSocketResponse created at test_sample.py:* (in ws_echo), still open",
            "  ClientSession created at test_sample.py:* (in test_leaks_a_websocket), still open",
            "  TestServer created at test_sample.py:* (in test_leaks_a_websocket), still open",
        ]
    )
