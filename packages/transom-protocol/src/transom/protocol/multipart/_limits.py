"""Default limits of the multipart parser.

Each is a security limit: it bounds what a peer can make the parser count or
buffer. The parser never holds a part's content, so none of them is about
the size of a file; they bound work and the few buffers that do exist.
"""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_PARTS", "DEFAULT_MAX_PART_HEADER_SIZE", "DEFAULT_MAX_TOTAL_SIZE"]

#: Parts per body. Each part costs a header dict and, in a form, usually a
#: field object; real forms have tens of fields, so 1000 leaves ample room
#: while stopping a body of millions of empty parts.
DEFAULT_MAX_PARTS = 1000

#: Bytes in one part's header block (including the line after the boundary).
#: The block is buffered whole before it is parsed. A Content-Disposition
#: with a 255-byte filename and a Content-Type fit in well under 1 KiB; 8 KiB
#: matches the usual limit for one HTTP header line.
DEFAULT_MAX_PART_HEADER_SIZE = 8 * 1024

#: Bytes in the whole body, preamble and epilogue included. Memory does not
#: grow with it (content is streamed), but a handler may write parts to
#: disk; 1 GiB stops an unbounded upload by default. Pass ``None`` to rely on
#: the caller's own request-body limit.
DEFAULT_MAX_TOTAL_SIZE = 1024 * 1024 * 1024
