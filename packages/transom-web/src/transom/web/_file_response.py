"""``FileResponse``: a file from disk, with validators, conditional requests and ranges.

Everything that touches the file system (stat, open, read) runs in a worker
thread, so a slow disk never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import stat
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final, NamedTuple

from transom.protocol.compression import negotiate_encoding
from transom.protocol.dates import format_http_date, parse_http_date
from transom.web._byte_range import parse_byte_range, resolve_byte_range
from transom.web._etag import ETag, etags_match, parse_etag_list
from transom.web._response import StreamResponse

if TYPE_CHECKING:
    from collections.abc import Mapping

    from transom.web._request import BaseRequest

__all__ = ["DEFAULT_CHUNK_SIZE", "FileResponse"]

# Bytes read from the file per write: large enough to amortise the thread hop
# and the write call, small enough that a slow client holds little memory.
DEFAULT_CHUNK_SIZE: Final = 256 * 1024

# Pre-compressed siblings served in place of the file when the client accepts
# the coding, best first: ``app.js.br``, then ``app.js.gz``.
_SIBLINGS: Final = (("br", ".br"), ("gzip", ".gz"))
# Types for files that are themselves compressed archives (``mimetypes`` reports
# these as an encoding of another type, which would mislabel a download).
_ARCHIVE_TYPES: Final = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "br": "application/x-brotli",
    "compress": "application/x-compress",
}


class _Selected(NamedTuple):
    """The file chosen to answer one request, opened."""

    file: IO[bytes] | None
    size: int
    mtime: float
    etag: ETag | None
    coding: str | None
    varies: bool
    missing_status: int


class FileResponse(StreamResponse):
    """Send a file, answering conditional and range requests as RFC 9110 asks.

    Sets ``Content-Type`` (guessed from the file name), ``Last-Modified``,
    ``ETag`` and ``Accept-Ranges``; answers 304 to ``If-None-Match`` /
    ``If-Modified-Since`` that match, 412 to ``If-Match`` /
    ``If-Unmodified-Since`` that fail, 206 to a satisfiable single ``Range``
    (honouring ``If-Range``) and 416 to an unsatisfiable one. When the client
    accepts ``br`` or ``gzip`` and ``<path>.br`` or ``<path>.gz`` exists, that
    file is sent instead with ``Content-Encoding``. A missing file is a 404,
    an unreadable one a 403.

    Args:
        path: The file to send.
        chunk_size: Bytes read and written at a time.
        status: The status when the whole file is sent.
        reason: The reason phrase.
        headers: Extra header fields.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        status: int = 200,
        reason: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status=status, reason=reason, headers=headers)
        self._path = Path(path)
        self._chunk_size = chunk_size

    async def prepare(self, request: BaseRequest) -> None:
        """Choose and open the file, evaluate the request's conditions, send the head and body."""
        if self._request is not None:
            # Already bound: let the base class accept or refuse the reuse.
            await super().prepare(request)
            return
        loop = asyncio.get_running_loop()
        accept_encoding = request.headers.get("Accept-Encoding")
        selected = await loop.run_in_executor(None, _select, self._path, accept_encoding)
        file = selected.file
        try:
            offset, count = self._plan(request, selected)
            await super().prepare(request)
            writer = self._writer
            assert writer is not None
            if file is not None and count and not self._must_be_empty:
                await writer.sendfile(file, offset, count, self._chunk_size)
        finally:
            if file is not None:
                await loop.run_in_executor(None, file.close)

    async def _start_compression(self, request: BaseRequest) -> None:
        # The file goes out as it is on disk (ranges count its bytes); serve
        # pre-compressed siblings for compression instead.
        return

    def _plan(self, request: BaseRequest, selected: _Selected) -> tuple[int, int]:
        """Set status and fields for ``request``; return the byte span to send."""
        headers = self._headers
        if selected.file is None:
            self.set_status(selected.missing_status)
            self.content_length = 0
            return 0, 0
        if selected.varies:
            headers.setdefault("Vary", "Accept-Encoding")
        if "Content-Type" not in headers:
            headers["Content-Type"] = _guess_type(self._path)
        if selected.coding is not None:
            headers["Content-Encoding"] = selected.coding
        etag = selected.etag
        assert etag is not None
        headers["ETag"] = str(etag)
        headers["Last-Modified"] = format_http_date(selected.mtime)
        headers["Accept-Ranges"] = "bytes"
        size = selected.size
        status = _evaluate_preconditions(request, etag, int(selected.mtime))
        if status is not None:
            self.set_status(status)
            if status == 304:
                return 0, 0
            self.content_length = 0
            return 0, 0
        span = self._range(request, etag, int(selected.mtime), size)
        if span is None:
            self.set_status(416)
            headers["Content-Range"] = f"bytes */{size}"
            self.content_length = 0
            return 0, 0
        offset, count = span
        if count != size:
            self.set_status(206)
            headers["Content-Range"] = f"bytes {offset}-{offset + count - 1}/{size}"
        self.content_length = count
        return offset, count

    def _range(
        self, request: BaseRequest, etag: ETag, mtime: int, size: int
    ) -> tuple[int, int] | None:
        """The span to send: all of it, a requested range, or ``None`` for 416."""
        whole = (0, size)
        if request.method != "GET" or self._status != 200:
            return whole
        try:
            requested = parse_byte_range(request.headers.get("Range"))
        except ValueError:
            return None
        if requested is None or not _if_range_holds(request, etag, mtime):
            return whole
        return resolve_byte_range(requested, size)


def _select(path: Path, accept_encoding: str | None) -> _Selected:
    """Pick the file or a pre-compressed sibling, open it and stat it (in a thread)."""
    siblings = [
        (coding, path.with_name(path.name + suffix))
        for coding, suffix in _SIBLINGS
        if os.path.isfile(path.with_name(path.name + suffix))
    ]
    chosen = None
    if siblings and accept_encoding is not None:
        chosen = negotiate_encoding(accept_encoding, [coding for coding, _ in siblings])
    candidates: list[tuple[str | None, Path]] = [
        (coding, sibling) for coding, sibling in siblings if coding == chosen
    ]
    candidates.append((None, path))
    for coding, candidate in candidates:
        try:
            file = open(candidate, "rb")  # noqa: SIM115 - closed by the caller
        except FileNotFoundError:
            continue
        except (PermissionError, IsADirectoryError) as exc:
            status = 404 if isinstance(exc, IsADirectoryError) else 403
            return _Selected(None, 0, 0.0, None, None, False, status)
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            file.close()
            return _Selected(None, 0, 0.0, None, None, False, 404)
        etag = ETag(f"{info.st_mtime_ns:x}-{info.st_size:x}")
        return _Selected(file, info.st_size, info.st_mtime, etag, coding, bool(siblings), 0)
    return _Selected(None, 0, 0.0, None, None, False, 404)


def _guess_type(path: Path) -> str:
    content_type, encoding = mimetypes.guess_type(path.name)
    if encoding is not None:
        return _ARCHIVE_TYPES.get(encoding, "application/octet-stream")
    return content_type or "application/octet-stream"


def _evaluate_preconditions(request: BaseRequest, etag: ETag, mtime: int) -> int | None:
    """Apply the conditional fields in the order of RFC 9110 §13.2.2.

    Returns:
        304 or 412 when a condition decides the answer, else ``None``.
    """
    headers = request.headers
    # Step 1: If-Match (strong comparison); else step 2: If-Unmodified-Since.
    if_match = parse_etag_list(_joined(request, "If-Match"))
    if if_match is not None:
        if not etags_match(etag, if_match, weak=False):
            return 412
    else:
        unmodified_since = _date(headers.get("If-Unmodified-Since"))
        if unmodified_since is not None and mtime > unmodified_since:
            return 412
    # Step 3: If-None-Match (weak comparison); else step 4: If-Modified-Since.
    safe = request.method in ("GET", "HEAD")
    if_none_match = parse_etag_list(_joined(request, "If-None-Match"))
    if if_none_match is not None:
        if etags_match(etag, if_none_match, weak=True):
            return 304 if safe else 412
    elif safe:
        modified_since = _date(headers.get("If-Modified-Since"))
        if modified_since is not None and mtime <= modified_since:
            return 304
    return None


def _if_range_holds(request: BaseRequest, etag: ETag, mtime: int) -> bool:
    """RFC 9110 §13.1.5: a Range applies only while the representation is unchanged."""
    value = request.headers.get("If-Range")
    if value is None:
        return True
    tag = ETag.parse(value)
    if tag is not None:
        return etags_match(etag, (tag,), weak=False)
    return _date(value) == mtime


def _date(value: str | None) -> int | None:
    if value is None:
        return None
    parsed = parse_http_date(value)
    return None if parsed is None else int(parsed.timestamp())


def _joined(request: BaseRequest, name: str) -> str | None:
    values = request.headers.getall(name, ())
    return ", ".join(values) if values else None
