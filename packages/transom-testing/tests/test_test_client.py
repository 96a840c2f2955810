import asyncio

import pytest

from transom.testing import RawTestServer, TestClient, TestServer
from transom.web import (
    Application,
    HTTPFound,
    Request,
    Response,
    StreamResponse,
    WebSocketResponse,
    WSMsgType,
    json_response,
)


async def echo(request: Request) -> Response:
    return json_response(
        {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "body": (await request.read()).decode(),
            "cookie": request.cookies.get("flavour"),
        }
    )


async def set_cookie(request: Request) -> Response:
    response = Response(text="set")
    response.set_cookie("flavour", "lemon")
    return response


async def redirect(request: Request) -> Response:
    raise HTTPFound("/echo")


async def slow_stream(request: Request) -> StreamResponse:
    response = StreamResponse()
    await response.prepare(request)
    await response.write(b"first part")
    # The body never ends while the test runs: the client must release it.
    await asyncio.sleep(30)
    return response


def make_app() -> Application:
    app = Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/cookie", set_cookie)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/stream", slow_stream)
    return app


async def test_requests_take_paths_relative_to_the_server() -> None:
    async with TestClient(TestServer(make_app())) as client:
        response = await client.get("/echo?a=1")

        assert response.status == 200
        assert await response.json() == {
            "method": "GET",
            "path": "/echo",
            "query": {"a": "1"},
            "body": "",
            "cookie": None,
        }


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_each_method_shortcut_sends_its_method(method: str) -> None:
    async with TestClient(TestServer(make_app())) as client:
        shortcut = getattr(client, method.lower())
        async with shortcut("/echo", data=b"payload") as response:
            body = await response.json()

    assert (body["method"], body["body"]) == (method, "payload")


async def test_head_and_options_shortcuts_send_their_method() -> None:
    async with TestClient(TestServer(make_app())) as client:
        head = await client.head("/echo")
        options = await client.options("/echo")

        assert head.status == 200
        assert head.method == "HEAD"
        assert (await options.json())["method"] == "OPTIONS"


async def test_request_with_any_method_and_options() -> None:
    async with (
        TestClient(TestServer(make_app())) as client,
        client.request("POST", "/echo", params={"q": "x"}, json=[1]) as response,
    ):
        body = await response.json()

    assert body["query"] == {"q": "x"}
    assert body["body"] == "[1]"


async def test_redirects_are_followed_on_the_same_server() -> None:
    async with TestClient(TestServer(make_app())) as client:
        response = await client.get("/redirect")

        assert response.status == 200
        assert (await response.json())["path"] == "/echo"


async def test_the_cookie_jar_keeps_cookies_from_the_loopback_address() -> None:
    async with TestClient(TestServer(make_app())) as client:
        await client.get("/cookie")
        response = await client.get("/echo")

        assert (await response.json())["cookie"] == "lemon"


async def test_exposes_its_server_app_session_and_urls() -> None:
    app = make_app()
    server = TestServer(app)

    async with TestClient(server) as client:
        assert client.server is server
        assert client.app is app
        assert client.host == "127.0.0.1"
        assert client.port == server.port
        assert client.make_url("/x") == server.make_url("/x")
        assert not client.session.closed


async def test_a_raw_server_client_has_no_app() -> None:
    async def handler(request: Request) -> Response:
        return Response(text="raw")

    async with TestClient(RawTestServer(handler)) as client:
        assert client.app is None
        assert await (await client.get("/")).text() == "raw"


async def test_session_options_are_passed_on() -> None:
    async with TestClient(TestServer(make_app()), headers={"X-Token": "t"}) as client:
        assert client.session.headers["X-Token"] == "t"


async def test_close_releases_unread_responses_and_closes_session_and_server() -> None:
    client = TestClient(TestServer(make_app(), shutdown_timeout=0.1))
    await client.start_server()
    response = await client.get("/stream")
    closed_before = response.closed

    await client.close()

    assert (closed_before, response.closed) == (False, True)
    assert client.closed
    assert client.session.closed
    assert client.server.closed


async def test_closing_twice_is_harmless() -> None:
    client = TestClient(TestServer(make_app()))
    await client.start_server()

    await client.close()
    await client.close()

    assert client.closed


async def test_a_closed_client_cannot_start() -> None:
    client = TestClient(TestServer(make_app()))
    await client.close()

    with pytest.raises(RuntimeError, match="closed"):
        await client.start_server()


async def test_the_server_must_be_a_test_server() -> None:
    with pytest.raises(TypeError, match="TestServer"):
        TestClient(make_app())  # type: ignore[arg-type]


async def test_an_unread_response_is_released_after_many_read_ones() -> None:
    async with TestClient(TestServer(make_app(), shutdown_timeout=0.1)) as client:
        for _ in range(100):
            async with client.get("/echo") as response:
                await response.read()
        streaming = await client.get("/stream")

    assert streaming.closed


def test_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="running event loop"):
        TestClient(TestServer(make_app()))


async def ws_echo(request: Request) -> WebSocketResponse:
    ws = WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is WSMsgType.TEXT:
            await ws.send_str(f"echo {msg.data} from {request.path_qs}")
    return ws


async def test_ws_connect_takes_a_path_on_the_server() -> None:
    app = Application()
    app.router.add_get("/ws", ws_echo)
    async with TestClient(TestServer(app)) as client:
        async with client.ws_connect("/ws?room=1") as ws:
            await ws.send_str("hi")
            assert await ws.receive_str() == "echo hi from /ws?room=1"
        assert ws.closed
        assert ws.close_code == 1000


async def test_close_closes_websockets_left_open() -> None:
    app = Application()
    app.router.add_get("/ws", ws_echo)
    client = TestClient(TestServer(app))
    await client.start_server()
    ws = await client.ws_connect("/ws", protocols=())
    await ws.send_str("hi")
    assert await ws.receive_str() == "echo hi from /ws"
    await client.close()
    assert ws.closed
