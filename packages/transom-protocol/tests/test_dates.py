import email.utils
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transom.protocol import LocalProtocolError
from transom.protocol.dates import (
    HTTPDateError,
    format_http_date,
    parse_cookie_date,
    parse_http_date,
)

SUNDAY = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)

# Second-precision instants an IMF-fixdate can hold.
instants = st.datetimes(
    min_value=datetime(1601, 1, 1),
    max_value=datetime(9999, 12, 31, 23, 59, 59),
    timezones=st.just(UTC),
).map(lambda moment: moment.replace(microsecond=0))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # RFC 9110 §5.6.7's three examples.
        ("Sun, 06 Nov 1994 08:49:37 GMT", SUNDAY),
        ("Sunday, 06-Nov-94 08:49:37 GMT", SUNDAY),
        ("Sun Nov  6 08:49:37 1994", SUNDAY),
        ("Wed Nov 16 08:49:37 1994", datetime(1994, 11, 16, 8, 49, 37, tzinfo=UTC)),
        # Robustness: case, surrounding whitespace.
        ("sun, 06 NOV 1994 08:49:37 gmt", SUNDAY),
        ("  Sun, 06 Nov 1994 08:49:37 GMT\t", SUNDAY),
        # The day name is redundant and not checked.
        ("Mon, 06 Nov 1994 08:49:37 GMT", SUNDAY),
        # A leap second becomes the last second of its minute.
        ("Sat, 31 Dec 2016 23:59:60 GMT", datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("Thu, 01 Jan 1970 00:00:00 GMT", datetime(1970, 1, 1, tzinfo=UTC)),
        ("Fri, 31 Dec 9999 23:59:59 GMT", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("Thursday, 01-Jan-70 00:00:00 GMT", datetime(1970, 1, 1, tzinfo=UTC)),
        ("Monday, 01-Jan-35 00:00:00 GMT", datetime(2035, 1, 1, tzinfo=UTC)),
    ],
)
def test_each_http_date_form_is_parsed(value: str, expected: datetime) -> None:
    assert parse_http_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "yesterday",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Nov 1994 08:49:37 +0000",
        "Sun, 06 Nov 1994 08:49:37",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT trailing",
        "Sun, 31 Nov 1994 08:49:37 GMT",
        "Thu, 29 Feb 1900 08:49:37 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 0000 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sun, ٠٦ Nov 1994 08:49:37 GMT",
        "Sun Nov 6 08:49:37 1994",
        "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sun, 06-Nov-94 08:49:37 GMT",
        "1994-11-06T08:49:37Z",
    ],
)
def test_a_malformed_http_date_gives_none(value: str) -> None:
    assert parse_http_date(value) is None


@pytest.mark.parametrize(
    ("short_year", "expected_year"),
    [("26", 2026), ("30", 2030), ("76", 2076), ("77", 1977), ("99", 1999), ("00", 2000)],
)
def test_rfc850_year_more_than_50_years_ahead_is_last_century(
    short_year: str, expected_year: int
) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    parsed = parse_http_date(f"Friday, 01-Jan-{short_year} 00:00:00 GMT", now=now)
    assert parsed is not None
    assert parsed.year == expected_year


def test_rfc850_year_far_in_the_past_is_read_in_the_window_around_now() -> None:
    parsed = parse_http_date("Friday, 01-Jan-10 00:00:00 GMT", now=datetime(2090, 1, 1))
    assert parsed is not None
    assert parsed.year == 2110


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (784111777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (784111777.999, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (SUNDAY, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (
            datetime(1994, 11, 6, 10, 49, 37, tzinfo=timezone(timedelta(hours=2))),
            "Sun, 06 Nov 1994 08:49:37 GMT",
        ),
        (datetime(1, 1, 1, tzinfo=UTC), "Mon, 01 Jan 0001 00:00:00 GMT"),
    ],
)
def test_format_writes_imf_fixdate_in_utc(value: datetime | float, expected: str) -> None:
    assert format_http_date(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (datetime(1994, 11, 6), "naive"),
        (float("nan"), "out of the range"),
        (1e20, "out of the range"),
        (-1e20, "out of the range"),
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))), "out of the range"),
    ],
)
def test_format_refuses_what_it_cannot_write(value: datetime | float, message: str) -> None:
    with pytest.raises(HTTPDateError, match=message) as caught:
        format_http_date(value)
    assert isinstance(caught.value, LocalProtocolError)


@given(instants)
@settings(max_examples=150)
def test_format_then_parse_is_identity(moment: datetime) -> None:
    text = format_http_date(moment)
    assert parse_http_date(text) == moment
    assert parse_cookie_date(text) == moment


@given(instants)
@settings(max_examples=100)
def test_stdlib_email_utils_reads_our_dates(moment: datetime) -> None:
    assert email.utils.parsedate_to_datetime(format_http_date(moment)) == moment


@given(st.text(max_size=60))
@settings(max_examples=200)
def test_parsing_arbitrary_text_never_raises(value: str) -> None:
    for parsed in (parse_http_date(value), parse_cookie_date(value)):
        assert parsed is None or parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Sun, 06 Nov 1994 08:49:37 GMT", SUNDAY),
        ("Sunday, 06-Nov-94 08:49:37 GMT", SUNDAY),
        ("Sun Nov  6 08:49:37 1994", SUNDAY),
        # Variants servers send that only the cookie algorithm accepts.
        ("Sun, 06-Nov-1994 08:49:37 GMT", SUNDAY),
        ("Sun, 06 Nov 1994 08:49:37 -0000", SUNDAY),
        ("06 Nov 1994 08:49:37", SUNDAY),
        ("Nov 6 1994 8:49:37", SUNDAY),
        ("november 6, 1994, 08:49:37 UTC", SUNDAY),
        ("1994 Nov 06 08:49:37", SUNDAY),
        ("Sun, 06 Nov 1994 8:9:7 GMT", datetime(1994, 11, 6, 8, 9, 7, tzinfo=UTC)),
        ("Thu, 01 Jan 70 00:00:00 GMT", datetime(1970, 1, 1, tzinfo=UTC)),
        ("Thu, 01 Jan 69 00:00:00 GMT", datetime(2069, 1, 1, tzinfo=UTC)),
        ("Thu, 01 Jan 1601 00:00:00 GMT", datetime(1601, 1, 1, tzinfo=UTC)),
        # Tokens may carry trailing non-digits.
        ("06th Nov 1994AD 08:49:37z", SUNDAY),
    ],
)
def test_cookie_dates_are_parsed_as_browsers_do(value: str, expected: datetime) -> None:
    assert parse_cookie_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "never",
        "Sun, 06 Nov 1994",
        "08:49:37 1994 Nov",
        "1994-11-06 08:49:37",
        "Sun, 06 Nov 1600 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:60 GMT",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 31 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 19945 08:49:37 GMT",
        "Sun, 06 Nov 0999 08:49:37 GMT",
        "Sun, 123 Nov 1994 08:49:37 GMT",
    ],
)
def test_cookie_dates_the_algorithm_rejects_give_none(value: str) -> None:
    assert parse_cookie_date(value) is None
