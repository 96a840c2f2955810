"""The multipart encoder: parts in, byte chunks out (RFC 2046 §5.1.1, RFC 7578).

The encoder is stateless and writes each part as::

    "--" boundary CRLF  header-fields  CRLF  content  CRLF

and ends the body with ``"--" boundary "--" CRLF``. The CRLF after the
content is the one RFC 2046 counts as part of the next delimiter, so the
content reaches the parser unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from transom.protocol.mediatype import MediaType, MediaTypeError
from transom.protocol.mediatype._parameters import is_token, short_repr
from transom.protocol.multipart._boundary import check_boundary, generate_boundary
from transom.protocol.multipart._content_disposition import ContentDisposition
from transom.protocol.multipart._errors import MultipartEncodeError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["MultipartEncoder", "Part"]

# RFC 7578 §4.4: file content of unknown type is labelled application/octet-stream.
_FILE_CONTENT_TYPE = "application/octet-stream"

_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_OWS = " \t"


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a multipart body.

    Attributes:
        name: The form field name (``Content-Disposition: form-data;
            name=...``). Required in ``multipart/form-data`` (RFC 7578 §4.2);
            None in other subtypes to send no form-data disposition.
        value: The content, for :meth:`MultipartEncoder.encode`; ``str`` is
            sent as UTF-8. None for a part whose content the caller streams
            between :meth:`MultipartEncoder.part_header` and
            :meth:`MultipartEncoder.part_end`.
        filename: The ``filename`` parameter, or None.
        content_type: The part's Content-Type. None sends none (the
            recipient assumes ``text/plain``), except that a part with a
            filename defaults to ``application/octet-stream`` (RFC 7578 §4.4).
        headers: More header fields, as a mapping or ``(name, value)`` pairs.
    """

    name: str | None
    value: bytes | str | None = None
    filename: str | None = None
    content_type: str | None = None
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = ()


class MultipartEncoder:
    """Write multipart bodies with one boundary.

    For parts held in memory, iterate :meth:`encode`. To stream a large
    part (a file, an async source), write :meth:`part_header`, then the
    content in chunks, then :meth:`part_end`, for each part, and finally
    :meth:`close`. The caller must keep that order; the encoder does not
    track it.

    Args:
        boundary: The boundary to use, or None for a fresh random one (128
            bits from :mod:`secrets`, hex digits only).
        subtype: The multipart subtype: ``"form-data"`` (RFC 7578) or another
            RFC 2046 subtype such as ``"mixed"``.

    Raises:
        MultipartEncodeError: *boundary* is not a valid RFC 2046 boundary or
            *subtype* is not a token.
    """

    __slots__ = ("_close", "_dash_boundary", "boundary", "content_type", "subtype")

    boundary: str
    subtype: str
    #: The Content-Type value to send with the body, boundary included.
    content_type: str

    def __init__(self, boundary: str | None = None, *, subtype: str = "form-data") -> None:
        if boundary is None:
            boundary = generate_boundary()
        else:
            problem = check_boundary(boundary)
            if problem is not None:
                raise MultipartEncodeError(problem)
        if not is_token(subtype):
            raise MultipartEncodeError(f"multipart subtype {short_repr(subtype)} is not a token")
        self.boundary = boundary
        self.subtype = subtype.lower()
        self.content_type = str(MediaType("multipart", self.subtype, {"boundary": boundary}))
        self._dash_boundary = b"--" + boundary.encode("ascii")
        self._close = self._dash_boundary + b"--\r\n"

    def part_header(self, part: Part) -> bytes:
        """Return the delimiter and header block that open *part*.

        The content (``part.value`` is ignored here) follows, then
        :meth:`part_end`.

        Raises:
            MultipartEncodeError: The part cannot be written: no name in
                form-data, a name or filename with control characters, an
                invalid Content-Type, a malformed or conflicting header.
        """
        lines = [self._dash_boundary]
        extra = list(part.headers.items() if isinstance(part.headers, Mapping) else part.headers)
        extra_names = {name.lower() for name, _ in extra}
        if part.name is None and self.subtype == "form-data":
            raise MultipartEncodeError("a multipart/form-data part needs a name (RFC 7578 §4.2)")
        if part.name is not None or part.filename is not None:
            if "content-disposition" in extra_names:
                raise MultipartEncodeError("Content-Disposition given twice")
            lines.append(b"Content-Disposition: " + _disposition(part).encode("utf-8"))
        content_type = part.content_type
        if content_type is None and part.filename is not None:
            content_type = _FILE_CONTENT_TYPE
        if content_type is not None:
            if "content-type" in extra_names:
                raise MultipartEncodeError("Content-Type given twice")
            try:
                MediaType.parse(content_type)
            except MediaTypeError as error:
                raise MultipartEncodeError(f"part Content-Type: {error.reason}") from None
            if not content_type.isascii():
                raise MultipartEncodeError("part Content-Type must be ASCII")
            lines.append(b"Content-Type: " + content_type.encode("ascii"))
        for name, value in extra:
            if not is_token(name):
                raise MultipartEncodeError(f"part header name {short_repr(name)} is not a token")
            if _CONTROL_RE.search(value):
                raise MultipartEncodeError(f"control character in part header {name!r}")
            lines.append(name.encode("ascii") + b": " + value.strip(_OWS).encode("utf-8"))
        lines.append(b"")
        lines.append(b"")
        return b"\r\n".join(lines)

    def part_end(self) -> bytes:
        """Return the bytes that end a part's content."""
        return b"\r\n"

    def close(self) -> bytes:
        """Return the close delimiter that ends the body."""
        return self._close

    def encode(self, parts: Iterable[Part]) -> Iterator[bytes]:
        """Yield the whole body for *parts*, whose values are all in memory.

        Raises:
            MultipartEncodeError: A part has no value, cannot be written (see
                :meth:`part_header`), or its value contains the delimiter.
        """
        delimiter = b"\r\n" + self._dash_boundary
        for part in parts:
            if part.value is None:
                raise MultipartEncodeError(
                    f"part {part.name!r} has no value; stream it with part_header()"
                )
            value = part.value.encode("utf-8") if isinstance(part.value, str) else part.value
            if delimiter in value or value.startswith(delimiter[2:]):
                # RFC 2046 §5.1.1: the boundary must not occur in any part.
                raise MultipartEncodeError(f"part {part.name!r} contains the boundary")
            yield self.part_header(part)
            yield value
            yield b"\r\n"
        yield self._close


def _disposition(part: Part) -> str:
    params: dict[str, str] = {}
    if part.name is not None:
        params["name"] = part.name
    if part.filename is not None:
        params["filename"] = part.filename
    disposition_type = "form-data" if part.name is not None else "attachment"
    return ContentDisposition(disposition_type, params).format()
