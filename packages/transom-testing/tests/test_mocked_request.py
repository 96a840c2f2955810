import ssl
from collections.abc import Awaitable, Callable

import pytest

from transom.testing import make_mocked_request
from transom.web import (
    AppKey,
    Application,
    HTTPForbidden,
    HTTPRequestEntityTooLarge,
    Request,
    Response,
    StreamReader,
    StreamResponse,
    json_response,
    middleware,
)

GREETING = AppKey("greeting", str)
Handler = Callable[[Request], Awaitable[StreamResponse]]


async def greet(request: Request) -> Response:
    return Response(text=f"{request.app[GREETING]}, {request.match_info['name']}")


async def create_item(request: Request) -> Response:
    item = await request.json()
    return json_response({"created": item["name"]}, status=201)


async def who(request: Request) -> Response:
    return json_response(
        {"remote": request.remote, "secure": request.secure, "url": str(request.url)}
    )


async def streamed(request: Request) -> StreamResponse:
    response = StreamResponse()
    await response.prepare(request)
    await response.write(b"part")
    await response.write_eof()
    return response


@middleware
async def require_token(request: Request, handler: Handler) -> StreamResponse:
    if request.headers.get("Authorization") != "Bearer good":
        raise HTTPForbidden(text="no token")
    request["user"] = "ada"
    return await handler(request)


async def test_a_handler_sees_method_path_query_and_headers() -> None:
    request = make_mocked_request("GET", "/items?page=2", headers={"Accept": "text/plain"})

    assert request.method == "GET"
    assert request.path == "/items"
    assert request.query["page"] == "2"
    assert request.headers["accept"] == "text/plain"
    assert request.version == (1, 1)


async def test_match_info_and_app_state_reach_the_handler() -> None:
    app = Application()
    app[GREETING] = "Hello"
    request = make_mocked_request("GET", "/greet/Ada", match_info={"name": "Ada"}, app=app)

    response = await greet(request)

    assert response.text == "Hello, Ada"
    assert request.app is app
    assert request.config_dict[GREETING] == "Hello"


async def test_without_an_app_the_request_has_an_empty_one() -> None:
    request = make_mocked_request("GET", "/")

    assert isinstance(request.app, Application)
    assert len(request.app) == 0
    assert dict(request.match_info) == {}


async def test_a_json_payload_is_read_by_the_handler() -> None:
    request = make_mocked_request(
        "POST",
        "/items",
        headers={"Content-Type": "application/json"},
        payload=b'{"name": "lamp"}',
    )

    response = await create_item(request)

    assert response.status == 201
    assert response.text == '{"created": "lamp"}'


async def test_a_form_payload_is_parsed_by_post() -> None:
    request = make_mocked_request(
        "POST",
        "/form",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        payload=b"a=1&b=two",
    )

    form = await request.post()

    assert dict(form) == {"a": "1", "b": "two"}


async def test_a_request_without_payload_reads_empty() -> None:
    request = make_mocked_request("GET", "/")

    assert await request.read() == b""
    assert not request.can_read_body


async def test_a_streamed_payload_is_read_as_the_test_feeds_it() -> None:
    stream = StreamReader()
    request = make_mocked_request("PUT", "/upload", payload=stream)
    stream.feed_data(b"chunk one, ")
    stream.feed_data(b"chunk two")
    stream.feed_eof()

    assert await request.read() == b"chunk one, chunk two"


async def test_client_max_size_limits_the_body_read() -> None:
    request = make_mocked_request("POST", "/", payload=b"x" * 11, client_max_size=10)

    with pytest.raises(HTTPRequestEntityTooLarge):
        await request.read()


async def test_the_peer_is_a_loopback_client_over_plain_http_by_default() -> None:
    request = make_mocked_request("GET", "/who", headers={"Host": "example.org"})

    body = (await who(request)).text

    assert body == '{"remote": "127.0.0.1", "secure": false, "url": "http://example.org/who"}'


async def test_an_ssl_context_makes_the_request_secure() -> None:
    request = make_mocked_request(
        "GET",
        "/who",
        headers={"Host": "example.org"},
        sslcontext=ssl.create_default_context(),
        peername=("10.0.0.7", 4000),
    )

    assert request.secure
    assert request.remote == "10.0.0.7"
    assert str(request.url) == "https://example.org/who"


async def test_middleware_refuses_a_request_without_a_token() -> None:
    request = make_mocked_request("GET", "/greet/Ada", match_info={"name": "Ada"})

    with pytest.raises(HTTPForbidden):
        await require_token(request, greet)


async def test_middleware_passes_an_authorised_request_on() -> None:
    app = Application()
    app[GREETING] = "Hi"
    request = make_mocked_request(
        "GET",
        "/greet/Ada",
        headers={"Authorization": "Bearer good"},
        match_info={"name": "Ada"},
        app=app,
    )

    response = await require_token(request, greet)

    assert isinstance(response, Response)
    assert response.text == "Hi, Ada"
    assert request["user"] == "ada"


async def test_a_streamed_response_can_be_prepared_and_written() -> None:
    request = make_mocked_request("GET", "/stream")

    response = await streamed(request)

    assert response.prepared
    assert response.status == 200


async def test_on_response_prepare_of_the_app_runs() -> None:
    app = Application()
    seen: list[str] = []

    async def stamp(request: Request, response: StreamResponse) -> None:
        seen.append(request.path)
        response.headers["X-Stamp"] = "1"

    app.on_response_prepare.append(stamp)
    request = make_mocked_request("GET", "/stamped", app=app)
    response = Response(text="ok")

    await response.prepare(request)

    assert seen == ["/stamped"]
    assert response.headers["X-Stamp"] == "1"


async def test_clone_keeps_the_mocked_routing() -> None:
    request = make_mocked_request("GET", "/a", match_info={"name": "x"})

    clone = request.clone(method="POST")

    assert clone.method == "POST"
    assert clone.match_info["name"] == "x"


def test_building_a_request_needs_no_event_loop() -> None:
    request = make_mocked_request("DELETE", "/items/3", match_info={"id": "3"})

    assert request.method == "DELETE"
    assert request.match_info["id"] == "3"
