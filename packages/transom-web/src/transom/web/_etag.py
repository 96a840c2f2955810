"""Entity tags: the ``ETag`` field and the lists in ``If-Match``/``If-None-Match``."""

from __future__ import annotations

import re
from typing import Final, NamedTuple

__all__ = ["ETAG_ANY", "ETag", "etags_match", "parse_etag_list"]

# RFC 9110 §8.8.3:
#   entity-tag = [ weak ] opaque-tag
#   weak       = %s"W/"
#   opaque-tag = DQUOTE *etagc DQUOTE
#   etagc      = %x21 / %x23-7E / obs-text
_ETAGC = r"[\x21\x23-\x7e\x80-\xff]*"
_ENTITY_TAG_RE: Final = re.compile(rf'(W/)?"({_ETAGC})"')
_LIST_ITEM_RE: Final = re.compile(rf'[ \t]*(?:(W/)?"({_ETAGC})"|(\*))[ \t]*(?:,|$)')
_VALUE_RE: Final = re.compile(_ETAGC)

# The value of ``If-Match: *`` / ``If-None-Match: *``: any current representation.
ETAG_ANY: Final = "*"


class ETag(NamedTuple):
    """An entity tag (RFC 9110 §8.8.3): an opaque value and whether it is weak."""

    value: str
    is_weak: bool = False

    def __str__(self) -> str:
        if self.value == ETAG_ANY:
            return ETAG_ANY
        return f'W/"{self.value}"' if self.is_weak else f'"{self.value}"'

    @classmethod
    def parse(cls, text: str) -> ETag | None:
        """Parse one entity tag such as ``W/"abc"``; ``None`` when malformed."""
        match = _ENTITY_TAG_RE.fullmatch(text.strip(" \t"))
        if match is None:
            return None
        return cls(match.group(2), is_weak=match.group(1) is not None)

    @classmethod
    def from_value(cls, value: str, *, is_weak: bool = False) -> ETag:
        """Build a tag from its opaque value (without quotes).

        Raises:
            ValueError: ``value`` has a character an entity tag cannot hold.
        """
        if value != ETAG_ANY and _VALUE_RE.fullmatch(value) is None:
            raise ValueError(f"invalid entity tag value {value[:40]!r}")
        return cls(value, is_weak)


def parse_etag_list(field: str | None) -> tuple[ETag, ...] | None:
    """Parse ``If-Match``/``If-None-Match`` (RFC 9110 §13.1.1, §13.1.2).

    Returns:
        ``None`` when the field is absent or malformed (a recipient then
        ignores it), ``(ETag("*"),)`` for ``*``, else the listed tags.
    """
    if field is None:
        return None
    tags: list[ETag] = []
    position = 0
    length = len(field)
    while position < length:
        match = _LIST_ITEM_RE.match(field, position)
        if match is None or match.end() == position:
            return None
        weak, value, star = match.groups()
        if star is not None:
            tags.append(ETag(ETAG_ANY))
        else:
            tags.append(ETag(value, is_weak=weak is not None))
        position = match.end()
    return tuple(tags) or None


def etags_match(current: ETag, candidates: tuple[ETag, ...], *, weak: bool) -> bool:
    """Whether ``current`` matches any candidate (or the list is ``*``).

    Args:
        weak: Use the weak comparison (RFC 9110 §8.8.3.2; ``If-None-Match``)
            instead of the strong one (``If-Match``, ``If-Range``).
    """
    for candidate in candidates:
        if candidate.value == ETAG_ANY:
            return True
        if candidate.value != current.value:
            continue
        if weak or not (candidate.is_weak or current.is_weak):
            return True
    return False
