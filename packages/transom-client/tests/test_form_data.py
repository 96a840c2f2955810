"""FormData: urlencoded and multipart forms, files streamed."""

from __future__ import annotations

import asyncio
import contextlib
import io
import pathlib
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from yarl import URL

from transom.client import ClientSession, FormData

Server = Callable[..., contextlib.AbstractAsyncContextManager[URL]]


def form_app() -> web.Application:
    async def read_form(request: web.Request) -> web.Response:
        result: dict[str, Any] = {"content_type": request.content_type, "fields": {}}
        post = await request.post()
        for name, value in post.items():
            if isinstance(value, web.FileField):
                result["fields"][name] = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "data": value.file.read().decode(),
                }
            else:
                result["fields"][name] = value
        result["chunked"] = request.headers.get("Transfer-Encoding") == "chunked"
        return web.json_response(result)

    app = web.Application()
    app.router.add_post("/", read_form)
    return app


def test_text_fields_are_urlencoded(web_server: Server) -> None:
    async def main() -> None:
        form = FormData({"a": "1", "b": "x y"})
        form.add_field("n", 5)
        assert not form.is_multipart
        async with (
            web_server(form_app()) as base,
            ClientSession() as session,
            session.post(base, data=form) as response,
        ):
            seen = await response.json()
        assert seen["content_type"] == "application/x-www-form-urlencoded"
        assert seen["fields"] == {"a": "1", "b": "x y", "n": "5"}

    asyncio.run(main())


def test_files_make_a_multipart_body(web_server: Server, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text("file content")

    async def main() -> None:
        async with web_server(form_app()) as base, ClientSession() as session:
            with path.open("rb") as file:
                form = FormData()
                form.add_field("title", "caf\u00e9")
                form.add_field("upload", file)
                form.add_field("blob", b"raw", filename="b.bin", content_type="image/png")
                assert form.is_multipart
                async with session.post(base, data=form) as response:
                    seen = await response.json()
        assert seen["content_type"] == "multipart/form-data"
        assert not seen["chunked"]
        assert seen["fields"]["title"] == "caf\u00e9"
        assert seen["fields"]["upload"] == {
            "filename": "report.txt",
            "content_type": "application/octet-stream",
            "data": "file content",
        }
        assert seen["fields"]["blob"]["content_type"] == "image/png"

    asyncio.run(main())


def test_unsized_file_is_streamed_chunked(web_server: Server) -> None:
    class Unsized(io.RawIOBase):
        def __init__(self) -> None:
            self.parts = [b"stream", b"ed"]

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            return self.parts.pop(0) if self.parts else b""

    async def main() -> None:
        form = FormData()
        form.add_field("f", Unsized(), filename="s.bin")
        async with (
            web_server(form_app()) as base,
            ClientSession() as session,
            session.post(base, data=form) as response,
        ):
            seen = await response.json()
        assert seen["chunked"]
        assert seen["fields"]["f"]["data"] == "streamed"

    asyncio.run(main())


def test_default_to_multipart_and_tuples() -> None:
    form = FormData([("a", "1"), ("b", "2")], default_to_multipart=True)
    payload = form()
    assert payload.content_type is not None
    assert payload.content_type.startswith("multipart/form-data; boundary=")
    assert payload.size is not None


def test_unsupported_field_value_is_refused() -> None:
    with pytest.raises(TypeError, match="unsupported type"):
        FormData().add_field("x", object())  # type: ignore[arg-type]


def test_file_object_as_data_is_streamed(web_server: Server, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "body.bin"
    path.write_bytes(b"0123456789" * 10_000)

    async def echo_length(request: web.Request) -> web.Response:
        body = await request.read()
        return web.Response(text=f"{len(body)} {request.headers.get('Content-Length')}")

    app = web.Application()
    app.router.add_post("/", echo_length)

    async def main() -> None:
        async with web_server(app) as base, ClientSession() as session:
            with path.open("rb") as file:
                async with session.post(base, data=file) as response:
                    assert await response.text() == "100000 100000"

    asyncio.run(main())
