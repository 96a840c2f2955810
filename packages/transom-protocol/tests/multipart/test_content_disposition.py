from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transom.protocol import LocalProtocolError, RemoteProtocolError
from transom.protocol.multipart import ContentDisposition, MultipartEncodeError, MultipartError

PARSED = [
    # RFC 6266 §5 examples.
    pytest.param("Attachment; filename=example.html", "attachment", {"filename": "example.html"}),
    pytest.param('INLINE; FILENAME= "an example.html"', "inline", {"filename": "an example.html"}),
    pytest.param(
        "attachment; filename*= UTF-8''%e2%82%ac%20rates", "attachment", {"filename": "€ rates"}
    ),
    pytest.param(
        "attachment; filename=\"EURO rates\"; filename*=utf-8''%e2%82%ac%20rates",
        "attachment",
        {"filename": "€ rates"},
        id="extended-value-wins",
    ),
    pytest.param(
        "attachment; filename*=utf-8''%e2%82%ac%20rates; filename=\"EURO rates\"",
        "attachment",
        {"filename": "€ rates"},
        id="extended-value-wins-in-any-order",
    ),
    # RFC 8187 §3.2.2 example, with a language tag.
    pytest.param(
        "attachment; filename*=iso-8859-1'en'%A3%20rates", "attachment", {"filename": "£ rates"}
    ),
    pytest.param('form-data; name="field"', "form-data", {"name": "field"}),
    pytest.param('form-data; name=""', "form-data", {"name": ""}),
    pytest.param("attachment", "attachment", {}),
    pytest.param(
        'attachment; filename="foo\\"bar\\\\baz"', "attachment", {"filename": 'foo"bar\\baz'}
    ),
    pytest.param("attachment;filename=foo.html", "attachment", {"filename": "foo.html"}),
    pytest.param(' attachment ; filename = "a" ; ', "attachment", {"filename": "a"}),
    pytest.param("attachment; Foo*=UTF-8''%C3%A9", "attachment", {"foo": "é"}),
    pytest.param(
        'form-data; name="f"; filename="файл.txt"',
        "form-data",
        {"name": "f", "filename": "файл.txt"},
    ),
]


@pytest.mark.parametrize(("value", "disposition_type", "params"), PARSED)
def test_valid_values_parse(value: str, disposition_type: str, params: dict[str, str]) -> None:
    disposition = ContentDisposition.parse(value)
    assert disposition.type == disposition_type
    assert dict(disposition.params) == params


def test_name_and_filename_are_shortcuts_to_the_parameters() -> None:
    disposition = ContentDisposition.parse('form-data; name="upload"; filename="a.txt"')
    assert disposition.name == "upload"
    assert disposition.filename == "a.txt"
    assert ContentDisposition.parse("inline").filename is None


MALFORMED = [
    pytest.param("", "invalid Content-Disposition", id="empty"),
    pytest.param('"attachment"', "invalid Content-Disposition", id="quoted-type"),
    pytest.param("attachment; filename", "invalid parameter", id="no-value"),
    pytest.param("attachment; filename=a b", "invalid parameter", id="space-in-token"),
    pytest.param('attachment; filename="open', "invalid parameter", id="unterminated-quote"),
    pytest.param("attachment; filename=ä", "invalid parameter", id="non-ascii-token"),
    pytest.param("attachment filename=a", "invalid parameter", id="missing-semicolon"),
    pytest.param('attachment; filename="a"; FILENAME="b"', "repeated parameter", id="repeated"),
    pytest.param("attachment; filename*=UTF-8''%zz", "malformed extended value", id="bad-percent"),
    pytest.param("attachment; filename*=''abc", "malformed extended value", id="no-charset"),
    pytest.param("attachment; filename*=UTF-8'abc", "malformed extended value", id="one-quote"),
    pytest.param("attachment; filename*=UTF-8''a b", "invalid parameter", id="space-in-ext"),
    pytest.param("attachment; filename*=KOI8-R''abc", "unsupported charset", id="koi8-r"),
    pytest.param("attachment; filename*=nope''abc", "unsupported charset", id="unknown-charset"),
    pytest.param("attachment; filename*=UTF-8''%ff", "is not valid UTF-8", id="invalid-utf8"),
    pytest.param("attachment; filename*=UTF-8''a%0Ab", "control character", id="decoded-lf"),
    pytest.param("attachment; filename*=UTF-8''a%00b", "control character", id="decoded-nul"),
    pytest.param('attachment; filename="a\rb"', "invalid parameter", id="raw-cr"),
]


@pytest.mark.parametrize(("value", "message"), MALFORMED)
def test_malformed_values_raise_a_clear_multipart_error(value: str, message: str) -> None:
    with pytest.raises(MultipartError) as raised:
        ContentDisposition.parse(value)
    assert type(raised.value) is MultipartError
    assert isinstance(raised.value, RemoteProtocolError)
    assert message in raised.value.reason


def test_error_messages_show_only_a_short_repr_of_the_value() -> None:
    with pytest.raises(MultipartError) as raised:
        ContentDisposition.parse("attachment; " + "x" * 5000)
    assert len(raised.value.reason) < 120


FORMATTED = [
    pytest.param(ContentDisposition.form_data("field"), 'form-data; name="field"'),
    pytest.param(
        ContentDisposition.form_data("f", "a.txt"), 'form-data; name="f"; filename="a.txt"'
    ),
    pytest.param(
        ContentDisposition.form_data("f", 'a"b\\c.txt'),
        'form-data; name="f"; filename="a\\"b\\\\c.txt"',
        id="form-data-escapes",
    ),
    pytest.param(
        ContentDisposition.form_data("ü", "résumé.pdf"),
        'form-data; name="ü"; filename="résumé.pdf"',
        id="form-data-keeps-utf8",
    ),
    pytest.param(
        ContentDisposition("attachment", {"filename": "report.pdf"}),
        'attachment; filename="report.pdf"',
    ),
    pytest.param(
        ContentDisposition("Attachment", {"filename": "€ rates.txt"}),
        "attachment; filename=\"_ rates.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt",
        id="attachment-extended-value",
    ),
    pytest.param(
        ContentDisposition("attachment", {"filename": "résumé.pdf"}),
        "attachment; filename=\"resume.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
        id="fallback-keeps-base-letters",
    ),
    pytest.param(
        ContentDisposition("attachment", {"filename": '100% "real"\\.txt'}),
        "attachment; filename=\"100_ _real__.txt\"; filename*=UTF-8''100%25%20%22real%22%5C.txt",
        id="fallback-avoids-percent-quote-backslash",
    ),
    pytest.param(
        ContentDisposition("inline", {"title": "ü"}),
        "inline; title*=UTF-8''%C3%BC",
        id="other-parameter-extended",
    ),
    pytest.param(ContentDisposition("inline"), "inline"),
]


@pytest.mark.parametrize(("disposition", "expected"), FORMATTED)
def test_dispositions_format_as_expected(disposition: ContentDisposition, expected: str) -> None:
    assert disposition.format() == expected
    assert str(disposition) == expected
    assert ContentDisposition.parse(expected) == disposition


@pytest.mark.parametrize("bad", ["a\rb", "a\nb", "a\x00b", "a\x7fb", "a\x1bb"])
def test_control_characters_are_refused_when_formatting(bad: str) -> None:
    with pytest.raises(MultipartEncodeError, match="control character") as raised:
        ContentDisposition.form_data("field", filename=bad)
    assert isinstance(raised.value, LocalProtocolError)
    with pytest.raises(MultipartEncodeError, match="control character"):
        ContentDisposition.form_data(bad)


@pytest.mark.parametrize(
    ("disposition_type", "params"),
    [
        ("form data", {}),
        ("", {}),
        ("attachment", {"filename*": "x"}),
        ("attachment", {"bad name": "x"}),
    ],
)
def test_invalid_types_and_names_are_refused(disposition_type: str, params: dict[str, str]) -> None:
    with pytest.raises(MultipartEncodeError):
        ContentDisposition(disposition_type, params)


def test_dispositions_are_immutable_values() -> None:
    first = ContentDisposition.parse('form-data; NAME="a"')
    second = ContentDisposition("FORM-DATA", [("name", "a")])
    assert first == second
    assert hash(first) == hash(second)
    assert first != ContentDisposition.form_data("b")
    assert repr(first) == "ContentDisposition('form-data', {'name': 'a'})"
    with pytest.raises(AttributeError):
        first.type = "attachment"
    with pytest.raises(TypeError):
        first.params["name"] = "b"  # type: ignore[index]


_CONTROL = "".join(chr(code) for code in [*range(0x20), 0x7F] if code != 0x09)
_TEXT = st.text(st.characters(codec="utf-8", exclude_characters=_CONTROL))
_NAMES = st.from_regex(r"[a-z0-9!#$%&'+\-.^_`|~]{1,12}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(
    disposition_type=st.sampled_from(["form-data", "attachment", "inline", "x-custom"]),
    params=st.dictionaries(_NAMES, _TEXT, max_size=4),
)
def test_format_then_parse_is_identity(disposition_type: str, params: dict[str, str]) -> None:
    disposition = ContentDisposition(disposition_type, params)
    formatted = disposition.format()
    if disposition_type != "form-data":
        assert formatted.isascii()
    assert ContentDisposition.parse(formatted) == disposition


_PIECES = st.sampled_from(
    ["attachment", ";", "filename", "*", "=", '"', "\\", " ", "UTF-8", "'", "%", "C3", "é", "\x00"]
)


@settings(max_examples=200, deadline=None)
@given(value=st.text(max_size=40) | st.lists(_PIECES, max_size=20).map("".join))
def test_arbitrary_text_raises_only_multipart_error(value: str) -> None:
    result = parse_or_error(value)
    if isinstance(result, MultipartError):
        assert result.reason
    else:
        assert ContentDisposition.parse(result.format()) == result


def parse_or_error(value: str) -> ContentDisposition | MultipartError:
    try:
        return ContentDisposition.parse(value)
    except MultipartError as error:
        return error
