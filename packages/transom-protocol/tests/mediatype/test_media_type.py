from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transom.protocol import LocalProtocolError, RemoteProtocolError, mediatype
from transom.protocol.mediatype import MediaType, MediaTypeError

PARSED = [
    pytest.param("text/html", "text/html", {}, "text/html", id="bare"),
    pytest.param(
        "text/html;charset=utf-8", "text/html", {"charset": "utf-8"}, "text/html; charset=utf-8"
    ),
    # RFC 9110 §8.3.1: these three are equivalent.
    pytest.param(
        'Text/HTML;Charset="utf-8"', "text/html", {"charset": "utf-8"}, "text/html; charset=utf-8"
    ),
    pytest.param(
        'text/html; charset="utf-8"', "text/html", {"charset": "utf-8"}, "text/html; charset=utf-8"
    ),
    pytest.param(
        '  multipart/form-data ; boundary = "a b:c" ;; ',
        "multipart/form-data",
        {"boundary": "a b:c"},
        'multipart/form-data; boundary="a b:c"',
        id="lenient-whitespace-and-empty-parameters",
    ),
    pytest.param(
        'application/x; a="q\\"uote\\\\"; b=tok',
        "application/x",
        {"a": 'q"uote\\', "b": "tok"},
        'application/x; a="q\\"uote\\\\"; b=tok',
        id="quoted-pairs",
    ),
    pytest.param(
        'application/x; path="C:\\dir"',
        "application/x",
        {"path": "C:\\dir"},
        'application/x; path="C:\\\\dir"',
        id="lone-backslash-kept",
    ),
    pytest.param("*/*", "*/*", {}, "*/*", id="wildcard"),
    pytest.param(
        'application/vnd.api+json; ext=""',
        "application/vnd.api+json",
        {"ext": ""},
        'application/vnd.api+json; ext=""',
        id="empty-quoted-value",
    ),
]


@pytest.mark.parametrize(("value", "essence", "params", "formatted"), PARSED)
def test_valid_media_types_parse_and_format(
    value: str, essence: str, params: dict[str, str], formatted: str
) -> None:
    media_type = MediaType.parse(value)
    assert media_type.essence == essence
    assert dict(media_type.params) == params
    assert str(media_type) == formatted
    assert MediaType.parse(formatted) == media_type


MALFORMED = [
    pytest.param("", "expected type/subtype", id="empty"),
    pytest.param("text", "expected type/subtype", id="no-subtype"),
    pytest.param("text/", "expected type/subtype", id="empty-subtype"),
    pytest.param("/html", "expected type/subtype", id="empty-type"),
    pytest.param("te xt/html", "expected type/subtype", id="space-in-type"),
    pytest.param('"text/html"', "expected type/subtype", id="quoted"),
    pytest.param("text/html x", "invalid parameter", id="junk-after"),
    pytest.param("text/html; charset", "invalid parameter", id="name-without-value"),
    pytest.param("text/html; =utf-8", "invalid parameter", id="value-without-name"),
    pytest.param('text/html; charset="utf-8', "invalid parameter", id="unterminated-quote"),
    pytest.param("text/html; charset=utf 8", "invalid parameter", id="space-in-value"),
    pytest.param("text/html; charset=ü", "invalid parameter", id="non-ascii-token"),
    pytest.param('text/html; a="x\x00"', "invalid parameter", id="nul-in-quotes"),
    pytest.param("text/html; a=1; A=2", "repeated parameter 'a'", id="repeated"),
    pytest.param("text/html/x", "invalid parameter", id="two-slashes"),
]


@pytest.mark.parametrize(("value", "message"), MALFORMED)
def test_malformed_media_types_raise_media_type_error(value: str, message: str) -> None:
    with pytest.raises(MediaTypeError) as raised:
        MediaType.parse(value)
    assert type(raised.value) is MediaTypeError
    assert isinstance(raised.value, RemoteProtocolError)
    assert message in raised.value.reason
    assert raised.value.status_code == 400


def test_error_messages_show_only_a_short_repr() -> None:
    with pytest.raises(MediaTypeError) as raised:
        MediaType.parse("text/html; " + "x" * 10_000)
    assert len(raised.value.reason) < 120


def test_charset_and_boundary_are_read_from_the_parameters() -> None:
    media_type = MediaType.parse("multipart/mixed; Boundary=AbC; CHARSET=UTF-8")
    assert media_type.boundary == "AbC"  # case-sensitive value
    assert media_type.charset == "utf-8"  # RFC 9110 §8.3.2: case-insensitive
    plain = MediaType.parse("text/plain")
    assert plain.charset is None
    assert plain.boundary is None


def test_media_types_are_immutable_hashable_values() -> None:
    first = MediaType.parse("Text/Plain; Charset=utf-8")
    second = MediaType("text", "plain", [("charset", "utf-8")])
    assert first == second
    assert hash(first) == hash(second)
    assert len({first, second}) == 1
    assert first != MediaType("text", "plain")
    assert first != "text/plain; charset=utf-8"
    assert repr(first) == "MediaType('text/plain; charset=utf-8')"
    with pytest.raises(AttributeError):
        first.type = "image"
    with pytest.raises(TypeError):
        first.params["charset"] = "ascii"  # type: ignore[index]


@pytest.mark.parametrize(
    ("type_", "subtype", "params"),
    [
        ("te xt", "plain", {}),
        ("text", "", {}),
        ("text", "plain", {"bad name": "x"}),
        ("text", "plain", {"a": "line\r\nbreak"}),
        ("text", "plain", {"a": "tab\there"}),
        ("text", "plain", {"a": "ü"}),
    ],
)
def test_media_types_that_cannot_be_sent_are_refused(
    type_: str, subtype: str, params: dict[str, str]
) -> None:
    with pytest.raises(LocalProtocolError):
        MediaType(type_, subtype, params)


def test_public_names_are_exactly_the_curated_list() -> None:
    assert mediatype.__all__ == ["MediaType", "MediaTypeError"]


@pytest.mark.parametrize("module", ["_media_type", "_parameters"])
def test_each_private_module_imports_alone(module: str) -> None:
    name = f"transom.protocol.mediatype.{module}"
    subprocess.run([sys.executable, "-c", f"import {name}"], check=True, timeout=60)


_TOKENS = st.from_regex(r"[!#$%&'*+\-.^_`|~0-9a-z]{1,10}", fullmatch=True)
_VALUES = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)


@settings(max_examples=200, deadline=None)
@given(type_=_TOKENS, subtype=_TOKENS, params=st.dictionaries(_TOKENS, _VALUES, max_size=4))
def test_format_then_parse_is_identity(type_: str, subtype: str, params: dict[str, str]) -> None:
    media_type = MediaType(type_, subtype, params)
    assert MediaType.parse(str(media_type)) == media_type


_PIECES = st.sampled_from(["text", "/", "html", ";", "=", '"', "\\", " ", "\t", "é", "\x00", "a"])


@settings(max_examples=200, deadline=None)
@given(value=st.text(max_size=40) | st.lists(_PIECES, max_size=20).map("".join))
def test_arbitrary_text_raises_only_media_type_error(value: str) -> None:
    result = parse_or_error(value)
    if isinstance(result, MediaTypeError):
        assert result.reason.startswith("invalid media type")
    else:
        assert MediaType.parse(str(result)) == result


def parse_or_error(value: str) -> MediaType | MediaTypeError:
    try:
        return MediaType.parse(value)
    except MediaTypeError as error:
        return error
