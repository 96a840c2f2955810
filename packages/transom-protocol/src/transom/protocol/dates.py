"""HTTP dates: parse the three HTTP-date forms, format IMF-fixdate, parse cookie dates.

RFC 9110 §5.6.7 defines ``HTTP-date`` as the preferred IMF-fixdate
(``Sun, 06 Nov 1994 08:49:37 GMT``) plus two obsolete forms a recipient still
accepts: RFC 850 (``Sunday, 06-Nov-94 08:49:37 GMT``) and ANSI C's asctime
(``Sun Nov  6 08:49:37 1994``). Browsers are far more forgiving with a
cookie's ``Expires``: RFC 6265 §5.1.1 gives the token-hunting algorithm they
use, implemented here as :func:`parse_cookie_date`.

Parsing never raises: a value that is not a date gives ``None``, because every
field that carries a date tells the recipient to ignore an invalid one (for
example ``If-Modified-Since``, RFC 9110 §13.1.3, and ``Expires``, RFC 6265
§5.2.1). Every datetime returned is timezone-aware UTC. Nothing here reads the
clock: callers that need "now" pass it in.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from transom.protocol._errors import LocalProtocolError

__all__ = ["HTTPDateError", "format_http_date", "parse_cookie_date", "parse_http_date"]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBERS = {name.lower(): number for number, name in enumerate(_MONTHS, start=1)}

# RFC 9110 §5.6.7, with the ABNF each pattern implements. Names are matched
# case-insensitively and surrounding whitespace is tolerated: the section asks
# recipients to be robust when parsing timestamps. The day name is redundant
# with the date and is not checked against it, for the same reason.
#
#   IMF-fixdate  = day-name "," SP date1 SP time-of-day SP GMT
#   date1        = day SP month SP year                ; e.g., 02 Jun 1982
_DAY_NAME = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MONTH = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_TIME_OF_DAY = r"([0-9]{2}):([0-9]{2}):([0-9]{2})"
_IMF_FIXDATE = re.compile(
    rf"{_DAY_NAME}, ([0-9]{{2}}) {_MONTH} ([0-9]{{4}}) {_TIME_OF_DAY} GMT",
    re.ASCII | re.IGNORECASE,
)
#   rfc850-date  = day-name-l "," SP date2 SP time-of-day SP GMT
#   date2        = day "-" month "-" 2DIGIT            ; e.g., 02-Jun-82
_DAY_NAME_L = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_RFC850_DATE = re.compile(
    rf"{_DAY_NAME_L}, ([0-9]{{2}})-{_MONTH}-([0-9]{{2}}) {_TIME_OF_DAY} GMT",
    re.ASCII | re.IGNORECASE,
)
#   asctime-date = day-name SP date3 SP time-of-day SP year
#   date3        = month SP ( 2DIGIT / ( SP DIGIT ))   ; e.g., Jun  2
_ASCTIME_DATE = re.compile(
    rf"{_DAY_NAME} {_MONTH} ([0-9]{{2}}| [0-9]) {_TIME_OF_DAY} ([0-9]{{4}})",
    re.ASCII | re.IGNORECASE,
)

# RFC 9110 §5.6.7: "second" runs to 60 for a leap second; datetime cannot hold
# one, so it is read as the last second of that minute.
_LEAP_SECOND = 60


class HTTPDateError(LocalProtocolError):
    """A value given to :func:`format_http_date` cannot be written as an HTTP-date."""


def parse_http_date(value: str, *, now: datetime | None = None) -> datetime | None:
    """Parse an HTTP-date in any of its three forms (RFC 9110 §5.6.7).

    Args:
        value: The field value, for example of ``Date``, ``Last-Modified`` or
            ``If-Modified-Since``.
        now: The current time, used only to place an RFC 850 two-digit year:
            a year that would be more than 50 years in the future is read as
            the most recent past year with the same last two digits, as the
            section requires. Without it, years 70-99 are 19xx and 00-69 are
            20xx (the same pivot as RFC 6265 §5.1.1), which keeps this function
            free of clock reads.

    Returns:
        The instant as an aware UTC datetime, or ``None`` when ``value`` is not
        a valid HTTP-date (the caller then ignores the field, as RFC 9110
        requires of recipients).
    """
    text = value.strip(" \t")
    if match := _IMF_FIXDATE.fullmatch(text):
        day, month, year, hour, minute, second = match.groups()
        return _build(int(year), month, int(day), int(hour), int(minute), int(second))
    if match := _RFC850_DATE.fullmatch(text):
        day, month, short_year, hour, minute, second = match.groups()
        year = _expand_two_digit_year(int(short_year), now)
        return _build(year, month, int(day), int(hour), int(minute), int(second))
    if match := _ASCTIME_DATE.fullmatch(text):
        month, day, hour, minute, second, year = match.groups()
        return _build(int(year), month, int(day), int(hour), int(minute), int(second))
    return None


def format_http_date(value: datetime | float) -> str:
    """Format an instant as an IMF-fixdate, the form senders must use (RFC 9110 §5.6.7).

    Args:
        value: An aware datetime (any timezone; it is converted to UTC) or a
            POSIX timestamp in seconds. Fractions of a second are dropped.

    Returns:
        For example ``"Sun, 06 Nov 1994 08:49:37 GMT"``. The names are English
        whatever the process locale is.

    Raises:
        HTTPDateError: ``value`` is a naive datetime (its timezone would be a
            guess) or a timestamp outside the years 1 to 9999.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise HTTPDateError("cannot format a naive datetime as an HTTP-date; attach a timezone")
        try:
            moment = value.astimezone(UTC)
        except OverflowError:
            raise HTTPDateError("datetime is out of the range an HTTP-date can hold") from None
    else:
        try:
            moment = datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise HTTPDateError("timestamp is out of the range an HTTP-date can hold") from None
    return (
        f"{_WEEKDAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} "
        f"{moment.year:04d} {moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} GMT"
    )


# RFC 6265 §5.1.1:
#   delimiter     = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E
#   date-token    = 1*non-delimiter
_COOKIE_DATE_TOKEN = re.compile(r"[^\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
#   time          = hms-time ( non-digit *OCTET )
#   hms-time      = time-field ":" time-field ":" time-field
#   time-field    = 1*2DIGIT
_COOKIE_TIME = re.compile(r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?![0-9])")
#   day-of-month  = 1*2DIGIT ( non-digit *OCTET )
_COOKIE_DAY = re.compile(r"([0-9]{1,2})(?![0-9])")
#   year          = 2*4DIGIT ( non-digit *OCTET )
_COOKIE_YEAR = re.compile(r"([0-9]{2,4})(?![0-9])")
# Step 5: a year before the Gregorian calendar's adoption is refused.
_COOKIE_MIN_YEAR = 1601


def parse_cookie_date(value: str) -> datetime | None:
    """Parse a cookie's ``Expires`` the way browsers do (RFC 6265 §5.1.1).

    The algorithm splits the value into tokens and takes, in order, the first
    token that looks like a time, a day of the month, a month name and a year,
    so it accepts IMF-fixdate, RFC 850, asctime and the many variants servers
    send (``Wed, 09-Jun-2021 10:18:14 GMT``, ``Thu, 01 Jan 1970 00:00:00 -0000``).

    Args:
        value: The attribute value of ``Expires``.

    Returns:
        The instant as an aware UTC datetime, or ``None`` when the algorithm
        fails (the user agent then ignores the attribute, RFC 6265 §5.2.1).
    """
    hms: tuple[int, int, int] | None = None
    day: int | None = None
    month: int | None = None
    year: int | None = None
    # Step 2: each token fills the first still-missing field it matches.
    for token in _COOKIE_DATE_TOKEN.findall(value):
        if hms is None and (match := _COOKIE_TIME.match(token)):
            hms = (int(match[1]), int(match[2]), int(match[3]))
        elif day is None and (match := _COOKIE_DAY.match(token)):
            day = int(match[1])
        elif month is None and token[:3].lower() in _MONTH_NUMBERS:
            month = _MONTH_NUMBERS[token[:3].lower()]
        elif year is None and (match := _COOKIE_YEAR.match(token)):
            year = int(match[1])
    if hms is None or day is None or month is None or year is None:
        return None
    # Steps 3 and 4: two-digit years.
    if 70 <= year <= 99:
        year += 1900
    elif 0 <= year <= 69:
        year += 2000
    # Step 5.
    hour, minute, second = hms
    if not 1 <= day <= 31 or year < _COOKIE_MIN_YEAR or hour > 23 or minute > 59 or second > 59:
        return None
    # Step 6: a date that does not exist (30 Feb) fails too.
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


def _expand_two_digit_year(short_year: int, now: datetime | None) -> int:
    if now is None:
        return short_year + (1900 if short_year >= 70 else 2000)
    # RFC 9110 §5.6.7: a year more than 50 years ahead is the previous
    # century's; the window (now - 50, now + 50] gives every two digits one year.
    year = now.year - now.year % 100 + short_year
    if year > now.year + 50:
        year -= 100
    elif year <= now.year - 50:
        year += 100
    return year


def _build(year: int, month: str, day: int, hour: int, minute: int, second: int) -> datetime | None:
    if hour > 23 or minute > 59 or second > _LEAP_SECOND:
        return None
    try:
        return datetime(
            year,
            _MONTH_NUMBERS[month.lower()],
            day,
            hour,
            minute,
            min(second, 59),
            tzinfo=UTC,
        )
    except ValueError:
        # Day 31 of a 30-day month, 29 February of a common year, year 0000.
        return None
