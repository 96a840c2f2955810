"""The multipart push parser (RFC 2046 §5.1.1, RFC 7578).

Grammar, with the names the code uses::

    multipart-body := [preamble CRLF] dash-boundary transport-padding CRLF
                      body-part *encapsulation close-delimiter
                      transport-padding [CRLF epilogue]
    encapsulation  := delimiter transport-padding CRLF body-part
    delimiter      := CRLF dash-boundary
    dash-boundary  := "--" boundary
    close-delimiter := delimiter "--"
    body-part      := MIME-part-headers [CRLF *OCTET]

Rules, in the order the parser applies them:

1. The content of a part ends at the first ``CRLF "--" boundary``; that CRLF
   belongs to the delimiter, not to the content.
2. After a delimiter come either ``--`` (the close delimiter: the body is
   complete and whatever follows is epilogue, ignored) or optional spaces
   and tabs then CRLF. Anything else after the boundary is rejected: the
   boundary must not occur in content (RFC 2046 §5.1.1), so such a body is
   malformed, and guessing would let two parsers disagree.
3. Lines end in CRLF only; a bare LF is content, never a line end.
4. The first delimiter may open the body without a CRLF before it.

The parser holds at most one part's header block, or the few bytes at the
end of a chunk that could begin a delimiter; content is emitted as it
arrives.
"""

from __future__ import annotations

import enum

from transom.protocol._errors import LocalProtocolError
from transom.protocol.multipart._boundary import check_boundary
from transom.protocol.multipart._errors import MultipartError
from transom.protocol.multipart._events import (
    EndOfBody,
    MultipartEvent,
    PartData,
    PartEnd,
)
from transom.protocol.multipart._limits import (
    DEFAULT_MAX_PART_HEADER_SIZE,
    DEFAULT_MAX_PARTS,
    DEFAULT_MAX_TOTAL_SIZE,
)
from transom.protocol.multipart._part_headers import parse_part_headers

__all__ = ["MultipartParser"]


class _State(enum.Enum):
    PREAMBLE = enum.auto()  # before the first delimiter
    DELIMITER_LINE = enum.auto()  # after a boundary: "--", or padding and CRLF
    HEADERS = enum.auto()  # inside a part's header block
    CONTENT = enum.auto()  # inside a part's content
    EPILOGUE = enum.auto()  # after the close delimiter


_PREAMBLE = _State.PREAMBLE
_DELIMITER_LINE = _State.DELIMITER_LINE
_HEADERS = _State.HEADERS
_CONTENT = _State.CONTENT
_EPILOGUE = _State.EPILOGUE

_EOF_REASONS = {
    _PREAMBLE: "multipart body has no boundary",
    _DELIMITER_LINE: "multipart body ended after a boundary",
    _HEADERS: "multipart body ended inside part headers",
    _CONTENT: "multipart body ended inside a part",
}


class MultipartParser:
    """Parse a multipart body fed in chunks of any size into events.

    Call :meth:`feed` with each chunk of the body as it arrives and handle
    the events it returns; call :meth:`feed_eof` when the body ends. A part's
    content comes out as :class:`PartData` events as soon as it is fed, so a
    file part of any size streams through without being held.

    After a :class:`MultipartError` the parser is failed: every later call
    raises the same error.

    Args:
        boundary: The ``boundary`` parameter of the body's Content-Type.
        max_parts: Most parts accepted; more raise :class:`MultipartError`
            with status 413.
        max_part_header_size: Most bytes in one part's header block; a
            larger block raises :class:`MultipartError` with status 413.
        max_total_size: Most bytes in the whole body, or None for no cap; a
            larger body raises :class:`MultipartError` with status 413.

    Raises:
        MultipartError: *boundary* is not a valid RFC 2046 boundary.
    """

    __slots__ = (
        "_delimiter",
        "_eof",
        "_error",
        "_max_part_header_size",
        "_max_parts",
        "_max_total_size",
        "_parts",
        "_pending",
        "_received",
        "_scan",
        "_state",
    )

    def __init__(
        self,
        boundary: str | bytes,
        *,
        max_parts: int = DEFAULT_MAX_PARTS,
        max_part_header_size: int = DEFAULT_MAX_PART_HEADER_SIZE,
        max_total_size: int | None = DEFAULT_MAX_TOTAL_SIZE,
    ) -> None:
        problem = check_boundary(boundary)
        if problem is not None:
            raise MultipartError(problem)
        if isinstance(boundary, str):
            boundary = boundary.encode("ascii")
        self._delimiter = b"\r\n--" + bytes(boundary)
        self._max_parts = max_parts
        self._max_part_header_size = max_part_header_size
        self._max_total_size = max_total_size
        # Rule 4: a virtual CRLF before the body lets one search find the first
        # delimiter whether or not a preamble precedes it.
        self._pending = bytearray(b"\r\n")
        self._state = _PREAMBLE
        self._parts = 0
        self._received = 0
        # How far into the pending line or header block the search for its
        # end has already looked, so that data fed a byte at a time is not
        # rescanned from the start each time.
        self._scan = 0
        self._eof = False
        self._error: MultipartError | None = None

    @property
    def complete(self) -> bool:
        """Whether the close delimiter has been parsed."""
        return self._state is _EPILOGUE

    def feed(self, data: bytes | bytearray | memoryview) -> list[MultipartEvent]:
        """Parse the next chunk of the body.

        Args:
            data: The next bytes of the body, any length (empty is fine);
                pass ``bytes`` to let content through without a copy.

        Returns:
            The events the chunk completes, in order; often one
            :class:`PartData` holding the chunk itself (no copy is made when
            the chunk holds only content).

        Raises:
            MultipartError: The body is malformed or exceeds a limit; every
                later call raises the same error.
            LocalProtocolError: :meth:`feed_eof` was already called.
        """
        if self._error is not None:
            raise self._error
        if self._eof:
            raise LocalProtocolError("multipart parser fed after feed_eof()")
        try:
            return self._feed(data if type(data) is bytes else bytes(data))
        except MultipartError as error:
            self._error = error
            raise

    def _feed(self, data: bytes) -> list[MultipartEvent]:
        self._received += len(data)
        if self._max_total_size is not None and self._received > self._max_total_size:
            raise MultipartError(
                f"multipart body is larger than {self._max_total_size} bytes", status_code=413
            )
        if self._state is _EPILOGUE:
            return []
        # Parse the chunk in place when nothing is pending, which is the
        # common case inside a part: its content then goes out uncopied.
        pending = self._pending
        view: bytes | bytearray
        if pending:
            pending += data
            view = pending
        else:
            view = data
        events: list[MultipartEvent] = []
        pos = self._parse(view, events)
        if view is pending:
            del pending[:pos]
        elif pos < len(data):
            pending += memoryview(data)[pos:]
        return events

    def feed_eof(self) -> None:
        """Signal the end of the body.

        Raises:
            MultipartError: The body ended before its close delimiter, or an
                earlier call failed (the same error again).
        """
        self._eof = True
        if self._error is not None:
            raise self._error
        if self._state is not _EPILOGUE:
            self._error = MultipartError(_EOF_REASONS[self._state])
            raise self._error

    def _parse(self, view: bytes | bytearray, events: list[MultipartEvent]) -> int:
        # Returns how much of *view* is consumed; the rest waits for more data.
        delimiter = self._delimiter
        end = len(view)
        pos = 0
        state = self._state
        while True:
            if state is _CONTENT:
                index = view.find(delimiter, pos)
                if index < 0:
                    safe = self._safe_end(view, pos)
                    if safe > pos:
                        # bytes() of a bytes slice is that slice, not a copy.
                        events.append(PartData(bytes(view[pos:safe])))
                    pos = safe
                    break
                if index > pos:
                    events.append(PartData(bytes(view[pos:index])))
                events.append(PartEnd())
                pos = index + len(delimiter)
                self._scan = 0
                state = _DELIMITER_LINE
            elif state is _DELIMITER_LINE:
                # Rule 2.
                if end - pos < 2:
                    break
                if view.startswith(b"--", pos):
                    events.append(EndOfBody())
                    pos = end
                    state = _EPILOGUE
                    break
                scan = pos + self._scan
                line_end = view.find(b"\r\n", scan)
                if line_end < 0:
                    padding = view[scan:end]
                    if padding.endswith(b"\r"):
                        padding = padding[:-1]  # may be the start of the CRLF
                    if padding.translate(None, b" \t"):
                        raise MultipartError("unexpected bytes after a multipart boundary")
                    if end - pos > self._max_part_header_size:
                        raise MultipartError("multipart boundary line too long", status_code=413)
                    self._scan = max(0, end - pos - 1)
                    break
                if view[scan:line_end].translate(None, b" \t"):
                    raise MultipartError("unexpected bytes after a multipart boundary")
                self._parts += 1
                if self._parts > self._max_parts:
                    raise MultipartError(
                        f"multipart body has more than {self._max_parts} parts", status_code=413
                    )
                pos = line_end + 2
                self._scan = 0
                state = _HEADERS
            elif state is _HEADERS:
                if view.startswith(b"\r\n", pos):
                    block_end = pos  # no header fields at all
                    next_pos = pos + 2
                else:
                    block_end = view.find(b"\r\n\r\n", pos + self._scan)
                    if block_end < 0:
                        if end - pos > self._max_part_header_size:
                            raise self._headers_too_large()
                        # Resume the search where a terminator could still start.
                        self._scan = max(0, end - pos - 3)
                        break
                    if block_end - pos > self._max_part_header_size:
                        raise self._headers_too_large()
                    next_pos = block_end + 4
                events.append(parse_part_headers(bytes(view[pos:block_end]), self._parts))
                pos = next_pos
                state = _CONTENT
            elif state is _PREAMBLE:
                index = view.find(delimiter, pos)
                if index < 0:
                    # The preamble is ignored (RFC 2046 §5.1.1); keep only what
                    # could begin the first delimiter.
                    pos = self._safe_end(view, pos)
                    break
                pos = index + len(delimiter)
                self._scan = 0
                state = _DELIMITER_LINE
            else:  # _EPILOGUE: ignored (RFC 2046 §5.1.1)
                pos = end
                break
        self._state = state
        return pos

    def _safe_end(self, view: bytes | bytearray, pos: int) -> int:
        # Where the bytes that could still begin a delimiter start. The
        # delimiter holds CR only at its start (boundaries cannot contain CR),
        # so only the last CR in the final len(delimiter) - 1 bytes can open
        # a partial delimiter.
        end = len(view)
        cr = view.rfind(b"\r", max(pos, end - len(self._delimiter) + 1))
        if cr >= 0 and self._delimiter.startswith(view[cr:]):
            return cr
        return end

    def _headers_too_large(self) -> MultipartError:
        return MultipartError(
            f"part {self._parts} headers are larger than {self._max_part_header_size} bytes",
            status_code=413,
        )
