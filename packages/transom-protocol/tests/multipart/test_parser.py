from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transom.protocol import LocalProtocolError, RemoteProtocolError
from transom.protocol.multipart import (
    EndOfBody,
    MultipartError,
    MultipartEvent,
    MultipartParser,
    PartData,
    PartEnd,
    PartStart,
)

BOUNDARY = "XyZ"


@dataclass
class ParsedPart:
    start: PartStart
    content: bytes


def collect(events: list[MultipartEvent]) -> tuple[list[ParsedPart], bool]:
    """Fold events into parts, checking they come in a valid order."""
    parts: list[ParsedPart] = []
    inside = ended = False
    for event in events:
        assert not ended
        if isinstance(event, PartStart):
            assert not inside
            parts.append(ParsedPart(event, b""))
            inside = True
        elif isinstance(event, PartData):
            assert inside
            assert event.data
            parts[-1].content += event.data
        elif isinstance(event, PartEnd):
            assert inside
            inside = False
        else:
            assert isinstance(event, EndOfBody)
            assert not inside
            ended = True
    return parts, ended


def parse(body: bytes, boundary: str = BOUNDARY, chunk_size: int | None = None) -> list[ParsedPart]:
    parser = MultipartParser(boundary)
    size = chunk_size or max(1, len(body))
    events: list[MultipartEvent] = []
    for offset in range(0, len(body), size):
        events.extend(parser.feed(body[offset : offset + size]))
    parser.feed_eof()
    parts, ended = collect(events)
    assert ended
    return parts


def feed_all(parser: MultipartParser, chunks: list[bytes]) -> None:
    for chunk in chunks:
        parser.feed(chunk)


def summary(parts: list[ParsedPart]) -> list[tuple[str | None, str | None, bytes]]:
    return [(part.start.name, part.start.filename, part.content) for part in parts]


VALID = [
    pytest.param(
        b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nhello\r\n--XyZ--\r\n',
        [("a", None, b"hello")],
        id="one-field",
    ),
    pytest.param(
        b"this is a preamble\r\nwith two lines\r\n--XyZ\r\n"
        b'Content-Disposition: form-data; name="a"\r\n\r\n1\r\n--XyZ--\r\nthe epilogue\r\n',
        [("a", None, b"1")],
        id="preamble-and-epilogue-ignored",
    ),
    pytest.param(
        b'--XyZ \t \r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--XyZ--  \r\n',
        [("a", None, b"1")],
        id="transport-padding",
    ),
    pytest.param(
        b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n\r\n--XyZ--\r\n',
        [("a", None, b"")],
        id="empty-content",
    ),
    pytest.param(
        b"--XyZ\r\n\r\nno headers\r\n--XyZ--\r\n",
        [(None, None, b"no headers")],
        id="no-headers",
    ),
    pytest.param(
        b"--XyZ\r\n\r\n\r\nstarts with CRLF\r\n--XyZ--\r\n",
        [(None, None, b"\r\nstarts with CRLF")],
        id="content-starting-with-crlf",
    ),
    pytest.param(
        b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n'
        b"line\r\n--Xy\r\n--\r\n-XyZ\n--XyZ\r\r\n--XyZ--\r\n",
        [("a", None, b"line\r\n--Xy\r\n--\r\n-XyZ\n--XyZ\r")],
        id="content-with-delimiter-lookalikes",
    ),
    pytest.param(b"--XyZ--\r\n", [], id="no-parts"),
    pytest.param(b"--XyZ\r\n\r\nx\r\n--XyZ--", [(None, None, b"x")], id="no-final-crlf"),
    pytest.param(
        b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="b"\r\n\r\n2\r\n'
        b'--XyZ\r\ncontent-disposition: FORM-DATA; NAME="c"\r\n\r\n3\r\n--XyZ--\r\n',
        [("a", None, b"1"), ("b", None, b"2"), ("c", None, b"3")],
        id="several-fields-case-insensitive",
    ),
    pytest.param(
        '--XyZ\r\nContent-Disposition: form-data; name="f"; filename="résumé.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF\r\n--XyZ--\r\n".encode(),
        [("f", "résumé.pdf", b"%PDF")],
        id="utf8-filename",
    ),
    pytest.param(
        '--XyZ\r\nContent-Disposition: form-data; name="f"; filename="café.txt"\r\n'
        "\r\nx\r\n--XyZ--\r\n".encode("latin-1"),
        [("f", "café.txt", b"x")],
        id="latin1-filename",
    ),
    pytest.param(
        b'--XyZ\r\nContent-Disposition: attachment; filename="EUR rates"; '
        b"filename*=UTF-8''%e2%82%ac%20rates\r\n\r\nx\r\n--XyZ--\r\n",
        [(None, "€ rates", b"x")],
        id="extended-filename",
    ),
    pytest.param(
        b'--XyZ\r\nContent-Disposition: form-data; name="a\\"b"\r\n\r\nx\r\n--XyZ--\r\n',
        [('a"b', None, b"x")],
        id="quoted-pair-in-name",
    ),
]


@pytest.mark.parametrize(("body", "expected"), VALID)
def test_valid_bodies_parse_to_their_parts(
    body: bytes, expected: list[tuple[str | None, str | None, bytes]]
) -> None:
    assert summary(parse(body)) == expected


@pytest.mark.parametrize(("body", "expected"), VALID)
def test_feeding_one_byte_at_a_time_gives_the_same_parts(
    body: bytes, expected: list[tuple[str | None, str | None, bytes]]
) -> None:
    assert summary(parse(body, chunk_size=1)) == expected


def test_part_headers_describe_the_part() -> None:
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="doc"; filename="a.txt"\r\n'
        b"Content-Type: Text/Plain; Charset=ISO-8859-1\r\n"
        b"X-Extra: one\r\n"
        b"x-extra:two  \r\n"
        b"\r\nx\r\n--XyZ--\r\n"
    )
    (part,) = parse(body)
    start = part.start
    assert start.content_type == "text/plain"
    assert start.charset == "iso-8859-1"
    assert start.headers.getall("X-EXTRA") == ["one", "two"]
    assert start.headers["content-type"] == "Text/Plain; Charset=ISO-8859-1"


def test_a_part_without_content_type_defaults_to_text_plain() -> None:
    (part,) = parse(b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--XyZ--')
    assert part.start.content_type == "text/plain"
    assert part.start.charset is None


def test_a_boundary_needing_quotes_works() -> None:
    boundary = "simple boundary'()+_,-./:=?"
    body = f"--{boundary}\r\n\r\nx\r\n--{boundary}--\r\n".encode()
    assert summary(parse(body, boundary)) == [(None, None, b"x")]


def test_a_nested_multipart_part_comes_through_as_content() -> None:
    inner = b"--inner\r\n\r\ndeep\r\n--inner--"
    body = b"--XyZ\r\nContent-Type: multipart/mixed; boundary=inner\r\n\r\n" + inner
    body += b"\r\n--XyZ--\r\n"
    (part,) = parse(body)
    assert part.content == inner
    assert summary(parse(part.content, "inner")) == [(None, None, b"deep")]


MALFORMED = [
    pytest.param(b"no boundary here\r\n", "multipart body has no boundary", id="no-boundary"),
    pytest.param(b"", "multipart body has no boundary", id="empty-body"),
    pytest.param(b"--XyZ", "ended after a boundary", id="ends-after-boundary"),
    pytest.param(
        b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n',
        "ended inside part headers",
        id="ends-in-headers",
    ),
    pytest.param(b"--XyZ\r\n\r\nabc\r\n--Xy", "ended inside a part", id="ends-in-content"),
    pytest.param(b"--XyZ\r\n\r\nabc", "ended inside a part", id="no-close-delimiter"),
    pytest.param(
        b"--XyZabc\r\n\r\nx\r\n--XyZ--", "unexpected bytes after a multipart boundary", id="longer"
    ),
    pytest.param(
        b"--XyZ\r\n\r\nx\r\n--XyZ-\r\n",
        "unexpected bytes after a multipart boundary",
        id="one-dash",
    ),
    pytest.param(
        b"--XyZ\nContent-Type: text/plain\n\nx\n--XyZ--\n",
        "unexpected bytes after a multipart boundary",
        id="bare-lf-lines",
    ),
    pytest.param(
        b"--XyZ \rx\r\n\r\nx\r\n--XyZ--",
        "unexpected bytes after a multipart boundary",
        id="cr-in-padding",
    ),
    pytest.param(b"--XyZ\r\nno colon\r\n\r\nx\r\n--XyZ--", "malformed header line", id="no-colon"),
    pytest.param(
        b"--XyZ\r\nBad Name: x\r\n\r\nx\r\n--XyZ--", "malformed header line", id="space-in-name"
    ),
    pytest.param(
        b"--XyZ\r\nName : x\r\n\r\nx\r\n--XyZ--", "malformed header line", id="space-before-colon"
    ),
    pytest.param(
        b"--XyZ\r\nX-A: 1\r\n folded\r\n\r\nx\r\n--XyZ--", "folded header line", id="obs-fold"
    ),
    pytest.param(
        b"--XyZ\r\nX-A: a\x00b\r\n\r\nx\r\n--XyZ--", "control character in header", id="nul"
    ),
    pytest.param(
        b"--XyZ\r\nX-A: a\nb\r\n\r\nx\r\n--XyZ--", "control character in header", id="bare-lf"
    ),
    pytest.param(
        b"--XyZ\r\nContent-Disposition: form-data\r\nContent-Disposition: attachment\r\n"
        b"\r\nx\r\n--XyZ--",
        "part 1: repeated Content-Disposition",
        id="repeated-disposition",
    ),
    pytest.param(
        b"--XyZ\r\nContent-Type: a/b\r\nContent-Type: c/d\r\n\r\nx\r\n--XyZ--",
        "part 1: repeated Content-Type",
        id="repeated-content-type",
    ),
    pytest.param(
        b"--XyZ\r\n\r\nx\r\n--XyZ\r\nContent-Disposition: form-data; name=\r\n\r\nx\r\n--XyZ--",
        "part 2: invalid Content-Disposition",
        id="bad-disposition",
    ),
    pytest.param(
        b'--XyZ\r\nContent-Disposition: form-data; name="a"; name="b"\r\n\r\nx\r\n--XyZ--',
        "repeated parameter 'name'",
        id="repeated-name",
    ),
    pytest.param(
        b"--XyZ\r\nContent-Disposition: attachment; filename*=nope\r\n\r\nx\r\n--XyZ--",
        "malformed extended value for 'filename*'",
        id="bad-extended-value",
    ),
    pytest.param(
        b"--XyZ\r\nContent-Type: text\r\n\r\nx\r\n--XyZ--",
        "part 1: invalid media type",
        id="bad-content-type",
    ),
]


@pytest.mark.parametrize(("body", "message"), MALFORMED)
def test_malformed_bodies_raise_a_clear_multipart_error(body: bytes, message: str) -> None:
    for chunk_size in (len(body) or 1, 1):
        with pytest.raises(MultipartError) as raised:
            parse(body, chunk_size=chunk_size)
        assert type(raised.value) is MultipartError
        assert isinstance(raised.value, RemoteProtocolError)
        assert message in raised.value.reason
        assert raised.value.status_code == 400


@pytest.mark.parametrize(
    "boundary",
    ["", "x" * 71, "ends with space ", "semi;colon", 'quote"', "crlf\r\n", "é", b"\xff"],
)
def test_an_invalid_boundary_is_refused(boundary: str | bytes) -> None:
    with pytest.raises(MultipartError, match="boundary"):
        MultipartParser(boundary)


def test_a_bytes_boundary_is_accepted() -> None:
    parser = MultipartParser(b"XyZ")
    events = parser.feed(b"--XyZ--")
    assert events == [EndOfBody()]


def test_too_many_parts_are_refused_with_413() -> None:
    body = b"--XyZ\r\n\r\n1\r\n--XyZ\r\n\r\n2\r\n--XyZ\r\n\r\n3\r\n--XyZ--"
    parser = MultipartParser(BOUNDARY, max_parts=2)
    with pytest.raises(MultipartError, match="more than 2 parts") as raised:
        parser.feed(body)
    assert raised.value.status_code == 413
    assert len(collect(MultipartParser(BOUNDARY, max_parts=3).feed(body))[0]) == 3


def test_part_headers_over_the_limit_are_refused_with_413() -> None:
    header = b"X-A: " + b"a" * 95  # 100 bytes
    body = b"--XyZ\r\n" + header + b"\r\n\r\nx\r\n--XyZ--"
    accepted = MultipartParser(BOUNDARY, max_part_header_size=100)
    assert len(collect(accepted.feed(body))[0]) == 1
    for chunks in ([body], [body[:60], body[60:]]):
        parser = MultipartParser(BOUNDARY, max_part_header_size=99)
        with pytest.raises(MultipartError, match="headers are larger than 99 bytes") as raised:
            feed_all(parser, chunks)
        assert raised.value.status_code == 413


def test_unterminated_part_headers_are_refused_once_over_the_limit() -> None:
    parser = MultipartParser(BOUNDARY, max_part_header_size=100)
    parser.feed(b"--XyZ\r\nX-A: ")
    with pytest.raises(MultipartError, match="larger than 100 bytes"):
        feed_all(parser, [b"a"] * 200)


def test_an_endless_boundary_line_is_refused() -> None:
    parser = MultipartParser(BOUNDARY, max_part_header_size=100)
    parser.feed(b"--XyZ")
    with pytest.raises(MultipartError, match="boundary line too long") as raised:
        feed_all(parser, [b" "] * 200)
    assert raised.value.status_code == 413


def test_a_body_over_the_total_size_is_refused_with_413() -> None:
    body = b"--XyZ\r\n\r\n" + b"x" * 100 + b"\r\n--XyZ--"
    assert len(collect(MultipartParser(BOUNDARY, max_total_size=len(body)).feed(body))[0]) == 1
    parser = MultipartParser(BOUNDARY, max_total_size=len(body) - 1)
    with pytest.raises(MultipartError, match="larger than") as raised:
        parser.feed(body)
    assert raised.value.status_code == 413


def test_the_total_size_limit_can_be_lifted() -> None:
    parser = MultipartParser(BOUNDARY, max_total_size=None)
    parser.feed(b"--XyZ\r\n\r\n")
    assert parser.feed(b"x" * 100_000) == [PartData(b"x" * 100_000)]


def test_content_streams_out_as_it_is_fed() -> None:
    parser = MultipartParser(BOUNDARY)
    parser.feed(b"--XyZ\r\nContent-Disposition: form-data; name=f; filename=big\r\n\r\n")
    received = fed = 0
    for index in range(1000):
        chunk = bytes([index % 251]) * 997 + b"\r\n--X"
        fed += len(chunk)
        for event in parser.feed(chunk):
            assert isinstance(event, PartData)
            received += len(event.data)
        # Only the bytes that could begin a delimiter are held back.
        assert fed - received < len(b"\r\n--XyZ")
    # The held-back "\r\n--X" was a delimiter after all.
    assert parser.feed(b"yZ--") == [PartEnd(), EndOfBody()]


def test_a_chunk_of_pure_content_is_passed_through_without_a_copy() -> None:
    parser = MultipartParser(BOUNDARY)
    parser.feed(b"--XyZ\r\n\r\n")
    chunk = bytes(range(256)) * 64
    (event,) = parser.feed(chunk)
    assert isinstance(event, PartData)
    assert event.data is chunk


def test_feed_accepts_bytearray_and_memoryview() -> None:
    parser = MultipartParser(BOUNDARY)
    events = parser.feed(bytearray(b"--XyZ\r\n\r\nab"))
    events += parser.feed(memoryview(b"cd\r\n--XyZ--"))
    parts, ended = collect(events)
    assert ended
    assert parts[0].content == b"abcd"
    assert all(type(event.data) is bytes for event in events if isinstance(event, PartData))


def test_data_after_the_close_delimiter_is_ignored() -> None:
    parser = MultipartParser(BOUNDARY)
    assert parser.feed(b"--XyZ--") == [EndOfBody()]
    assert parser.complete
    assert parser.feed(b"\r\n--XyZ\r\n\r\nmore\r\n--XyZ--") == []
    parser.feed_eof()


def test_feeding_after_eof_is_a_local_error() -> None:
    parser = MultipartParser(BOUNDARY)
    parser.feed(b"--XyZ--")
    parser.feed_eof()
    with pytest.raises(LocalProtocolError, match="after feed_eof"):
        parser.feed(b"x")


def test_a_parser_is_not_complete_before_the_close_delimiter() -> None:
    parser = MultipartParser(BOUNDARY)
    parser.feed(b"--XyZ\r\n\r\nx\r\n--XyZ")
    assert not parser.complete
    assert parser.feed(b"--") == [EndOfBody()]
    assert parser.complete


def test_a_failed_parser_keeps_raising_the_same_error() -> None:
    parser = MultipartParser(BOUNDARY)
    with pytest.raises(MultipartError) as first:
        parser.feed(b"--XyZ\r\nno colon\r\n\r\n")
    with pytest.raises(MultipartError) as again:
        parser.feed(b"x\r\n--XyZ--")
    assert again.value is first.value
    with pytest.raises(MultipartError) as at_eof:
        parser.feed_eof()
    assert at_eof.value is first.value


_PIECES = [
    b"--XyZ",
    b"--",
    b"\r\n",
    b"\r",
    b"\n",
    b" ",
    b"x",
    b"\x00",
    b"\xff",
    b"Content-Disposition: ",
    b"form-data; name=",
    b'"a"',
    b"; filename*=UTF-8''%C3",
    b"Content-Type: ",
    b"multipart/mixed; boundary=",
    b";",
    b":",
]
_BODIES = st.binary(max_size=200) | st.lists(st.sampled_from(_PIECES), max_size=40).map(b"".join)


@settings(max_examples=200, deadline=None)
@given(body=_BODIES, cuts=st.lists(st.integers(min_value=0), max_size=6))
def test_arbitrary_input_raises_only_multipart_error(body: bytes, cuts: list[int]) -> None:
    points = sorted({cut % (len(body) + 1) for cut in cuts})
    chunks = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    result = feed_or_error(MultipartParser(BOUNDARY, max_parts=5, max_part_header_size=100), chunks)
    if isinstance(result, MultipartError):
        assert result.reason
        assert result.status_code in (400, 413)
    else:
        parts, ended = collect(result)
        assert ended
        assert summary(parts) == summary(parse(body))


def feed_or_error(
    parser: MultipartParser, chunks: list[bytes]
) -> list[MultipartEvent] | MultipartError:
    events: list[MultipartEvent] = []
    try:
        for chunk in chunks:
            events.extend(parser.feed(chunk))
        parser.feed_eof()
    except MultipartError as error:
        return error
    return events
