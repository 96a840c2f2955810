"""Reading a whole request body, and forms, within ``client_max_size``."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Final

from multidict import CIMultiDictProxy, MultiDict, MultiDictProxy

from transom.protocol.mediatype import MediaType, MediaTypeError
from transom.protocol.multipart import (
    EndOfBody,
    MultipartError,
    MultipartParser,
    PartData,
    PartEnd,
    PartStart,
)
from transom.protocol.urlencoded import UrlencodedParser
from transom.web._http_exceptions import HTTPRequestEntityTooLarge

if TYPE_CHECKING:
    from transom.web._payload_stream import StreamReader
    from transom.web._request import BaseRequest

__all__ = ["FILE_WRITE_BUFFER_SIZE", "FileField", "FormValue", "read_body", "read_form"]

# File parts are written to disk in a worker thread, this many bytes at a time:
# large enough that the thread hop is rare, small enough to bound memory per upload.
FILE_WRITE_BUFFER_SIZE: Final = 256 * 1024


@dataclass(frozen=True, slots=True)
class FileField:
    """An uploaded file from a ``multipart/form-data`` body.

    Attributes:
        name: The form field name.
        filename: The file name the client gave (untrusted: never use it as a
            path without removing directories).
        file: A temporary file holding the content, positioned at its start;
            it is deleted when closed.
        content_type: The part's media type (``text/plain`` when it had none).
        headers: The part's header fields.
    """

    name: str
    filename: str
    file: IO[bytes]
    content_type: str
    headers: CIMultiDictProxy[str]


FormValue = str | bytes | FileField


async def read_body(payload: StreamReader, declared_length: int | None, max_size: int) -> bytes:
    """Read a whole body, refusing one larger than ``max_size`` (0: no cap).

    Raises:
        HTTPRequestEntityTooLarge: ``declared_length`` or the bytes read exceed
            ``max_size``; raised before buffering past it.
    """
    if max_size and declared_length is not None and declared_length > max_size:
        raise HTTPRequestEntityTooLarge(max_size=max_size, actual_size=declared_length)
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = await payload.readany()
        if not chunk:
            break
        size += len(chunk)
        if max_size and size > max_size:
            raise HTTPRequestEntityTooLarge(max_size=max_size, actual_size=size)
        parts.append(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


async def read_form(request: BaseRequest) -> MultiDictProxy[FormValue]:
    """Parse the request's form body into fields (see ``Request.post``)."""
    content_type = request.content_type
    fields: MultiDict[FormValue] = MultiDict()
    if content_type == "application/x-www-form-urlencoded":
        body = await request.read()
        parser = UrlencodedParser(encoding=request.charset or "utf-8", max_size=len(body) + 1)
        fields.extend(parser.feed(body))
        fields.extend(parser.feed_eof())
    elif content_type == "multipart/form-data":
        await _read_multipart_form(request, fields)
    return MultiDictProxy(fields)


async def _read_multipart_form(request: BaseRequest, fields: MultiDict[FormValue]) -> None:
    max_size = request.client_max_size
    declared = request.content_length
    if max_size and declared is not None and declared > max_size:
        raise HTTPRequestEntityTooLarge(max_size=max_size, actual_size=declared)
    boundary = _boundary(request.headers.get("Content-Type", ""))
    parser = MultipartParser(boundary, max_total_size=max_size or None)
    loop = asyncio.get_running_loop()
    builder = _FieldBuilder(fields, loop)
    payload = request.content
    size = 0
    try:
        # Read to the end even past the closing delimiter (the epilogue is
        # ignored by the parser) so the connection can be reused.
        while True:
            chunk = await payload.readany()
            if not chunk:
                parser.feed_eof()
                break
            size += len(chunk)
            if max_size and size > max_size:
                raise HTTPRequestEntityTooLarge(max_size=max_size, actual_size=size)
            for event in parser.feed(chunk):
                await builder.handle(event)
    except BaseException:
        builder.discard()
        raise


def _boundary(content_type: str) -> str:
    try:
        boundary = MediaType.parse(content_type).boundary
    except MediaTypeError:
        boundary = None
    if not boundary:
        raise MultipartError("multipart/form-data without a boundary parameter")
    return boundary


class _FieldBuilder:
    """Turns multipart events into form fields, spooling files to disk."""

    def __init__(self, fields: MultiDict[FormValue], loop: asyncio.AbstractEventLoop) -> None:
        self._fields = fields
        self._loop = loop
        self._start: PartStart | None = None
        self._chunks: list[bytes] = []
        self._buffered = 0
        self._file: IO[bytes] | None = None
        self._files: list[IO[bytes]] = []

    async def handle(self, event: object) -> None:
        if isinstance(event, PartData):
            self._chunks.append(event.data)
            self._buffered += len(event.data)
            if self._file is not None and self._buffered >= FILE_WRITE_BUFFER_SIZE:
                await self._flush()
        elif isinstance(event, PartStart):
            self._start = event
            if event.filename is not None:
                self._file = await self._loop.run_in_executor(None, tempfile.TemporaryFile)
                self._files.append(self._file)
        elif isinstance(event, PartEnd):
            await self._finish_part()
        elif isinstance(event, EndOfBody):
            self._start = None

    async def _finish_part(self) -> None:
        start = self._start
        assert start is not None
        name = start.name or ""
        if self._file is not None:
            await self._flush()
            file = self._file
            await self._loop.run_in_executor(None, file.seek, 0)
            self._fields.add(
                name,
                FileField(name, start.filename or "", file, start.content_type, start.headers),
            )
            self._file = None
        else:
            value = b"".join(self._chunks)
            if start.content_type.startswith("text/"):
                self._fields.add(name, value.decode(start.charset or "utf-8"))
            else:
                self._fields.add(name, value)
        self._chunks = []
        self._buffered = 0
        self._start = None

    async def _flush(self) -> None:
        file = self._file
        if file is None or not self._chunks:
            return
        data = b"".join(self._chunks)
        self._chunks = []
        self._buffered = 0
        await self._loop.run_in_executor(None, file.write, data)

    def discard(self) -> None:
        """Close (and so delete) every temporary file made so far."""
        for file in self._files:
            file.close()
        self._files.clear()
