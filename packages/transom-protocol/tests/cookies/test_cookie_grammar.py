import types
from http.cookies import SimpleCookie

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import transom.protocol.cookies as cookies_package
from transom.protocol.cookies import CookieError, parse_cookie_header, quote_cookie_value

APPLICATION_CHARS = "".join(chr(code) for code in range(0x20, 0x7F) if chr(code) not in ';"\\')


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "abc"),
        ("", ""),
        ("a=b/c:d?e@f[g]{h}(i)<j>", "a=b/c:d?e@f[g]{h}(i)<j>"),
        ("a b", '"a b"'),
        ("a,b", '"a,b"'),
        (" ", '" "'),
        ("Wed, 09 Jun 2021", '"Wed, 09 Jun 2021"'),
    ],
)
def test_a_value_is_quoted_only_when_needed(value: str, expected: str) -> None:
    assert quote_cookie_value(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("a;b", "contains ';'"),
        ("a\rb", "CR or LF"),
        ("a\nb", "CR or LF"),
        ("a\x00b", "NUL"),
        ("a\x1bb", "control character"),
        ('a"b', "contains '\"'"),
        ("a\\b", "contains"),
        ("\u00e9", "non-ASCII"),
        ("\U0001f36a", "non-ASCII"),
    ],
)
def test_a_value_that_cannot_be_sent_is_refused(value: str, reason: str) -> None:
    with pytest.raises(CookieError, match=reason) as caught:
        quote_cookie_value(value)
    assert caught.value.reason.endswith("encode it first")


@given(st.text(APPLICATION_CHARS, max_size=30))
@settings(max_examples=150)
def test_quoted_values_read_back_unchanged_here_and_in_the_stdlib(value: str) -> None:
    wire = quote_cookie_value(value)
    stdlib = SimpleCookie()
    stdlib.load(f"name={wire}")

    assert parse_cookie_header(f"name={wire}") == {"name": value}
    assert stdlib["name"].value == value


@given(st.text(max_size=30))
@settings(max_examples=150)
def test_quoting_either_succeeds_or_raises_cookie_error(value: str) -> None:
    try:
        wire = quote_cookie_value(value)
    except CookieError:
        assert any(char in ';"\\' or not " " <= char <= "~" for char in value)
    else:
        assert not any(char in ";\r\n\x00" for char in wire)


def test_every_public_name_is_exported() -> None:
    public = {
        name
        for name, value in vars(cookies_package).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(cookies_package.__all__) == public
    assert len(set(cookies_package.__all__)) == len(cookies_package.__all__)
