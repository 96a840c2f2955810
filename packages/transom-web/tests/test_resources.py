"""Resources: fixed paths, patterns, static directories and their safety rules."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from transom.web import (
    Application,
    DynamicResource,
    HTTPException,
    HTTPForbidden,
    HTTPMethodNotAllowed,
    HTTPNotFound,
    PlainResource,
    Response,
    StaticResource,
    UrlDispatcher,
)

if TYPE_CHECKING:
    from tests.conftest import RunningServer, Serve

    from transom.web import Request

from .conftest import make_request


def serve(router: UrlDispatcher, target: str, method: str = "GET") -> Any:
    """Resolve and run the handler, returning the response or the HTTP exception."""

    async def run() -> Any:
        request = make_request(method, target)
        match_info = await router.resolve(request)
        request._match_info = match_info
        try:
            return await match_info.handler(request)
        except HTTPException as exc:
            return exc

    return asyncio.run(run())


async def handler(request: Request) -> Response:
    return Response()


# -- plain and dynamic resources -------------------------------------------------


def test_a_plain_resource_describes_itself() -> None:
    resource = PlainResource("/about", name="about")
    assert resource.canonical == "/about"
    assert resource.get_info() == {"path": "/about"}
    assert resource.raw_match("/about")
    assert repr(resource) == "<PlainResource 'about' /about>"


def test_an_empty_path_is_the_root() -> None:
    assert PlainResource("").canonical == "/"


def test_a_dynamic_resource_describes_itself() -> None:
    resource = DynamicResource("/users/{id:\\d+}/{slug}", name="user")
    assert resource.canonical == "/users/{id}/{slug}"
    assert resource.raw_match("/users/{id:\\d+}/{slug}")
    assert resource.get_info()["formatter"] == "/users/{id}/{slug}"
    assert repr(resource) == "<DynamicResource 'user' /users/{id}/{slug}>"


def test_a_dynamic_resource_keeps_literal_text_around_variables() -> None:
    router = UrlDispatcher()
    router.add_get("/v{version:\\d+}/report-{day}.csv", handler, name="report")
    url = router["report"].url_for(version="2", day="mon")
    assert str(url) == "/v2/report-mon.csv"
    assert serve(router, "/v2/report-mon.csv").status == 200
    assert isinstance(serve(router, "/v2/report-mon.txt"), HTTPNotFound)


def test_a_resource_lists_its_routes() -> None:
    router = UrlDispatcher()
    router.add_get("/r", handler)
    (resource,) = router.resources()
    assert len(resource) == 2
    assert {route.method for route in resource} == {"GET", "HEAD"}
    assert all(route.resource is resource for route in resource)


# -- static directories -----------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "css").mkdir(parents=True)
    (root / "css" / "site.css").write_text("body {}")
    (root / "index.html").write_text("<h1>hi</h1>")
    (root / "a <b>.txt").write_text("odd name")
    (tmp_path / "secret.txt").write_text("outside")
    return root


def static_router(directory: Path, **options: Any) -> UrlDispatcher:
    router = UrlDispatcher()
    router.add_static("/static/", directory, name="static", **options)
    return router


@pytest.mark.parametrize(
    "target",
    [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E/secret.txt",
        "/static/css/../../secret.txt",
        "/static/..%2Fsecret.txt",
        "/static/%2Fetc%2Fpasswd",
        "/static//etc/passwd",
        "/static/css%00.css",
        "/static/..%5Csecret.txt",
        "/static/missing.txt",
    ],
)
def test_paths_leaving_the_directory_are_not_found(site: Path, target: str) -> None:
    assert isinstance(serve(static_router(site), target), HTTPNotFound)


def test_a_symlink_pointing_outside_is_not_found_by_default(site: Path) -> None:
    os.symlink(site.parent / "secret.txt", site / "link.txt")
    assert isinstance(serve(static_router(site), "/static/link.txt"), HTTPNotFound)


def test_a_directory_is_forbidden_without_an_index(site: Path) -> None:
    assert isinstance(serve(static_router(site), "/static/css"), HTTPForbidden)
    assert isinstance(serve(static_router(site), "/static/"), HTTPForbidden)


def test_a_directory_index_lists_entries_escaped(site: Path) -> None:
    response = serve(static_router(site, show_index=True), "/static/")
    assert response.content_type == "text/html"
    assert "<title>Index of /</title>" in response.text
    assert '<a href="/static/css">css/</a>' in response.text
    assert '<a href="/static/a%20%3Cb%3E.txt">a &lt;b&gt;.txt</a>' in response.text
    nested = serve(static_router(site, show_index=True), "/static/css")
    assert "Index of /css" in nested.text
    assert "site.css" in nested.text


def test_static_files_answer_get_and_head_only(site: Path) -> None:
    error = serve(static_router(site), "/static/index.html", method="POST")
    assert isinstance(error, HTTPMethodNotAllowed)
    assert error.allowed_methods == {"GET", "HEAD"}


def test_an_options_route_can_be_added_once(site: Path) -> None:
    router = static_router(site)
    resource = router["static"]
    assert isinstance(resource, StaticResource)
    resource.set_options_route(handler)
    assert serve(router, "/static/index.html", method="OPTIONS").status == 200
    with pytest.raises(RuntimeError, match="already has an OPTIONS route"):
        resource.set_options_route(handler)


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        UrlDispatcher().add_static("/s", tmp_path / "nope")
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="not a directory"):
        UrlDispatcher().add_static("/s", tmp_path / "file")


def test_url_for_a_static_file(site: Path) -> None:
    resource = static_router(site)["static"]
    assert str(resource.url_for(filename="css/site.css")) == "/static/css/site.css"
    assert str(resource.url_for(filename="a <b>.txt")) == "/static/a%20%3Cb%3E.txt"


def test_append_version_adds_a_content_hash(site: Path) -> None:
    resource = static_router(site, append_version=True)["static"]
    first = resource.url_for(filename="css/site.css")
    assert first.path == "/static/css/site.css"
    version = first.query["v"]
    assert len(version) == 44
    (site / "css" / "site.css").write_text("body { color: red }")
    assert resource.url_for(filename="css/site.css").query["v"] != version
    assert "v" not in resource.url_for(filename="css/site.css", append_version=False).query
    assert "v" not in resource.url_for(filename="missing.css").query
    assert "v" not in resource.url_for(filename="../secret.txt").query


def test_a_static_resource_describes_itself(site: Path) -> None:
    resource = static_router(site)["static"]
    assert resource.canonical == "/static"
    assert resource.get_info()["directory"] == site.resolve()
    assert "/static ->" in repr(resource)


# -- over a real connection ------------------------------------------------------


def static_app(directory: Path, **options: Any) -> Application:
    app = Application()
    app.router.add_static("/static", directory, **options)
    return app


def raw_status(server: RunningServer, target: str) -> int:
    """Send ``target`` byte for byte (no client-side dot-segment removal)."""
    with server.connect() as connection:
        connection.sendall(
            f"GET {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode()
        )
        received = b""
        while b"\r\n" not in received:
            chunk = connection.recv(4096)
            if not chunk:
                break
            received += chunk
    return int(received.split(b" ", 2)[1])


def test_over_http_files_are_served_for_get_and_head(serve: Serve, site: Path) -> None:
    server = serve(static_app(site))
    response = httpx.get(server.url("/static/css/site.css"))
    assert response.status_code == 200
    assert response.text == "body {}"
    assert response.headers["Content-Type"].startswith("text/css")
    head = httpx.head(server.url("/static/css/site.css"))
    assert (head.status_code, head.content) == (200, b"")


def test_over_http_a_static_resource_class_of_the_application_serves_files(
    serve: Serve, site: Path
) -> None:
    class Described(StaticResource):
        def get_info(self) -> dict[str, Any]:
            return {**super().get_info(), "described": True}

    app = Application()
    app.router.register_resource(Described("/assets", site, name="assets"))
    server = serve(app)
    assert httpx.get(server.url("/assets/css/site.css")).text == "body {}"
    assert app.router["assets"].get_info()["described"] is True


@pytest.mark.parametrize(
    "target",
    [
        "/static/../secret.txt",
        "/static/css/../../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E%2Fsecret.txt",
        "/static/..%5Csecret.txt",
        "/static/%00",
        "/static//etc/passwd",
    ],
)
def test_over_http_traversal_attempts_are_not_found(serve: Serve, site: Path, target: str) -> None:
    assert raw_status(serve(static_app(site)), target) == 404


def test_over_http_symlinks_out_are_refused_unless_followed(serve: Serve, site: Path) -> None:
    os.symlink(site.parent / "secret.txt", site / "link.txt")
    assert httpx.get(serve(static_app(site)).url("/static/link.txt")).status_code == 404
    followed = serve(static_app(site, follow_symlinks=True)).url("/static/link.txt")
    assert httpx.get(followed).text == "outside"


def test_over_http_directories_are_forbidden_or_listed(serve: Serve, site: Path) -> None:
    assert httpx.get(serve(static_app(site)).url("/static/css")).status_code == 403
    listing = httpx.get(serve(static_app(site, show_index=True)).url("/static/css"))
    assert listing.status_code == 200
    assert "site.css" in listing.text
