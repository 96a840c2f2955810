"""Streaming a ``multipart/*`` request body part by part (``request.multipart()``).

Only the bytes of the part being read are held: a large file part is read with
:meth:`BodyPartReader.read_chunk` as it arrives, without buffering the body.
"""

from __future__ import annotations

import json
from collections import deque
from typing import TYPE_CHECKING, Any, Final

from multidict import CIMultiDictProxy

from transom.protocol.mediatype import MediaType, MediaTypeError
from transom.protocol.multipart import (
    EndOfBody,
    MultipartError,
    MultipartParser,
    PartData,
    PartEnd,
    PartStart,
)
from transom.protocol.urlencoded import parse_urlencoded

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from transom.protocol.multipart import MultipartEvent
    from transom.web._payload_stream import StreamReader

__all__ = ["DEFAULT_PART_CHUNK_SIZE", "BodyPartReader", "MultipartReader"]

# Default most bytes one read_chunk() returns.
DEFAULT_PART_CHUNK_SIZE: Final = 64 * 1024


class MultipartReader:
    """Reads the parts of a multipart body in order.

    Args:
        headers: The request's header fields (its ``Content-Type`` carries the
            boundary).
        content: The body stream.

    Raises:
        MultipartError: ``Content-Type`` is not multipart or has no valid
            boundary (answered with 400).
    """

    def __init__(self, headers: CIMultiDictProxy[str], content: StreamReader) -> None:
        try:
            media_type = MediaType.parse(headers.get("Content-Type", ""))
        except MediaTypeError:
            raise MultipartError("the body is not multipart") from None
        if media_type.type != "multipart" or not media_type.boundary:
            raise MultipartError("multipart body without a boundary parameter")
        self.headers = headers
        self._content = content
        self._parser = MultipartParser(media_type.boundary)
        self._events: deque[MultipartEvent] = deque()
        self._part: BodyPartReader | None = None
        self._done = False

    def __aiter__(self) -> AsyncIterator[BodyPartReader]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[BodyPartReader]:
        while (part := await self.next()) is not None:
            yield part

    def at_eof(self) -> bool:
        """Whether the closing boundary has been read."""
        return self._done

    async def next(self) -> BodyPartReader | None:
        """The next part (after skipping the rest of the current one), or ``None`` at the end.

        Raises:
            MultipartError: The body is malformed or ends early.
        """
        if self._part is not None:
            await self._part.release()
            self._part = None
        while not self._done:
            event = await self._next_event()
            if isinstance(event, PartStart):
                self._part = BodyPartReader(self, event)
                return self._part
            if isinstance(event, EndOfBody):
                self._done = True
        return None

    async def release(self) -> None:
        """Skip every remaining part."""
        while await self.next() is not None:
            pass

    async def _next_event(self) -> MultipartEvent:
        events = self._events
        while not events:
            chunk = await self._content.readany()
            if not chunk:
                self._parser.feed_eof()
                # A complete body ended with EndOfBody already; feed_eof raised otherwise.
                events.append(EndOfBody())
                break
            events.extend(self._parser.feed(chunk))
        return events.popleft()

    def _push_back(self, event: MultipartEvent) -> None:
        self._events.appendleft(event)


class BodyPartReader:
    """One part of a multipart body: its headers, then its content as a stream."""

    def __init__(self, reader: MultipartReader, start: PartStart) -> None:
        self._reader = reader
        self.headers: CIMultiDictProxy[str] = start.headers
        self.name = start.name
        self.filename = start.filename
        self.content_type = start.content_type
        self._charset = start.charset
        self._at_eof = False

    def __repr__(self) -> str:
        return f"<BodyPartReader name={self.name!r} filename={self.filename!r}>"

    def at_eof(self) -> bool:
        """Whether the part's content has been read to its end."""
        return self._at_eof

    def get_charset(self, default: str = "utf-8") -> str:
        """The ``charset`` of the part's ``Content-Type``, else ``default``."""
        return self._charset or default

    async def read_chunk(self, size: int = DEFAULT_PART_CHUNK_SIZE) -> bytes:
        """Read up to ``size`` bytes of content; ``b""`` at the end of the part."""
        if self._at_eof:
            return b""
        event = await self._reader._next_event()
        if isinstance(event, PartData):
            data = event.data
            if len(data) > size:
                self._reader._push_back(PartData(data[size:]))
                data = data[:size]
            return data
        if isinstance(event, PartEnd):
            self._at_eof = True
            return b""
        raise MultipartError("multipart part ended without its delimiter")

    async def read(self) -> bytes:
        """Read the rest of the content."""
        chunks = []
        while chunk := await self.read_chunk():
            chunks.append(chunk)
        return b"".join(chunks)

    async def text(self, *, encoding: str | None = None) -> str:
        """Read the content as text (its charset, else UTF-8)."""
        return (await self.read()).decode(encoding or self.get_charset())

    async def json(self, *, loads: Callable[[str], Any] = json.loads) -> Any:
        """Read the content as JSON; ``None`` when empty."""
        text = await self.text()
        return loads(text) if text else None

    async def form(self, *, encoding: str | None = None) -> list[tuple[str, str]]:
        """Read the content as ``application/x-www-form-urlencoded`` fields."""
        return parse_urlencoded(await self.read(), encoding=encoding or self.get_charset())

    async def release(self) -> None:
        """Skip the rest of the content."""
        while await self.read_chunk():
            pass

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        while chunk := await self.read_chunk():
            yield chunk
