"""The ``Range`` request field for byte ranges (RFC 9110 §14.1.2, §14.2)."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["parse_byte_range", "resolve_byte_range"]

# RFC 9110 §14.1.2:
#   int-range    = first-pos "-" [ last-pos ]
#   suffix-range = "-" suffix-length
# Only one range is served: a multi-range request is answered with the whole
# representation, which §14.2 allows ("A server MAY ignore the Range header").
_SINGLE_RANGE_RE: Final = re.compile(r"[ \t]*bytes[ \t]*=[ \t]*([0-9]*)-([0-9]*)[ \t]*", re.ASCII)


def parse_byte_range(field: str | None) -> slice | None:
    """Parse a single byte range into a slice (end exclusive).

    Returns:
        ``slice(first, last + 1)``, ``slice(first, None)`` for ``first-``,
        ``slice(-length, None)`` for a suffix range, or ``None`` when the field
        is absent, names another unit, or holds several ranges (each of which
        means "send the whole representation").

    Raises:
        ValueError: A byte range that is syntactically invalid (``last`` before
            ``first``, or neither given).
    """
    if field is None:
        return None
    match = _SINGLE_RANGE_RE.fullmatch(field)
    if match is None:
        return None
    first, last = match.groups()
    if first:
        start = int(first)
        if not last:
            return slice(start, None)
        end = int(last)
        if end < start:
            raise ValueError("last byte position is before the first")
        return slice(start, end + 1)
    if not last:
        raise ValueError("byte range has neither a first position nor a suffix length")
    length = int(last)
    # "-0" asks for no byte at all: an empty slice, which resolves as unsatisfiable.
    return slice(-length, None) if length else slice(0, 0)


def resolve_byte_range(requested: slice, size: int) -> tuple[int, int] | None:
    """Clip a requested range to a representation of ``size`` bytes.

    Returns:
        ``(offset, count)`` with ``count > 0``, or ``None`` when the range is
        unsatisfiable (RFC 9110 §14.1.1: no byte of it exists; answer 416).
    """
    start, stop = requested.start, requested.stop
    assert isinstance(start, int)
    if start < 0:
        # A suffix range: the last -start bytes, or the whole when shorter.
        if size == 0:
            return None
        offset = max(size + start, 0)
        return offset, size - offset
    if start >= size or (stop is not None and stop <= start):
        return None
    end = size if stop is None else min(stop, size)
    return start, end - start
