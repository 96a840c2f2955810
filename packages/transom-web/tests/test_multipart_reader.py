"""Multipart bodies over a socket: the streaming reader and ``post()`` with files."""

from __future__ import annotations

import io
import json
import os
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from transom.web import FileField, Request, Response, json_response

if TYPE_CHECKING:
    from tests.conftest import Serve

FILE_CONTENT = os.urandom(300_000)


def upload(url: str, **options: Any) -> httpx.Response:
    return httpx.post(
        url,
        data={"title": "héllo", "tag": ["a", "b"]},
        files={"file": ("report.bin", io.BytesIO(FILE_CONTENT), "application/x-report")},
        **options,
    )


def test_the_reader_streams_parts_in_order(serve: Serve) -> None:
    async def handler(request: Request) -> Response:
        reader = await request.multipart()
        parts = []
        async for part in reader:
            size = 0
            largest = 0
            while chunk := await part.read_chunk(4096):
                size += len(chunk)
                largest = max(largest, len(chunk))
            parts.append([part.name, part.filename, part.content_type, size, largest <= 4096])
        assert reader.at_eof()
        return json_response(parts)

    server = serve(handler)
    assert upload(server.url("/")).json() == [
        ["title", None, "text/plain", len("héllo".encode()), True],
        ["tag", None, "text/plain", 1, True],
        ["tag", None, "text/plain", 1, True],
        ["file", "report.bin", "application/x-report", len(FILE_CONTENT), True],
    ]


def test_next_skips_the_unread_rest_of_a_part(serve: Serve) -> None:
    async def handler(request: Request) -> Response:
        reader = await request.multipart()
        names = []
        while (part := await reader.next()) is not None:
            names.append(part.name)
            await part.read_chunk(1)
        return json_response(names)

    server = serve(handler)
    assert upload(server.url("/")).json() == ["title", "tag", "tag", "file"]


def test_a_part_reads_as_text_json_and_form(serve: Serve) -> None:
    async def handler(request: Request) -> Response:
        reader = await request.multipart()
        # Each part is read before asking for the next: next() skips what is left.
        text_part = await reader.next()
        assert text_part is not None
        text = await text_part.text()
        json_part = await reader.next()
        assert json_part is not None
        data = await json_part.json()
        form_part = await reader.next()
        assert form_part is not None
        return json_response([text, data, await form_part.form()])

    server = serve(handler)
    response = httpx.post(
        server.url("/"),
        files=[
            ("t", (None, "plain text", "text/plain; charset=utf-8")),
            ("j", (None, json.dumps({"k": 1}), "application/json")),
            ("f", (None, "a=1&b=2", "application/x-www-form-urlencoded")),
        ],
    )
    assert response.json() == ["plain text", {"k": 1}, [["a", "1"], ["b", "2"]]]


def test_post_spools_files_to_temporary_files(serve: Serve) -> None:
    seen: dict[str, Any] = {}

    async def handler(request: Request) -> Response:
        form = await request.post()
        upload_field = form["file"]
        assert isinstance(upload_field, FileField)
        content = upload_field.file.read()
        seen.update(
            title=form["title"],
            tags=form.getall("tag"),
            filename=upload_field.filename,
            content_type=upload_field.content_type,
            on_disk=not isinstance(upload_field.file, io.BytesIO),
            same=content == FILE_CONTENT,
        )
        upload_field.file.close()
        return Response(text="ok")

    server = serve(handler, client_max_size=1024 * 1024)
    assert upload(server.url("/")).text == "ok"
    assert seen == {
        "title": "héllo",
        "tags": ["a", "b"],
        "filename": "report.bin",
        "content_type": "application/x-report",
        "on_disk": True,
        "same": True,
    }


def test_a_multipart_form_over_client_max_size_is_413(serve: Serve) -> None:
    async def handler(request: Request) -> Response:
        await request.post()
        return Response(text="accepted")

    server = serve(handler, client_max_size=100_000)
    assert upload(server.url("/")).status_code == 413


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=xyz", b"--xyz\r\nbroken"),
        ("multipart/form-data", b"--xyz--\r\n"),
        ("text/plain", b"not multipart"),
    ],
    ids=["truncated", "no-boundary", "not-multipart"],
)
def test_a_malformed_multipart_body_is_400(serve: Serve, content_type: str, body: bytes) -> None:
    async def handler(request: Request) -> Response:
        reader = await request.multipart()
        async for part in reader:
            await part.read()
        return Response(text="unreachable")

    server = serve(handler)
    response = httpx.post(server.url("/"), content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
