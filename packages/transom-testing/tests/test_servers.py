import pytest
from yarl import URL

from transom.client import ClientSession
from transom.testing import RawTestServer, TestServer, unused_port
from transom.web import AppKey, Application, Request, Response

EVENTS = AppKey("events", list)


async def hello(request: Request) -> Response:
    return Response(text=f"hello {request.path}")


def make_app(events: list[str] | None = None) -> Application:
    app = Application()
    app[EVENTS] = events if events is not None else []

    async def on_startup(app: Application) -> None:
        app[EVENTS].append("startup")

    async def on_cleanup(app: Application) -> None:
        app[EVENTS].append("cleanup")

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    app.router.add_get("/{tail:.*}", hello)
    return app


async def fetch(url: URL) -> tuple[int, str]:
    async with ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def test_test_server_serves_the_app_on_loopback_at_an_ephemeral_port() -> None:
    async with TestServer(make_app()) as server:
        assert server.host == "127.0.0.1"
        assert server.port is not None
        assert server.port > 0
        assert server.scheme == "http"
        assert await fetch(server.make_url("/a")) == (200, "hello /a")


async def test_make_url_joins_the_path_and_query_to_the_server_root() -> None:
    async with TestServer(make_app()) as server:
        url = server.make_url("/items?page=2")

    assert url == URL(f"http://127.0.0.1:{server.port}/items?page=2")


async def test_make_url_refuses_an_absolute_url() -> None:
    async with TestServer(make_app()) as server:
        with pytest.raises(ValueError, match="relative"):
            server.make_url("http://example.org/")


async def test_make_url_before_start_is_an_error() -> None:
    server = TestServer(make_app())

    with pytest.raises(RuntimeError, match="start_server"):
        server.make_url("/")


async def test_start_and_close_run_the_app_startup_and_cleanup() -> None:
    events: list[str] = []
    server = TestServer(make_app(events))

    await server.start_server()
    assert events == ["startup"]
    assert server.started
    assert not server.closed
    await server.close()

    assert events == ["startup", "cleanup"]
    assert server.closed


async def test_closing_twice_or_before_start_is_harmless() -> None:
    never_started = TestServer(make_app())
    await never_started.close()
    server = TestServer(make_app())
    await server.start_server()

    await server.close()
    await server.close()

    assert server.closed
    assert never_started.closed


async def test_a_closed_server_cannot_start_again() -> None:
    server = TestServer(make_app())
    await server.close()

    with pytest.raises(RuntimeError, match="closed"):
        await server.start_server()


async def test_starting_twice_keeps_the_first_port() -> None:
    async with TestServer(make_app()) as server:
        port = server.port
        await server.start_server()

        assert server.port == port


async def test_a_given_port_is_used() -> None:
    port = unused_port()

    async with TestServer(make_app(), port=port) as server:
        assert server.port == port
        assert await fetch(URL(f"http://127.0.0.1:{port}/p")) == (200, "hello /p")


async def test_the_scheme_given_is_the_scheme_of_its_urls() -> None:
    server = TestServer(make_app(), scheme="https")

    assert server.scheme == "https"


async def test_test_server_refuses_what_is_not_an_application() -> None:
    with pytest.raises(TypeError, match="Application"):
        TestServer(hello)  # type: ignore[arg-type]


async def test_raw_test_server_calls_the_handler_for_every_request() -> None:
    async with RawTestServer(hello) as server:
        assert server.handler is hello
        assert await fetch(server.make_url("/any/path")) == (200, "hello /any/path")


async def test_server_options_reach_the_server() -> None:
    async with RawTestServer(hello, client_max_size=10) as server:
        runner = server.runner
        assert runner is not None
        assert runner.server is not None
        assert runner.server.client_max_size == 10


async def test_a_failed_start_leaves_nothing_listening() -> None:
    async with TestServer(make_app()) as first:
        second = TestServer(make_app(), port=first.port)

        with pytest.raises(OSError, match="in use"):
            await second.start_server()

        assert not second.started
        await second.close()


def test_repr_shows_the_state() -> None:
    assert repr(TestServer(make_app())) == "<TestServer not started>"
