"""Multipart bodies: a push parser, an encoder and Content-Disposition.

Parsing (RFC 2046 §5.1, RFC 7578) is sans-I/O: feed the body in chunks to
:class:`MultipartParser` and handle :class:`PartStart`, :class:`PartData`,
:class:`PartEnd` and :class:`EndOfBody` events. Content streams out as it is
fed; nothing holds a whole part.

Encoding goes through :class:`MultipartEncoder`, either all at once for
in-memory :class:`Part` values or part by part with the caller streaming
each part's content.
"""

from transom.protocol.multipart._boundary import MAX_BOUNDARY_LENGTH
from transom.protocol.multipart._content_disposition import ContentDisposition
from transom.protocol.multipart._encoder import MultipartEncoder, Part
from transom.protocol.multipart._errors import MultipartEncodeError, MultipartError
from transom.protocol.multipart._events import (
    EndOfBody,
    MultipartEvent,
    PartData,
    PartEnd,
    PartStart,
)
from transom.protocol.multipart._limits import (
    DEFAULT_MAX_PART_HEADER_SIZE,
    DEFAULT_MAX_PARTS,
    DEFAULT_MAX_TOTAL_SIZE,
)
from transom.protocol.multipart._parser import MultipartParser

__all__ = [
    "DEFAULT_MAX_PARTS",
    "DEFAULT_MAX_PART_HEADER_SIZE",
    "DEFAULT_MAX_TOTAL_SIZE",
    "MAX_BOUNDARY_LENGTH",
    "ContentDisposition",
    "EndOfBody",
    "MultipartEncodeError",
    "MultipartEncoder",
    "MultipartError",
    "MultipartEvent",
    "MultipartParser",
    "Part",
    "PartData",
    "PartEnd",
    "PartStart",
]
