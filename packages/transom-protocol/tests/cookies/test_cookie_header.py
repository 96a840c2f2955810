from http.cookies import SimpleCookie

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transom.protocol import RemoteProtocolError
from transom.protocol.cookies import (
    DEFAULT_MAX_COOKIE_HEADER_SIZE,
    DEFAULT_MAX_COOKIES,
    CookieError,
    CookieLimitError,
    format_cookie_header,
    parse_cookie_header,
)

TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
COOKIE_OCTETS = "".join(chr(code) for code in range(0x21, 0x7F) if chr(code) not in '",;\\')
# Names http.cookies reads as attributes of the previous cookie, not as cookies.
STDLIB_RESERVED = {
    "expires",
    "path",
    "comment",
    "domain",
    "max-age",
    "secure",
    "httponly",
    "version",
    "samesite",
    "partitioned",
}

names = st.text(TCHARS, min_size=1, max_size=12).filter(
    lambda name: name.lower() not in STDLIB_RESERVED and not name.startswith("$")
)
wire_values = st.text(COOKIE_OCTETS, max_size=20)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=1; b=2", {"a": "1", "b": "2"}),
        ("a=1;b=2", {"a": "1", "b": "2"}),
        ("  a = 1 ;\tb=2  ", {"a": "1", "b": "2"}),
        ("a=1; b=2;", {"a": "1", "b": "2"}),
        ('a="x y"; b=""', {"a": "x y", "b": ""}),
        ('a="', {"a": '"'}),
        ('a="\\"x\\""', {"a": '\\"x\\"'}),
        ("a=x=y", {"a": "x=y"}),
        ("a=", {"a": ""}),
        ("a=1; a=2", {"a": "1"}),
        ("a=1, b=2", {"a": "1, b=2"}),
        ("a=caf\u00e9", {"a": "caf\u00e9"}),
        ("$Version=1; a=1", {"$Version": "1", "a": "1"}),
        ("a b=1", {"a b": "1"}),
        ("", {}),
        (";;; ;", {}),
        ("junk; a=1; =x; = ; b=2; justaname", {"a": "1", "b": "2"}),
        ("a=\x01; b=2; c\x7f=3", {"b": "2"}),
        ("a=x\ty", {"a": "x\ty"}),
    ],
)
def test_cookie_header_is_parsed_leniently(header: str, expected: dict[str, str]) -> None:
    parsed = parse_cookie_header(header)

    assert parsed == expected
    assert list(parsed) == list(expected)


def test_first_occurrence_of_a_name_wins_unlike_the_stdlib() -> None:
    stdlib = SimpleCookie()
    stdlib.load("a=specific; a=general")

    assert parse_cookie_header("a=specific; a=general") == {"a": "specific"}
    assert stdlib["a"].value == "general"


@given(st.dictionaries(names, wire_values, max_size=6), st.sampled_from(["; ", ";", " ; "]))
@settings(max_examples=150)
def test_well_formed_headers_parse_as_the_stdlib_parses_them(
    cookies: dict[str, str], separator: str
) -> None:
    header = separator.join(f"{name}={value}" for name, value in cookies.items())
    stdlib = SimpleCookie()
    stdlib.load(header)

    assert parse_cookie_header(header) == {name: morsel.value for name, morsel in stdlib.items()}


def test_header_longer_than_the_limit_is_refused_with_431() -> None:
    header = "a=" + "x" * DEFAULT_MAX_COOKIE_HEADER_SIZE

    with pytest.raises(CookieLimitError, match="longer than") as caught:
        parse_cookie_header(header)
    assert caught.value.status_code == 431
    assert isinstance(caught.value, RemoteProtocolError)
    assert "xxx" not in caught.value.reason


def test_header_at_the_size_limit_is_accepted() -> None:
    header = "a=" + "x" * 8
    assert parse_cookie_header(header, max_size=len(header)) == {"a": "x" * 8}
    with pytest.raises(CookieLimitError):
        parse_cookie_header(header, max_size=len(header) - 1)


def test_more_cookies_than_the_limit_is_refused() -> None:
    at_limit = "; ".join(f"c{index}=1" for index in range(DEFAULT_MAX_COOKIES))
    assert len(parse_cookie_header(at_limit)) == DEFAULT_MAX_COOKIES

    with pytest.raises(CookieLimitError, match=f"more than {DEFAULT_MAX_COOKIES} cookies"):
        parse_cookie_header(at_limit + "; one=more")


def test_duplicates_count_towards_the_cookie_limit() -> None:
    with pytest.raises(CookieLimitError):
        parse_cookie_header("a=1; a=2; a=3", max_cookies=2)


def test_skipped_junk_does_not_count_towards_the_cookie_limit() -> None:
    assert parse_cookie_header("junk; more junk; a=1", max_cookies=1) == {"a": "1"}


@pytest.mark.parametrize(
    ("cookies", "expected"),
    [
        ({"a": "1", "b": '"x y"'}, 'a=1; b="x y"'),
        ([("a", "1"), ("a", "2")], "a=1; a=2"),
        ({}, ""),
        ({"sid": ""}, "sid="),
    ],
)
def test_cookie_header_is_formatted_in_order(
    cookies: dict[str, str] | list[tuple[str, str]], expected: str
) -> None:
    assert format_cookie_header(cookies) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("", "1"),
        ("a=b", "1"),
        ("a;b", "1"),
        ("a\r\nSet-Cookie: x", "1"),
        ("a", "1; injected=1"),
        ("a", "1\r\nX-Injected: 1"),
        ("a", "1\x00"),
    ],
)
def test_cookie_header_refuses_header_and_pair_injection(name: str, value: str) -> None:
    with pytest.raises(CookieError):
        format_cookie_header({name: value})


@given(st.dictionaries(names, wire_values, max_size=6))
@settings(max_examples=100)
def test_formatted_cookie_header_parses_back(cookies: dict[str, str]) -> None:
    assert parse_cookie_header(format_cookie_header(cookies)) == cookies


@given(st.text(max_size=200))
@settings(max_examples=200)
def test_parsing_arbitrary_text_never_raises_below_the_limits(header: str) -> None:
    parsed = parse_cookie_header(header)
    assert all(name and "=" not in name and ";" not in name for name in parsed)
