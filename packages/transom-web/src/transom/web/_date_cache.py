"""The ``Date`` response field, formatted at most once per second."""

from __future__ import annotations

import time

from transom.protocol.dates import format_http_date

__all__ = ["http_date_now"]

_cached_second = -1
_cached_value = ""


def http_date_now() -> str:
    """The current time as an IMF-fixdate for the ``Date`` field (RFC 9110 §6.6.1).

    A server sends whole seconds, so the formatted string changes once a second;
    every response in between reuses it.
    """
    global _cached_second, _cached_value
    second = int(time.time())
    if second != _cached_second:
        _cached_value = format_http_date(second)
        _cached_second = second
    return _cached_value
