"""The parser reads bodies written by independent encoders: urllib3 and httpx."""

from __future__ import annotations

import io

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3 import encode_multipart_formdata

from transom.protocol.mediatype import MediaType
from transom.protocol.multipart import (
    EndOfBody,
    MultipartEvent,
    MultipartParser,
    PartData,
    PartEnd,
    PartStart,
)

Field = tuple[str | None, str | None, str, bytes]  # name, filename, content type, content


def parse_chunks(content_type: str, chunks: list[bytes]) -> list[Field]:
    boundary = MediaType.parse(content_type).boundary
    assert boundary is not None
    parser = MultipartParser(boundary)
    events: list[MultipartEvent] = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    parser.feed_eof()
    assert isinstance(events[-1], EndOfBody)
    fields: list[Field] = []
    content = b""
    start: PartStart | None = None
    for event in events:
        if isinstance(event, PartStart):
            start, content = event, b""
        elif isinstance(event, PartData):
            content += event.data
        elif isinstance(event, PartEnd):
            assert start is not None
            fields.append((start.name, start.filename, start.content_type, content))
    return fields


def split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(body) + 1) for cut in cuts})
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]


_NAMES = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters='"\\'),
    min_size=1,
    max_size=20,
)
_FILENAMES = st.none() | _NAMES
_CONTENT = st.binary(max_size=300) | st.lists(
    st.sampled_from([b"\r", b"\n", b"\r\n", b"-", b"--", b"\r\n--", b"x", b"\x00"]), max_size=40
).map(b"".join)
_FIELDS = st.lists(st.tuples(_NAMES, _FILENAMES, _CONTENT), min_size=1, max_size=5)


@settings(max_examples=100, deadline=None)
@given(fields=_FIELDS, cuts=st.lists(st.integers(min_value=0), max_size=8))
def test_urllib3_bodies_parse_in_any_chunking(
    fields: list[tuple[str, str | None, bytes]], cuts: list[int]
) -> None:
    request_fields = [
        (name, content if filename is None else (filename, content, "application/x-test"))
        for name, filename, content in fields
    ]
    body, content_type = encode_multipart_formdata(request_fields)
    expected = [
        (name, filename, "text/plain" if filename is None else "application/x-test", content)
        for name, filename, content in fields
    ]
    assert parse_chunks(content_type, split(body, cuts)) == expected


def test_urllib3_escapes_quotes_in_names_the_way_browsers_do() -> None:
    # The HTML form encoding sends '"' as %22 and CR LF as %0D%0A, and leaves
    # backslashes alone; the parser reports exactly what was sent.
    body, content_type = encode_multipart_formdata(
        [('say "hi"', "x"), ("f", ("C:\\dir\\a\r\nb.txt", b"y", "text/plain"))]
    )
    assert parse_chunks(content_type, [body]) == [
        ("say %22hi%22", None, "text/plain", b"x"),
        ("f", "C:\\dir\\a%0D%0Ab.txt", "text/plain", b"y"),
    ]


@settings(max_examples=100, deadline=None)
@given(fields=_FIELDS, cuts=st.lists(st.integers(min_value=0), max_size=8))
def test_httpx_bodies_parse_in_any_chunking(
    fields: list[tuple[str, str | None, bytes]], cuts: list[int]
) -> None:
    data = [(name, content.decode("latin-1")) for name, filename, content in fields if not filename]
    # One file at least, or httpx sends the form urlencoded.
    fields = [*fields, ("last", "last.bin", b"end")]
    files = [
        (name, (filename, io.BytesIO(content), "application/x-test"))
        for name, filename, content in fields
        if filename
    ]
    request = httpx.Request("POST", "http://example.test/", data=dict(data), files=files)
    assert isinstance(request.stream, httpx.SyncByteStream)
    body = b"".join(request.stream)
    parsed = parse_chunks(request.headers["Content-Type"], split(body, cuts))
    # httpx writes form fields first (one per name: data is a dict), then files.
    expected_data = {name: value.encode("utf-8") for name, value in data}
    expected: list[Field] = [
        (name, None, "text/plain", value) for name, value in expected_data.items()
    ]
    expected += [
        (name, filename, "application/x-test", content)
        for name, filename, content in fields
        if filename
    ]
    assert parsed == expected


def test_a_large_httpx_file_upload_streams_through() -> None:
    content = bytes(range(256)) * 4096 + b"\r\n--" * 1000  # 1 MiB and some lookalikes
    request = httpx.Request(
        "POST",
        "http://example.test/",
        files={"upload": ("big.bin", io.BytesIO(content), "application/octet-stream")},
    )
    assert isinstance(request.stream, httpx.SyncByteStream)
    chunks = list(request.stream)
    assert len(chunks) > 10  # httpx read the file in pieces
    assert parse_chunks(request.headers["Content-Type"], chunks) == [
        ("upload", "big.bin", "application/octet-stream", content)
    ]
