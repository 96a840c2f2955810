"""Encoding then parsing gives back the parts, however the body is chunked."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from transom.protocol.multipart import (
    EndOfBody,
    MultipartEncoder,
    MultipartEvent,
    MultipartParser,
    Part,
    PartData,
    PartEnd,
    PartStart,
)

_CONTROL = "".join(chr(code) for code in [*range(0x20), 0x7F] if code != 0x09)
_TEXT = st.text(st.characters(codec="utf-8", exclude_characters=_CONTROL), max_size=20)
_BOUNDARIES = st.from_regex(
    r"[0-9A-Za-z'()+_,\-./:=? ]{0,20}[0-9A-Za-z'()+_,\-./:=?]", fullmatch=True
)
_CONTENT = st.binary(max_size=200) | st.lists(
    st.sampled_from([b"\r", b"\n", b"\r\n", b"-", b"--", b"\r\n--", b"a", b"B"]), max_size=30
).map(b"".join)
_CONTENT_TYPES = st.sampled_from(
    [None, "text/plain; charset=utf-8", "application/json", 'multipart/mixed; boundary="x y"']
)
_PARTS = st.lists(
    st.builds(
        Part,
        name=_TEXT,
        value=_CONTENT,
        filename=st.none() | _TEXT,
        content_type=_CONTENT_TYPES,
    ),
    max_size=5,
)


def decode(boundary: str, chunks: list[bytes]) -> list[tuple[PartStart, bytes]]:
    parser = MultipartParser(boundary)
    events: list[MultipartEvent] = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    parser.feed_eof()
    assert isinstance(events.pop(), EndOfBody)
    parts: list[tuple[PartStart, bytes]] = []
    for event in events:
        if isinstance(event, PartStart):
            parts.append((event, b""))
        elif isinstance(event, PartData):
            parts[-1] = (parts[-1][0], parts[-1][1] + event.data)
        else:
            assert isinstance(event, PartEnd)
    return parts


def rechunk(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(body) + 1) for cut in cuts})
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]


def fits(boundary: str, parts: list[Part]) -> bool:
    delimiter = b"\r\n--" + boundary.encode()
    return not any(
        isinstance(part.value, bytes)
        and (delimiter in part.value or part.value.startswith(delimiter[2:]))
        for part in parts
    )


@settings(max_examples=200, deadline=None)
@given(
    boundary=_BOUNDARIES,
    parts=_PARTS,
    cuts=st.lists(st.integers(min_value=0), max_size=10),
)
def test_encode_then_parse_is_identity_in_any_chunking(
    boundary: str, parts: list[Part], cuts: list[int]
) -> None:
    assume(fits(boundary, parts))
    encoder = MultipartEncoder(boundary)
    body = b"".join(encoder.encode(parts))
    decoded = decode(boundary, rechunk(body, cuts))
    assert len(decoded) == len(parts)
    for part, (start, content) in zip(parts, decoded, strict=True):
        assert start.name == part.name
        assert start.filename == part.filename
        assert content == part.value
        content_type = part.content_type or (
            "text/plain" if part.filename is None else "application/octet-stream"
        )
        assert start.content_type == content_type.partition(";")[0]


@settings(max_examples=100, deadline=None)
@given(content=st.lists(_CONTENT, max_size=10), cuts=st.lists(st.integers(0), max_size=10))
def test_a_part_streamed_in_pieces_decodes_to_its_pieces_joined(
    content: list[bytes], cuts: list[int]
) -> None:
    encoder = MultipartEncoder()
    whole = b"".join(content)
    assume(fits(encoder.boundary, [Part("f", whole)]))
    body = [encoder.part_header(Part("f", filename="data.bin")), *content, encoder.part_end()]
    body.append(encoder.close())
    streamed = b"".join(body)
    assert streamed == b"".join(encoder.encode([Part("f", whole, filename="data.bin")]))
    ((start, decoded),) = decode(encoder.boundary, rechunk(streamed, cuts))
    assert (start.name, start.filename, decoded) == ("f", "data.bin", whole)
