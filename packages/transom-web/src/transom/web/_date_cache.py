"""The ``Date`` response field, formatted at most once per second."""

from __future__ import annotations

import time
from typing import Final

from transom.protocol.dates import format_http_date

__all__ = ["http_date_now"]

_now: Final = time.time


class _Formatted:
    """The ``Date`` of the second last asked for."""

    def __init__(self) -> None:
        self.second = -1
        self.value = ""


_LAST: Final = _Formatted()


def http_date_now() -> str:
    """The current time as an IMF-fixdate for the ``Date`` field (RFC 9110 §6.6.1).

    A server sends whole seconds, so the formatted string changes once a second;
    every response in between reuses it.
    """
    last = _LAST
    second = int(_now())
    if second != last.second:
        last.value = format_http_date(second)
        last.second = second
    return last.value
