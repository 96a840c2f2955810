from datetime import UTC, datetime, timedelta, timezone
from http.cookies import SimpleCookie

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transom.protocol import LocalProtocolError, RemoteProtocolError
from transom.protocol.cookies import (
    MAX_COOKIE_AGE,
    CookieError,
    InvalidSetCookieError,
    SetCookie,
    format_set_cookie,
    parse_cookie_header,
)

EXPIRES = datetime(2021, 6, 9, 10, 18, 14, tzinfo=UTC)
TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Every application value format_set_cookie accepts: printable ASCII but ; " \.
APPLICATION_CHARS = "".join(chr(code) for code in range(0x20, 0x7F) if chr(code) not in ';"\\')
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
    lambda name: not name.lower().startswith(("__secure-", "__host-"))
)
application_values = st.text(APPLICATION_CHARS, max_size=24)
instants = st.datetimes(
    min_value=datetime(1601, 1, 1),
    max_value=datetime(9999, 12, 31),
    timezones=st.just(UTC),
).map(lambda moment: moment.replace(microsecond=0))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("sid=abc", SetCookie(name="sid", value="abc")),
        ("  sid = abc  ", SetCookie(name="sid", value="abc")),
        ("sid=", SetCookie(name="sid", value="")),
        ("sid=a=b", SetCookie(name="sid", value="a=b")),
        # RFC 6265 §5.2 keeps the quotes: the user agent sends them back.
        ('sid="a b"', SetCookie(name="sid", value='"a b"')),
        ("sid=a b, c", SetCookie(name="sid", value="a b, c")),
        (
            "sid=abc; Expires=Wed, 09 Jun 2021 10:18:14 GMT; Max-Age=3600; "
            "Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=Strict; Partitioned",
            SetCookie(
                name="sid",
                value="abc",
                expires=EXPIRES,
                max_age=3600,
                domain="example.com",
                path="/app",
                secure=True,
                httponly=True,
                samesite="Strict",
                partitioned=True,
            ),
        ),
        # Attribute names are case-insensitive; values keep their meaning.
        (
            "sid=abc; expires=Wed, 09-Jun-2021 10:18:14 GMT; MAX-AGE=5; secure; HTTPONLY; "
            "samesite=lax; domain=.Example.COM; path=/",
            SetCookie(
                name="sid",
                value="abc",
                expires=EXPIRES,
                max_age=5,
                domain="example.com",
                path="/",
                secure=True,
                httponly=True,
                samesite="Lax",
            ),
        ),
        (
            "sid=abc;Secure;;  ;HttpOnly",
            SetCookie(name="sid", value="abc", secure=True, httponly=True),
        ),
        ("sid=abc; Secure=no", SetCookie(name="sid", value="abc", secure=True)),
        (
            "sid=abc; SameSite=None; Secure",
            SetCookie(name="sid", value="abc", samesite="None", secure=True),
        ),
        ("sid=abc; SameSite=Bogus", SetCookie(name="sid", value="abc")),
        ("sid=abc; SameSite=Lax; SameSite=Bogus", SetCookie(name="sid", value="abc")),
        # Unknown attributes are kept, in order.
        (
            "sid=abc; Priority=High; Foo; Bar=",
            SetCookie(
                name="sid",
                value="abc",
                extensions=(("Priority", "High"), ("Foo", None), ("Bar", "")),
            ),
        ),
        ("sid=abc; =orphan", SetCookie(name="sid", value="abc")),
    ],
)
def test_set_cookie_is_parsed_as_a_user_agent_does(header: str, expected: SetCookie) -> None:
    assert SetCookie.parse(header) == expected


@pytest.mark.parametrize(
    ("attributes", "expected_max_age"),
    [
        ("Max-Age=0", 0),
        ("Max-Age=-5", 0),
        ("Max-Age=007", 7),
        ("Max-Age=+5", None),
        ("Max-Age=5s", None),
        ("Max-Age=", None),
        ("Max-Age=-", None),
        ("Max-Age=1.5", None),
        ("Max-Age=\u0661", None),
        ("Max-Age=10; Max-Age=junk", 10),
        ("Max-Age=10; Max-Age=20", 20),
        (f"Max-Age={MAX_COOKIE_AGE + 1}", MAX_COOKIE_AGE),
        ("Max-Age=" + "9" * 1000, MAX_COOKIE_AGE),
        ("Max-Age=" + "9" * 1025, None),
    ],
)
def test_max_age_follows_rfc6265_section_5_2_2(
    attributes: str, expected_max_age: int | None
) -> None:
    assert SetCookie.parse(f"a=b; {attributes}").max_age == expected_max_age


def test_max_age_cap_can_be_changed() -> None:
    assert SetCookie.parse("a=b; Max-Age=100", max_age_limit=60).max_age == 60


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ("Expires=Wed, 09 Jun 2021 10:18:14 GMT", EXPIRES),
        ("Expires=Wednesday, 09-Jun-21 10:18:14 GMT", EXPIRES),
        ("Expires=Wed Jun  9 10:18:14 2021", EXPIRES),
        ("Expires=9 June 2021 10:18:14", EXPIRES),
        ("Expires=tomorrow", None),
        ("Expires=", None),
        ("Expires=Wed, 09 Jun 2021 10:18:14 GMT; Expires=garbage", EXPIRES),
    ],
)
def test_expires_accepts_what_browsers_accept(attributes: str, expected: datetime | None) -> None:
    assert SetCookie.parse(f"a=b; {attributes}").expires == expected


@pytest.mark.parametrize(
    ("attributes", "expected_domain", "expected_path"),
    [
        ("Domain=", None, None),
        ("Domain=example.com; Domain=", "example.com", None),
        ("Domain=..example.com", ".example.com", None),
        ("Domain=.", None, None),
        ("Domain=example.com; Domain=.", None, None),
        ("Path=relative", None, None),
        ("Path=", None, None),
        ("Path=/a; Path=b", None, None),
        ("Path=/a; Path=/b", None, "/b"),
        ("Path=/a b", None, "/a b"),
    ],
)
def test_domain_and_path_follow_rfc6265_sections_5_2_3_and_5_2_4(
    attributes: str, expected_domain: str | None, expected_path: str | None
) -> None:
    cookie = SetCookie.parse(f"a=b; {attributes}")
    assert (cookie.domain, cookie.path) == (expected_domain, expected_path)


def test_an_attribute_value_over_1024_characters_is_ignored() -> None:
    cookie = SetCookie.parse("a=b; Path=/ok; Path=/" + "x" * 1024)
    assert cookie.path == "/ok"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("", "no '='"),
        ("sid", "no '='"),
        ("; sid=abc", "no '='"),
        ("=abc", "empty cookie name"),
        ("  =abc; Path=/", "empty cookie name"),
        ("sid=abc\r\nX-Injected: 1", "control character"),
        ("sid=a\x00bc", "control character"),
        ("sid=abc; Path=/\x0b", "control character"),
        ("sid=" + "x" * 4094, "longer than 4096"),
    ],
)
def test_set_cookie_to_ignore_entirely_raises_with_a_clear_reason(header: str, reason: str) -> None:
    with pytest.raises(InvalidSetCookieError, match=reason) as caught:
        SetCookie.parse(header)
    assert isinstance(caught.value, RemoteProtocolError)
    assert "xxxx" not in caught.value.reason


def test_a_tab_inside_the_value_is_kept() -> None:
    assert SetCookie.parse("a=b\tc").value == "b\tc"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({}, "sid=abc; Path=/"),
        ({"path": None}, "sid=abc"),
        ({"value": "a b"}, 'sid="a b"; Path=/'),
        ({"value": "a,b"}, 'sid="a,b"; Path=/'),
        ({"value": " padded "}, 'sid=" padded "; Path=/'),
        ({"value": ""}, "sid=; Path=/"),
        ({"value": '{"x":1}'.replace('"', "'")}, "sid={'x':1}; Path=/"),
        ({"max_age": 0}, "sid=abc; Max-Age=0; Path=/"),
        ({"expires": EXPIRES}, "sid=abc; Expires=Wed, 09 Jun 2021 10:18:14 GMT; Path=/"),
        (
            {"expires": datetime(2021, 6, 9, 12, 18, 14, tzinfo=timezone(timedelta(hours=2)))},
            "sid=abc; Expires=Wed, 09 Jun 2021 10:18:14 GMT; Path=/",
        ),
        ({"domain": "example.com"}, "sid=abc; Domain=example.com; Path=/"),
        ({"domain": ".example.com"}, "sid=abc; Domain=.example.com; Path=/"),
        ({"domain": "127.0.0.1"}, "sid=abc; Domain=127.0.0.1; Path=/"),
        ({"path": "/app/x y"}, "sid=abc; Path=/app/x y"),
        ({"secure": True, "httponly": True}, "sid=abc; Path=/; Secure; HttpOnly"),
        ({"samesite": "lax"}, "sid=abc; Path=/; SameSite=Lax"),
        ({"samesite": "STRICT"}, "sid=abc; Path=/; SameSite=Strict"),
        (
            {"samesite": "None", "secure": True, "partitioned": True},
            "sid=abc; Path=/; Secure; SameSite=None; Partitioned",
        ),
        (
            {"name": "__Host-sid", "secure": True},
            "__Host-sid=abc; Path=/; Secure",
        ),
        (
            {"name": "__Secure-sid", "secure": True, "domain": "example.com", "path": "/x"},
            "__Secure-sid=abc; Domain=example.com; Path=/x; Secure",
        ),
    ],
)
def test_set_cookie_is_formatted(arguments: dict[str, object], expected: str) -> None:
    name = str(arguments.pop("name", "sid"))
    value = str(arguments.pop("value", "abc"))
    assert format_set_cookie(name, value, **arguments) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"name": ""}, "not a token"),
        ({"name": "a b"}, "not a token"),
        ({"name": "a=b"}, "not a token"),
        ({"name": "a;b"}, "not a token"),
        ({"name": "sid\r\nX-Injected: 1"}, "not a token"),
        ({"name": "caf\u00e9"}, "not a token"),
        ({"value": "a;b"}, "contains ';'"),
        ({"value": "a\r\nSet-Cookie: evil=1"}, "CR or LF"),
        ({"value": "a\nb"}, "CR or LF"),
        ({"value": "a\x00b"}, "NUL"),
        ({"value": "a\tb"}, "control character"),
        ({"value": "a\x7fb"}, "control character"),
        ({"value": 'a"b'}, "contains '\"'"),
        ({"value": "a\\b"}, "contains '\\\\\\\\'"),
        ({"value": "caf\u00e9"}, "non-ASCII"),
        ({"value": "x" * 4095}, "longer than 4096"),
        ({"path": "/a;b"}, "contains ';'"),
        ({"path": "/a\r\nX: 1"}, "CR or LF"),
        ({"path": "relative"}, "must start with '/'"),
        ({"path": "/" + "x" * 1024}, "longer than 1024"),
        ({"domain": "exa mple.com"}, "not a host name"),
        ({"domain": "example.com; Secure"}, "not a host name"),
        ({"domain": ""}, "not a host name"),
        ({"domain": "-example.com"}, "not a host name"),
        ({"max_age": -1}, "Max-Age must be an integer >= 0"),
        ({"max_age": True}, "Max-Age must be an integer >= 0"),
        ({"max_age": 1.5}, "Max-Age must be an integer >= 0"),
        (
            {"expires": datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))},
            "Expires: datetime is out of the range",
        ),
        ({"expires": datetime(2021, 6, 9)}, "aware datetime"),
        ({"expires": datetime(1600, 12, 31, tzinfo=UTC)}, "before 1601"),
        ({"samesite": "Sometimes"}, "SameSite must be"),
        ({"samesite": "None"}, "SameSite=None requires Secure"),
        ({"partitioned": True}, "Partitioned requires Secure"),
        ({"name": "__Secure-sid"}, "__Secure- cookie requires Secure"),
        ({"name": "__secure-sid"}, "__Secure- cookie requires Secure"),
        ({"name": "__Host-sid"}, "__Host- cookie requires"),
        ({"name": "__Host-sid", "secure": True, "path": "/x"}, "__Host- cookie requires"),
        ({"name": "__HOST-sid", "secure": True, "domain": "a.com"}, "__Host- cookie requires"),
    ],
)
def test_formatting_refuses_with_cookie_error(arguments: dict[str, object], reason: str) -> None:
    name = str(arguments.pop("name", "sid"))
    value = str(arguments.pop("value", "abc"))
    with pytest.raises(CookieError, match=reason) as caught:
        format_set_cookie(name, value, **arguments)  # type: ignore[arg-type]
    assert isinstance(caught.value, LocalProtocolError)
    assert "\r" not in caught.value.reason
    assert "\n" not in caught.value.reason


def test_set_cookie_format_writes_the_wire_value_and_extensions() -> None:
    cookie = SetCookie(
        name="sid",
        value='"a b"',
        path="/",
        extensions=(("Priority", "High"), ("Foo", None)),
    )
    assert cookie.format() == 'sid="a b"; Path=/; Priority=High; Foo'


@pytest.mark.parametrize(
    ("cookie", "reason"),
    [
        (SetCookie(name="sid", value="a b"), "needs quoting"),
        (SetCookie(name="sid", value='"a;b"'), "contains ';'"),
        (SetCookie(name="sid", value='"a\r\nb"'), "CR or LF"),
        (SetCookie(name="sid", value="x", path=None, extensions=(("Foo;", None),)), "not allowed"),
        (SetCookie(name="sid", value="x", extensions=(("Foo", "a\r\nb"),)), "CR or LF"),
        (SetCookie(name="sid", value="x", extensions=(("", "a"),)), "not allowed"),
        (SetCookie(name="sid", value="x", extensions=(("A=B", "a"),)), "not allowed"),
        (SetCookie(name="sid", value="x", samesite="none"), "requires Secure"),  # type: ignore[arg-type]
    ],
)
def test_set_cookie_format_refuses_unsafe_fields(cookie: SetCookie, reason: str) -> None:
    with pytest.raises(CookieError, match=reason):
        cookie.format()


@given(
    names,
    application_values,
    st.none() | st.integers(min_value=0, max_value=MAX_COOKIE_AGE),
    st.none() | instants,
    st.booleans(),
    st.booleans(),
    st.sampled_from([None, "Strict", "Lax", "None"]),
)
@settings(max_examples=200)
def test_server_to_browser_to_server_round_trip_keeps_the_value(
    name: str,
    value: str,
    max_age: int | None,
    expires: datetime | None,
    secure: bool,
    httponly: bool,
    samesite: str | None,
) -> None:
    secure = secure or samesite == "None"
    header = format_set_cookie(
        name,
        value,
        max_age=max_age,
        expires=expires,
        secure=secure,
        httponly=httponly,
        samesite=samesite,
    )

    received = SetCookie.parse(header)

    assert received.name == name
    assert (received.max_age, received.expires) == (max_age, expires)
    assert (received.secure, received.httponly, received.samesite) == (secure, httponly, samesite)
    assert received.path == "/"
    # The browser sends back the stored wire value; the server reads the original.
    assert parse_cookie_header(f"{received.name}={received.value}") == {name: value}
    # Formatting the parsed cookie reproduces the header byte for byte.
    assert received.format() == header


@given(
    names.filter(lambda name: name.lower() not in STDLIB_RESERVED and not name.startswith("$")),
    application_values,
)
@settings(max_examples=150)
def test_stdlib_reads_our_set_cookie_back(name: str, value: str) -> None:
    header = format_set_cookie(name, value, max_age=60, domain="example.com", httponly=True)
    stdlib = SimpleCookie()
    stdlib.load(header)
    morsel = stdlib[name]

    assert morsel.value == value
    assert (morsel["max-age"], morsel["domain"], morsel["path"]) == ("60", "example.com", "/")
    assert morsel["httponly"] is True


@given(st.text(max_size=120))
@settings(max_examples=200)
def test_parsing_arbitrary_text_raises_only_invalid_set_cookie(header: str) -> None:
    try:
        cookie = SetCookie.parse(header)
    except InvalidSetCookieError:
        return
    assert cookie.name
    assert cookie.max_age is None or 0 <= cookie.max_age <= MAX_COOKIE_AGE
