from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transom.protocol import LocalProtocolError, RemoteProtocolError, urlencoded
from transom.protocol.urlencoded import (
    UrlencodedError,
    UrlencodedParser,
    encode_urlencoded,
    parse_urlencoded,
)

PARSED = [
    pytest.param(b"", [], id="empty"),
    pytest.param(b"a=1", [("a", "1")], id="one"),
    pytest.param(b"a=1&b=2&a=3", [("a", "1"), ("b", "2"), ("a", "3")], id="repeated-names"),
    pytest.param(b"q=a+b%2Bc", [("q", "a b+c")], id="plus-and-percent"),
    pytest.param(b"name=J%C3%BCrgen", [("name", "Jürgen")], id="utf8"),
    pytest.param(b"%E2%82%AC=%e2%82%ac", [("€", "€")], id="encoded-name-lowercase-hex"),
    pytest.param(b"a=1&&b=2&", [("a", "1"), ("b", "2")], id="empty-fields-skipped"),
    pytest.param(b"flag&x=", [("flag", ""), ("x", "")], id="blank-values"),
    pytest.param(b"a=b=c", [("a", "b=c")], id="first-equals-splits"),
    pytest.param(b"=v", [("", "v")], id="empty-name"),
    pytest.param(b"a=%00", [("a", "\x00")], id="nul-is-data"),
    pytest.param(b"a=\xc3\xbc", [("a", "ü")], id="raw-utf8-bytes"),
    pytest.param(b"a;b=1", [("a;b", "1")], id="semicolon-is-not-a-separator"),
]


@pytest.mark.parametrize(("body", "expected"), PARSED)
def test_bodies_parse_to_fields(body: bytes, expected: list[tuple[str, str]]) -> None:
    assert parse_urlencoded(body) == expected
    assert parse_urlencoded(body.decode("utf-8")) == expected


@pytest.mark.parametrize(("body", "expected"), PARSED)
def test_feeding_one_byte_at_a_time_gives_the_same_fields(
    body: bytes, expected: list[tuple[str, str]]
) -> None:
    parser = UrlencodedParser()
    fields: list[tuple[str, str]] = []
    for index in range(len(body)):
        fields += parser.feed(body[index : index + 1])
    fields += parser.feed_eof()
    assert fields == expected


def test_blank_values_can_be_dropped() -> None:
    assert parse_urlencoded(b"a=&b=1&c", keep_blank_values=False) == [("b", "1")]


def test_another_charset_decodes_the_bytes() -> None:
    assert parse_urlencoded(b"a=caf%E9", encoding="ISO-8859-1") == [("a", "café")]
    assert parse_urlencoded("a=café", encoding="latin-1") == [("a", "café")]


MALFORMED = [
    pytest.param(b"a=%", "bad percent-encoding", id="lone-percent"),
    pytest.param(b"a=%4", "bad percent-encoding", id="one-digit"),
    pytest.param(b"a=%zz", "bad percent-encoding", id="not-hex"),
    pytest.param(b"%g0=1", "bad percent-encoding", id="in-name"),
    pytest.param(b"a=%ff", "not valid utf-8", id="invalid-utf8-escape"),
    pytest.param(b"a=\xff", "not valid utf-8", id="invalid-utf8-byte"),
    pytest.param(b"a=%C3", "not valid utf-8", id="truncated-sequence"),
]


@pytest.mark.parametrize(("body", "message"), MALFORMED)
def test_malformed_bodies_raise_a_clear_urlencoded_error(body: bytes, message: str) -> None:
    with pytest.raises(UrlencodedError) as raised:
        parse_urlencoded(body)
    assert type(raised.value) is UrlencodedError
    assert isinstance(raised.value, RemoteProtocolError)
    assert message in raised.value.reason
    assert raised.value.status_code == 400


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        ("no-such-charset", "unknown charset"),
        ("utf-16", "not ASCII-compatible"),
        ("utf-32-le", "not ASCII-compatible"),
        ("cp500", "not ASCII-compatible"),
    ],
)
def test_an_unusable_charset_is_refused_with_415(encoding: str, message: str) -> None:
    with pytest.raises(UrlencodedError, match=message) as raised:
        parse_urlencoded(b"a=1", encoding=encoding)
    assert raised.value.status_code == 415


def test_text_that_the_charset_cannot_hold_is_refused() -> None:
    with pytest.raises(UrlencodedError, match="not encodable as ascii"):
        parse_urlencoded("a=ü", encoding="ascii")


def test_too_many_fields_are_refused_with_413() -> None:
    assert len(parse_urlencoded(b"a&" * 3, max_fields=3)) == 3
    with pytest.raises(UrlencodedError, match="more than 3 fields") as raised:
        parse_urlencoded(b"a&" * 4, max_fields=3)
    assert raised.value.status_code == 413


def test_a_body_over_the_size_limit_is_refused_with_413() -> None:
    assert parse_urlencoded(b"a=12345", max_size=7) == [("a", "12345")]
    with pytest.raises(UrlencodedError, match="larger than 6 bytes") as raised:
        parse_urlencoded(b"a=12345", max_size=6)
    assert raised.value.status_code == 413


def test_an_endless_field_fed_in_pieces_is_refused_at_the_size_limit() -> None:
    parser = UrlencodedParser(max_size=1000)
    with pytest.raises(UrlencodedError, match="larger than 1000 bytes"):
        list(map(parser.feed, [b"a"] * 2000))


def test_fields_come_out_as_soon_as_they_are_complete() -> None:
    parser = UrlencodedParser()
    assert parser.feed(b"a=1&b=") == [("a", "1")]
    assert parser.feed(b"2") == []
    assert parser.feed(b"&c") == [("b", "2")]
    assert parser.feed_eof() == [("c", "")]


ENCODED = [
    pytest.param([("a", "1"), ("b", "2")], b"a=1&b=2", id="simple"),
    pytest.param({"q": "a b+c"}, b"q=a+b%2Bc", id="mapping"),
    pytest.param([("name", "Jürgen")], b"name=J%C3%BCrgen", id="utf8"),
    pytest.param([("k&=", "v&=%")], b"k%26%3D=v%26%3D%25", id="syntax-characters"),
    pytest.param([("b", b"\xff\x00")], b"b=%FF%00", id="bytes-value"),
    pytest.param([], b"", id="empty"),
]


@pytest.mark.parametrize(("fields", "expected"), ENCODED)
def test_fields_encode_as_expected(
    fields: list[tuple[str, str | bytes]] | dict[str, str], expected: bytes
) -> None:
    assert encode_urlencoded(fields) == expected


def test_encoding_in_another_charset() -> None:
    assert encode_urlencoded([("a", "café")], encoding="latin-1") == b"a=caf%E9"


@pytest.mark.parametrize(
    ("fields", "encoding", "message"),
    [
        ([("a", "€")], "latin-1", "not encodable as latin-1"),
        ([("a", "x")], "utf-16", "not ASCII-compatible"),
        ([("a", "x")], "nope", "unknown charset"),
    ],
)
def test_encoding_mistakes_are_local_errors(
    fields: list[tuple[str, str]], encoding: str, message: str
) -> None:
    with pytest.raises(LocalProtocolError, match=message):
        encode_urlencoded(fields, encoding=encoding)


def test_the_standard_library_encoder_agrees() -> None:
    fields = [("name", "Jürgen Müller"), ("q", "1+1=2 & more"), ("e", "")]
    assert parse_urlencoded(urlencode(fields)) == fields


def test_public_names_are_exactly_the_curated_list() -> None:
    assert urlencoded.__all__ == [
        "DEFAULT_MAX_FIELDS",
        "DEFAULT_MAX_SIZE",
        "UrlencodedError",
        "UrlencodedParser",
        "encode_urlencoded",
        "parse_urlencoded",
    ]
    assert urlencoded.DEFAULT_MAX_FIELDS == 1000
    assert urlencoded.DEFAULT_MAX_SIZE == 1024 * 1024


_TEXT = st.text(st.characters(codec="utf-8"), max_size=10)
_FIELDS = st.lists(st.tuples(_TEXT, _TEXT), max_size=10)


@settings(max_examples=200, deadline=None)
@given(fields=_FIELDS, cuts=st.lists(st.integers(min_value=0), max_size=8))
def test_encode_then_parse_is_identity_in_any_chunking(
    fields: list[tuple[str, str]], cuts: list[int]
) -> None:
    body = encode_urlencoded(fields)
    points = sorted({cut % (len(body) + 1) for cut in cuts})
    parser = UrlencodedParser()
    parsed: list[tuple[str, str]] = []
    for start, stop in zip([0, *points], [*points, len(body)], strict=True):
        parsed += parser.feed(body[start:stop])
    parsed += parser.feed_eof()
    # A field with an empty name and value encodes to "=", which is kept.
    assert parsed == fields


_PIECES = st.sampled_from(
    [b"a", b"=", b"&", b"+", b"%", b"2", b"F", b"g", b"\xc3", b"\xa9", b"\xff"]
)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=60) | st.lists(_PIECES, max_size=30).map(b"".join))
def test_arbitrary_bytes_raise_only_urlencoded_error(body: bytes) -> None:
    result = parse_or_error(body)
    if isinstance(result, UrlencodedError):
        assert result.status_code == 400
    else:
        assert parse_urlencoded(encode_urlencoded(result)) == result


def parse_or_error(body: bytes) -> list[tuple[str, str]] | UrlencodedError:
    try:
        return parse_urlencoded(body)
    except UrlencodedError as error:
        return error
