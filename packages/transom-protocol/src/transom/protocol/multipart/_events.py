"""Events the multipart parser emits, in body order.

A body gives ``PartStart``, zero or more ``PartData``, ``PartEnd`` for each
part, then one ``EndOfBody`` when the close delimiter arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy

__all__ = ["EndOfBody", "MultipartEvent", "PartData", "PartEnd", "PartStart"]


@dataclass(frozen=True, slots=True, eq=True)
class PartStart:
    """A part's header block has been read; its content follows.

    Attributes:
        headers: The part's header fields, read-only, case-insensitive.
        name: The ``name`` parameter of Content-Disposition (the form field
            name, RFC 7578 §4.2), or None.
        filename: The ``filename`` (or RFC 8187 ``filename*``) parameter, or
            None. Untrusted: strip directories before using it as a path.
        content_type: The essence of the part's Content-Type, lowercased;
            ``"text/plain"`` when the part has none (RFC 7578 §4.4,
            RFC 2046 §5.1).
        charset: The part's Content-Type ``charset`` parameter, lowercased,
            or None.
    """

    headers: CIMultiDictProxy[str]
    name: str | None
    filename: str | None
    content_type: str
    charset: str | None


@dataclass(frozen=True, slots=True, eq=True)
class PartData:
    """A piece of the current part's content, in order.

    The parser emits content as soon as it is sure no delimiter starts in
    it, so a part arrives in as many pieces as it was fed in (never empty).
    """

    data: bytes


@dataclass(frozen=True, slots=True, eq=True)
class PartEnd:
    """The current part's content is complete."""


@dataclass(frozen=True, slots=True, eq=True)
class EndOfBody:
    """The close delimiter arrived; anything after it is epilogue and ignored."""


MultipartEvent = PartStart | PartData | PartEnd | EndOfBody
