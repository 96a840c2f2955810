"""The ``Cookie`` request header: parsed leniently, formatted strictly."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from transom.protocol.cookies._errors import CookieError, CookieLimitError

__all__ = [
    "DEFAULT_MAX_COOKIES",
    "DEFAULT_MAX_COOKIE_HEADER_SIZE",
    "format_cookie_header",
    "parse_cookie_header",
]

# A security limit on the work one header can cause. RFC 6265 §6.1 asks user
# agents to store 50 cookies of 4096 bytes per domain, but servers refuse far
# less in practice: nginx and Apache accept an 8 KiB header line by default.
# Four times that refuses nothing a browser sends to a site that works
# elsewhere, and keeps a hostile header from building a large dict.
DEFAULT_MAX_COOKIE_HEADER_SIZE = 32 * 1024
# Chromium and Firefox keep at most 180 cookies per host, so a browser never
# sends more; the margin covers cookies from parent domains.
DEFAULT_MAX_COOKIES = 200

_WSP = " \t"
_CTL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_FORBIDDEN_IN_PAIR = re.compile(r"[\x00-\x08\x0a-\x1f\x7f;]")


def parse_cookie_header(
    value: str,
    *,
    max_size: int = DEFAULT_MAX_COOKIE_HEADER_SIZE,
    max_cookies: int = DEFAULT_MAX_COOKIES,
) -> dict[str, str]:
    """Parse a ``Cookie`` request header the way servers must: leniently.

    Browsers send ``name=value`` pairs separated by ``;`` (RFC 6265 §5.4), but
    they send back whatever the server once set, so the rules here are those
    of the cookie-pair grammar loosened:

    - pairs are split on ``;`` only, and SP or HTAB around names and values is
      dropped (``a=1;b=2`` and ``a = 1`` both work);
    - a value wrapped in DQUOTEs is unwrapped (``a="x y"`` gives ``x y``);
      backslashes are data, not escapes;
    - junk is skipped without failing: a pair with no ``=``, an empty name, or
      a control character;
    - when a name repeats, the first occurrence wins. Browsers list cookies
      with longer paths first (RFC 6265 §5.4 step 2), so the first is the
      most specific one. (Python's ``http.cookies`` keeps the last instead.)

    Several ``Cookie`` fields (as HTTP/2 sends them) are joined with ``"; "``
    before calling (RFC 9113 §8.2.3).

    Args:
        value: The field value.
        max_size: Longest accepted value, in characters.
        max_cookies: Most pairs accepted, duplicates included.

    Returns:
        Cookie names mapped to their values, in the order they appeared.

    Raises:
        CookieLimitError: ``value`` exceeds ``max_size`` or holds more than
            ``max_cookies`` pairs (status 431).
    """
    if len(value) > max_size:
        raise CookieLimitError(f"Cookie header is longer than {max_size} characters")
    cookies: dict[str, str] = {}
    count = 0
    for pair in value.split(";"):
        name, equals, cookie_value = pair.partition("=")
        if not equals:
            continue
        name = name.strip(_WSP)
        cookie_value = cookie_value.strip(_WSP)
        if not name or _CTL.search(name) or _CTL.search(cookie_value):
            continue
        count += 1
        if count > max_cookies:
            raise CookieLimitError(f"Cookie header holds more than {max_cookies} cookies")
        if len(cookie_value) >= 2 and cookie_value[0] == cookie_value[-1] == '"':
            cookie_value = cookie_value[1:-1]
        cookies.setdefault(name, cookie_value)
    return cookies


def format_cookie_header(cookies: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """Format the ``Cookie`` header a client sends back (RFC 6265 §5.4 step 4).

    Args:
        cookies: Names and values, in the order to send them (most specific
            path first). Values are sent exactly as the server set them,
            quotes included: pass the ``value`` of a parsed ``SetCookie``.

    Returns:
        ``"name=value; name2=value2"``, or ``""`` for no cookies.

    Raises:
        CookieError: A name is empty or holds ``=``, or a name or value holds
            ``;`` or a control character (which would split the header or
            inject another one).
    """
    pairs = cookies.items() if isinstance(cookies, Mapping) else cookies
    parts = []
    for name, value in pairs:
        if not name or "=" in name or _FORBIDDEN_IN_PAIR.search(name):
            raise CookieError(f"cannot send a cookie named {name[:40]!r}")
        if _FORBIDDEN_IN_PAIR.search(value):
            raise CookieError(f"value of cookie {name[:40]!r} contains ';' or a control character")
        parts.append(f"{name}={value}")
    return "; ".join(parts)
