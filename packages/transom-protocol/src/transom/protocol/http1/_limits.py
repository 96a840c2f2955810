"""Size limits on what a peer may make a connection buffer.

These are security limits: each bounds the memory one connection can be made to
hold before it refuses the message, and each maps to the status a server answers
with. Every one can be changed per connection through the constructor of
:class:`~transom.protocol.http1.Connection`.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_CHUNK_LINE_SIZE",
    "DEFAULT_MAX_HEADER_BLOCK_SIZE",
    "DEFAULT_MAX_HEADER_COUNT",
    "DEFAULT_MAX_REQUEST_LINE_SIZE",
    "LARGEST_LENGTH",
]

#: Longest request line (or status line), CRLF included; past it a server answers
#: 414. RFC 9112 §3 recommends accepting at least 8000 octets; 8 KiB matches what
#: common servers and proxies accept, so a longer line would not get through them
#: anyway.
DEFAULT_MAX_REQUEST_LINE_SIZE: Final = 8 * 1024

#: Most field lines in one header or trailer section; past it, 431 (RFC 6585 §5).
#: Browsers send 10 to 20; 100 is the long-standing default of Apache httpd.
DEFAULT_MAX_HEADER_COUNT: Final = 100

#: Most bytes in one header or trailer section after the start line, CRLFs
#: included; past it, 431. Twice the 16 KiB most servers allow, which leaves
#: room for large cookies and tokens.
DEFAULT_MAX_HEADER_BLOCK_SIZE: Final = 32 * 1024

#: Longest chunk-size line, extensions and CRLF included; past it, 400. A chunk
#: size needs a handful of bytes and chunk extensions are almost never used, so
#: a long line is an attempt to make the server buffer bytes that no body limit
#: counts.
DEFAULT_MAX_CHUNK_LINE_SIZE: Final = 4 * 1024

#: Largest message body; past it, 413, refused before the body is buffered.
#: ``None`` leaves the body unbounded here: bodies stream out as :class:`Data`
#: events, so the application, which knows what it accepts, sets the limit.
DEFAULT_MAX_BODY_SIZE: Final[int | None] = None

#: Largest Content-Length or chunk size accepted at all: a length past a signed
#: 64-bit integer cannot describe a real body and only serves to overflow
#: another parser further along the chain (answered with 400).
LARGEST_LENGTH: Final = 2**63 - 1
