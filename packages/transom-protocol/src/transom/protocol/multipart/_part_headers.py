"""A part's header block: bytes to a :class:`PartStart` event."""

from __future__ import annotations

import re

from multidict import CIMultiDict, CIMultiDictProxy

from transom.protocol.mediatype import MediaType, MediaTypeError
from transom.protocol.multipart._content_disposition import ContentDisposition
from transom.protocol.multipart._errors import MultipartError
from transom.protocol.multipart._events import PartStart

__all__ = ["parse_part_headers"]

# field-name = token; field-value must not hold CTLs other than HTAB
# (RFC 9110 §5.1, §5.5). Part headers follow the same rules (RFC 7578 §4.8
# refers to RFC 2046, whose headers are RFC 5322 fields).
_NAME_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

_DEFAULT_CONTENT_TYPE = "text/plain"

_EMPTY_HEADERS: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict())


def parse_part_headers(block: bytes, part_number: int) -> PartStart:
    """Parse one part's header block and describe the part.

    Args:
        block: The header lines without the blank line that ends them, each
            line ending in CRLF except the last.
        part_number: The part's 1-based position, for error messages.

    Returns:
        The :class:`PartStart` for the part.

    Raises:
        MultipartError: A line is not ``name: value``, is folded, holds a
            control character, or Content-Disposition or Content-Type is
            repeated or malformed.
    """
    if not block:
        return PartStart(_EMPTY_HEADERS, None, None, _DEFAULT_CONTENT_TYPE, None)
    try:
        # RFC 7578 §5.1.3: field names and filenames may be sent as raw UTF-8.
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        # Older senders use ISO-8859-1; every byte string decodes as it.
        text = block.decode("latin-1")
    headers: CIMultiDict[str] = CIMultiDict()
    for line in text.split("\r\n"):
        if line[:1] in (" ", "\t"):
            # Folding is obsolete (RFC 9112 §5.2) and nobody sends it in forms;
            # unfolding it would let two parsers read different values.
            raise MultipartError(f"part {part_number}: folded header line")
        name, colon, value = line.partition(":")
        if not colon or _NAME_RE.fullmatch(name) is None:
            raise MultipartError(f"part {part_number}: malformed header line")
        value = value.strip(" \t")
        if _CONTROL_RE.search(value):
            raise MultipartError(f"part {part_number}: control character in header {name!r}")
        headers.add(name, value)
    return _describe(CIMultiDictProxy(headers), part_number)


def _describe(headers: CIMultiDictProxy[str], part_number: int) -> PartStart:
    name = filename = None
    dispositions = headers.getall("Content-Disposition", ())
    if len(dispositions) > 1:
        raise MultipartError(f"part {part_number}: repeated Content-Disposition")
    if dispositions:
        try:
            disposition = ContentDisposition.parse(dispositions[0])
        except MultipartError as error:
            raise MultipartError(f"part {part_number}: {error.reason}") from None
        name = disposition.name
        filename = disposition.filename

    content_type = _DEFAULT_CONTENT_TYPE
    charset = None
    content_types = headers.getall("Content-Type", ())
    if len(content_types) > 1:
        raise MultipartError(f"part {part_number}: repeated Content-Type")
    if content_types:
        try:
            media_type = MediaType.parse(content_types[0])
        except MediaTypeError as error:
            raise MultipartError(f"part {part_number}: {error.reason}") from None
        content_type = media_type.essence
        charset = media_type.charset
    return PartStart(headers, name, filename, content_type, charset)
