"""UrlDispatcher: resolution order, 404/405, HEAD, names, url_for, freezing."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from yarl import URL

from transom.web import (
    Application,
    DynamicResource,
    HTTPMethodNotAllowed,
    HTTPNotFound,
    PlainResource,
    Response,
    UrlDispatcher,
    UrlMappingMatchInfo,
    View,
)
from transom.web._router import routing_path

if TYPE_CHECKING:
    from tests.conftest import Serve

    from transom.web import Request

from .conftest import make_request


def resolve(router: UrlDispatcher, method: str, target: str) -> UrlMappingMatchInfo:
    request = make_request(method, target)
    return asyncio.run(router.resolve(request))


async def hello(request: Request) -> Response:
    return Response(text="hello")


async def other(request: Request) -> Response:
    return Response(text="other")


def test_a_plain_path_resolves_to_its_handler() -> None:
    router = UrlDispatcher()
    router.add_get("/hello", hello)
    match_info = resolve(router, "GET", "/hello")
    assert match_info.handler is hello
    assert match_info.http_exception is None
    assert dict(match_info) == {}


def test_an_unknown_path_is_404() -> None:
    router = UrlDispatcher()
    router.add_get("/hello", hello)
    error = resolve(router, "GET", "/nope").http_exception
    assert isinstance(error, HTTPNotFound)


def test_a_wrong_method_is_405_with_the_allowed_methods() -> None:
    router = UrlDispatcher()
    router.add_get("/items", hello)
    router.add_post("/items", other)
    error = resolve(router, "DELETE", "/items").http_exception
    assert isinstance(error, HTTPMethodNotAllowed)
    assert error.allowed_methods == {"GET", "HEAD", "POST"}
    assert error.headers["Allow"] == "GET, HEAD, POST"


def test_get_routes_answer_head() -> None:
    router = UrlDispatcher()
    router.add_get("/page", hello)
    assert resolve(router, "HEAD", "/page").handler is hello


def test_get_without_allow_head_refuses_head() -> None:
    router = UrlDispatcher()
    router.add_get("/page", hello, allow_head=False)
    assert isinstance(resolve(router, "HEAD", "/page").http_exception, HTTPMethodNotAllowed)


def test_star_method_accepts_any_method() -> None:
    router = UrlDispatcher()
    router.add_route("*", "/any", hello)
    assert resolve(router, "PROPFIND", "/any").handler is hello


def test_every_method_shortcut_registers_its_method() -> None:
    router = UrlDispatcher()
    router.add_head("/r", hello)
    router.add_put("/r", hello)
    router.add_patch("/r", hello)
    router.add_delete("/r", hello)
    router.add_options("/r", hello)
    router.add_post("/r", hello)
    assert {route.method for route in router.routes()} == {
        "HEAD",
        "PUT",
        "PATCH",
        "DELETE",
        "OPTIONS",
        "POST",
    }
    assert len(router.resources()) == 1


def test_variables_are_extracted_and_percent_decoded() -> None:
    router = UrlDispatcher()
    router.add_get("/users/{name}/posts/{post_id:\\d+}", hello)
    match_info = resolve(router, "GET", "/users/J%C3%BCrgen%20K/posts/42")
    assert dict(match_info) == {"name": "Jürgen K", "post_id": "42"}
    assert resolve(router, "GET", "/users/x/posts/abc").http_exception is not None


def test_an_encoded_slash_stays_inside_one_variable() -> None:
    router = UrlDispatcher()
    router.add_get("/files/{name}", hello)
    assert dict(resolve(router, "GET", "/files/a%2Fb")) == {"name": "a/b"}
    assert isinstance(resolve(router, "GET", "/files/a/b").http_exception, HTTPNotFound)


def test_a_tail_variable_takes_the_rest_of_the_path() -> None:
    router = UrlDispatcher()
    router.add_get("/static/{tail:.*}", hello)
    assert dict(resolve(router, "GET", "/static/css/site.css")) == {"tail": "css/site.css"}


def test_a_regex_with_braces_is_one_variable() -> None:
    router = UrlDispatcher()
    router.add_get("/year/{year:\\d{4}}", hello)
    assert dict(resolve(router, "GET", "/year/2024")) == {"year": "2024"}
    assert resolve(router, "GET", "/year/24").http_exception is not None


def test_a_fixed_path_wins_over_a_pattern_registered_before_it() -> None:
    router = UrlDispatcher()
    router.add_get("/users/{name}", other)
    router.add_get("/users/me", hello)
    assert resolve(router, "GET", "/users/me").handler is hello
    assert resolve(router, "GET", "/users/bob").handler is other


def test_a_pattern_answers_a_method_the_fixed_path_lacks() -> None:
    router = UrlDispatcher()
    router.add_get("/users/me", hello)
    router.add_delete("/users/{name}", other)
    assert resolve(router, "DELETE", "/users/me").handler is other


def test_405_collects_methods_from_every_matching_resource() -> None:
    router = UrlDispatcher()
    router.add_get("/users/me", hello)
    router.add_delete("/users/{name}", other)
    error = resolve(router, "POST", "/users/me").http_exception
    assert isinstance(error, HTTPMethodNotAllowed)
    assert error.allowed_methods == {"GET", "HEAD", "DELETE"}


def test_patterns_are_tried_in_registration_order() -> None:
    router = UrlDispatcher()
    router.add_get("/a/{x}", hello)
    router.add_get("/a/{y:.*}", other)
    assert resolve(router, "GET", "/a/1").handler is hello
    assert resolve(router, "GET", "/a/1/2").handler is other


def test_a_literal_percent_in_a_route_matches_its_encoding() -> None:
    router = UrlDispatcher()
    router.add_get("/100%", hello)
    assert resolve(router, "GET", "/100%25").handler is hello


def test_a_non_ascii_route_matches_the_encoded_request() -> None:
    router = UrlDispatcher()
    router.add_get("/café/{item}", hello)
    assert dict(resolve(router, "GET", "/caf%C3%A9/cr%C3%AApe")) == {"item": "crêpe"}


def test_adding_to_the_same_path_reuses_the_resource() -> None:
    router = UrlDispatcher()
    router.add_get("/same", hello)
    router.add_post("/same", other)
    assert len(router.resources()) == 1
    assert len(router.routes()) == 3


def test_registering_a_method_twice_is_refused() -> None:
    router = UrlDispatcher()
    router.add_post("/twice", hello)
    with pytest.raises(RuntimeError, match="would never run"):
        router.add_post("/twice", other)


def test_a_method_after_star_is_refused() -> None:
    router = UrlDispatcher()
    router.add_route("*", "/any", hello)
    with pytest.raises(RuntimeError, match="would never run"):
        router.add_get("/any", other)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/a/{name", "never closed"),
        ("/a/name}", "without"),
        ("/a/{1bad}", "bad variable name"),
        ("/a/{x}/{x}", "repeated"),
        ("/a/{x:}", "empty regex"),
        ("/a/{x:[}", "bad regex"),
        ("no-slash", "must start with '/'"),
    ],
)
def test_an_invalid_pattern_is_refused_with_a_clear_error(path: str, message: str) -> None:
    router = UrlDispatcher()
    with pytest.raises(ValueError, match=message):
        router.add_get(path, hello)


def test_an_invalid_method_is_refused() -> None:
    router = UrlDispatcher()
    with pytest.raises(ValueError, match="not a valid HTTP method"):
        router.add_route("GE T", "/", hello)


def test_a_sync_handler_is_refused() -> None:
    router = UrlDispatcher()

    def sync_handler(request: Request) -> Response:
        return Response()

    with pytest.raises(TypeError, match="async def"):
        router.add_get("/", sync_handler)  # type: ignore[arg-type]


def test_a_class_that_is_not_a_view_is_refused() -> None:
    router = UrlDispatcher()
    with pytest.raises(TypeError, match="View"):
        router.add_view("/", dict)  # type: ignore[arg-type]


def test_named_resources_are_looked_up_by_name() -> None:
    router = UrlDispatcher()
    router.add_get("/", hello, name="index")
    router.add_get("/users/{id}", hello, name="user.detail")
    assert "index" in router
    assert set(router) == {"index", "user.detail"}
    assert len(router) == 2
    assert router.named_resources()["user.detail"] is router["user.detail"]


def test_a_duplicate_route_name_is_refused() -> None:
    router = UrlDispatcher()
    router.add_get("/a", hello, name="page")
    with pytest.raises(ValueError, match="duplicate route name 'page'"):
        router.add_get("/b", hello, name="page")


@pytest.mark.parametrize("name", ["with space", "class", "1st", "a..b"])
def test_an_invalid_route_name_is_refused(name: str) -> None:
    router = UrlDispatcher()
    with pytest.raises(ValueError, match="invalid route name"):
        router.add_get("/a", hello, name=name)


def test_url_for_a_plain_resource() -> None:
    router = UrlDispatcher()
    router.add_get("/a b", hello, name="spaced")
    assert str(router["spaced"].url_for()) == "/a%20b"
    assert str(router["spaced"].url_for(query={"q": "x y"})) == "/a%20b?q=x+y"


def test_url_for_fills_and_encodes_variables() -> None:
    router = UrlDispatcher()
    router.add_get("/users/{name}/files/{path:.+}", hello, name="file")
    url = router["file"].url_for(name="a/b c", path="docs/ü.txt")
    assert str(url) == "/users/a%2Fb%20c/files/docs/%C3%BC.txt"
    assert dict(resolve(router, "GET", str(url))) == {"name": "a/b c", "path": "docs/ü.txt"}


def test_url_for_with_a_query() -> None:
    router = UrlDispatcher()
    router.add_get("/search/{kind}", hello, name="search")
    url = router["search"].url_for(kind="books", query={"q": "dune"})
    assert url == URL("/search/books?q=dune")


def test_url_for_gives_a_variable_named_query_its_value() -> None:
    router = UrlDispatcher()
    router.add_get("/find/{query}", hello, name="find")
    assert str(router["find"].url_for(query="x")) == "/find/x"


def test_url_for_needs_every_variable() -> None:
    router = UrlDispatcher()
    router.add_get("/users/{id}", hello, name="user")
    with pytest.raises(KeyError, match="'id'"):
        router["user"].url_for()


def test_url_for_refuses_a_value_that_would_not_match() -> None:
    router = UrlDispatcher()
    router.add_get("/posts/{id:\\d+}", hello, name="post")
    with pytest.raises(ValueError, match="does not match"):
        router["post"].url_for(id="abc")


def test_a_route_builds_its_resource_url() -> None:
    router = UrlDispatcher()
    route = router.add_get("/users/{id}", hello, name="user")
    assert str(route.url_for(id="7")) == "/users/7"
    assert route.name == "user"


def test_a_frozen_router_refuses_routes_with_a_clear_error() -> None:
    router = UrlDispatcher()
    router.freeze()
    assert router.frozen
    with pytest.raises(RuntimeError, match="frozen"):
        router.add_get("/late", hello)


def test_views_are_routed_for_every_method() -> None:
    class Things(View):
        async def get(self) -> Response:
            return Response(text="list")

    router = UrlDispatcher()
    router.add_view("/things", Things)
    assert resolve(router, "PATCH", "/things").handler is Things


def test_resources_and_routes_are_listed_in_registration_order() -> None:
    router = UrlDispatcher()
    first = router.add_post("/first", hello)
    second = router.add_post("/second/{x}", other)
    assert router.routes() == (first, second)
    assert [resource.canonical for resource in router.resources()] == ["/first", "/second/{x}"]
    info: dict[str, Any] = second.get_info()
    assert info["formatter"] == "/second/{x}"


# -- over a real connection ------------------------------------------------------


def routed_app() -> Application:
    app = Application()
    app.router.add_get("/page", hello)
    app.router.add_post("/page", other)
    app.router.add_get("/users/{name}", hello)
    return app


def test_over_http_a_get_route_answers_head_with_headers_only(serve: Serve) -> None:
    server = serve(routed_app())
    got = httpx.get(server.url("/page"))
    head = httpx.head(server.url("/page"))
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == got.headers["Content-Length"] == "5"


def test_over_http_unknown_paths_are_404_and_wrong_methods_405(serve: Serve) -> None:
    server = serve(routed_app())
    assert httpx.get(server.url("/missing")).status_code == 404
    refused = httpx.delete(server.url("/page"))
    assert refused.status_code == 405
    assert refused.headers["Allow"] == "GET, HEAD, POST"
    assert httpx.post(server.url("/page")).text == "other"


def test_over_http_resource_classes_of_the_application_serve_their_routes(serve: Serve) -> None:
    class Tagged(PlainResource):
        def get_info(self) -> dict[str, Any]:
            return {**super().get_info(), "tag": "mine"}

    class Suffixed(DynamicResource):
        def _match(self, path: str) -> dict[str, str] | None:
            return super()._match(path.removesuffix(".json"))

    async def item(request: Request) -> Response:
        return Response(text=request.match_info["id"])

    app = Application()
    tagged, suffixed = Tagged("/tagged", name="tagged"), Suffixed("/item/{id}")
    for resource, handler in ((tagged, hello), (suffixed, item)):
        app.router.register_resource(resource)
        resource.add_route("GET", handler)
    server = serve(app)
    assert httpx.get(server.url("/tagged")).text == "hello"
    assert httpx.get(server.url("/item/7.json")).text == "7"
    assert app.router["tagged"].get_info()["tag"] == "mine"


def test_over_http_percent_encoded_variables_are_decoded(serve: Serve) -> None:
    async def echo(request: Request) -> Response:
        return Response(text=request.match_info["name"])

    app = Application()
    app.router.add_get("/users/{name}", echo)
    server = serve(app)
    assert httpx.get(server.url("/users/J%C3%BCrgen%2FK")).text == "Jürgen/K"


@settings(max_examples=200, deadline=None)
@given(value=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=20))
def test_url_for_and_resolve_round_trip_any_text(value: str) -> None:
    router = UrlDispatcher()
    router.add_get("/items/{name}/{rest:.+}", hello, name="item")
    url = router["item"].url_for(name=value, rest=value)
    assert dict(resolve(router, "GET", url.raw_path)) == {"name": value, "rest": value}


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="/abz09.;:@+~!$&'()*,=-_?#%[]{}| ", max_size=24))
def test_routes_match_the_targets_path_safe(tail: str) -> None:
    """The router is given ``rel_url.path_safe``, however the target is written."""
    request = make_request("GET", "/" + tail)
    assert routing_path(request) == request.rel_url.path_safe
