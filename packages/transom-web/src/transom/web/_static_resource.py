"""Serving the files of one directory under a URL prefix, refusing every way out."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from yarl import URL

from transom.web._compiler_hints import mypyc_attr
from transom.web._match_info import UrlMappingMatchInfo
from transom.web._resources import (
    NO_METHODS,
    AbstractRoute,
    Handler,
    PrefixResource,
    Resolved,
    ResourceRoute,
    unquote_path_safe,
)

if TYPE_CHECKING:
    from transom.web._request import Request
    from transom.web._response import StreamResponse

__all__ = ["DEFAULT_CHUNK_SIZE", "StaticResource"]

# 256 KiB per read: large enough that a big file needs few reads, small enough
# that one response does not pin much memory per connection.
DEFAULT_CHUNK_SIZE: Final = 256 * 1024
VERSION_KEY: Final = "v"


# Applications may derive their own from it.
@mypyc_attr(allow_interpreted_subclasses=True)
class StaticResource(PrefixResource):
    """Answers GET and HEAD for the files under `directory`.

    A request path maps to ``directory/<rest of path>`` only if no segment is
    ``..``, the rest is not absolute and holds no NUL or backslash; anything else
    is a 404. The resolved file must lie inside `directory` unless
    `follow_symlinks` is set, so a symlink pointing outside is a 404 by default.
    A directory is a 403 unless `show_index` is set, when it is an HTML listing.

    Args:
        prefix: the URL prefix (``/static``).
        directory: the directory to serve; it must exist.
        chunk_size: read size handed to `FileResponse`.
        show_index: answer a directory with an HTML index instead of 403.
        follow_symlinks: serve symlinks that point outside `directory`.
        append_version: make ``url_for`` add ``?v=<content hash>`` by default.

    Raises:
        ValueError: `directory` does not exist or is not a directory.
    """

    __slots__ = (
        "_append_version",
        "_chunk_size",
        "_directory",
        "_follow_symlinks",
        "_routes",
        "_show_index",
    )

    def __init__(
        self,
        prefix: str,
        directory: str | os.PathLike[str],
        *,
        name: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        show_index: bool = False,
        follow_symlinks: bool = False,
        append_version: bool = False,
    ) -> None:
        super().__init__(prefix, name=name)
        try:
            root = Path(directory).expanduser().resolve(strict=True)
        except FileNotFoundError:
            raise ValueError(f"static directory {str(directory)!r} does not exist") from None
        if not root.is_dir():
            raise ValueError(f"static path {str(directory)!r} is not a directory")
        self._directory = root
        self._chunk_size = chunk_size
        self._show_index = show_index
        self._follow_symlinks = follow_symlinks
        self._append_version = append_version
        self._routes: dict[str, AbstractRoute] = {
            method: ResourceRoute(method, self._handle, self) for method in ("GET", "HEAD")
        }

    @property
    def directory(self) -> Path:
        """The served directory, resolved."""
        return self._directory

    def set_options_route(self, handler: Handler) -> None:
        """Answer OPTIONS under the prefix with `handler` (for CORS preflight).

        Raises:
            RuntimeError: an OPTIONS route was already set.
        """
        if "OPTIONS" in self._routes:
            raise RuntimeError(f"static resource {self.canonical} already has an OPTIONS route")
        self._routes["OPTIONS"] = ResourceRoute("OPTIONS", handler, self)

    def url_for(  # type: ignore[override]
        self,
        *,
        filename: str | os.PathLike[str],
        append_version: bool | None = None,
        query: Any = None,
    ) -> URL:
        """Build the URL of a file under the prefix.

        Args:
            filename: the path relative to the directory.
            append_version: add ``v=<hash of the file>`` to the query (the default
                comes from the constructor); skipped when the file is missing or
                outside the directory.
            query: further query parameters.
        """
        relative = str(filename).lstrip("/")
        url = URL.build(path=f"{self._prefix}/{relative}")
        if append_version if append_version is not None else self._append_version:
            digest = self._file_digest(relative)
            if digest is not None:
                url = url.with_query({VERSION_KEY: digest})
        if query is not None:
            url = url.update_query(query)
        return url

    def _file_digest(self, relative: str) -> str | None:
        path = self._locate(relative)
        if path is None or not path.is_file():
            return None
        digest = hashlib.sha256(path.read_bytes()).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii")

    def get_info(self) -> dict[str, Any]:
        """``{"directory": ..., "prefix": ..., "routes": ...}``."""
        return {"directory": self._directory, "prefix": self.canonical, "routes": self._routes}

    def _resolve(self, request: Request, path: str, method: str) -> Resolved:
        if not self._owns(path):
            return None, NO_METHODS
        route = self._routes.get(method)
        if route is None:
            return None, self._routes.keys()
        filename = unquote_path_safe(path[len(self._prefix.replace("%", "%25")) + 1 :])
        return UrlMappingMatchInfo({"filename": filename}, route), NO_METHODS

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._routes.values())

    def __len__(self) -> int:
        return len(self._routes)

    async def _handle(self, request: Request) -> StreamResponse:
        from transom.web._http_exceptions import HTTPForbidden, HTTPNotFound

        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(None, self._find, request.match_info["filename"])
        if found is None:
            raise HTTPNotFound()
        path, listing = found
        if listing is not None:
            from transom.web._response import Response

            return Response(text=listing, content_type="text/html")
        if path is None:
            raise HTTPForbidden()
        from transom.web._file_response import FileResponse

        return FileResponse(path, chunk_size=self._chunk_size)

    def _find(self, relative: str) -> tuple[Path | None, str | None] | None:
        """Map a request's file name to ``(file, None)``, ``(None, index html)``,
        ``(None, None)`` for a refused directory, or ``None`` for not found.

        Runs in a worker thread: it touches the file system.
        """
        path = self._locate(relative)
        if path is None:
            return None
        try:
            if path.is_dir():
                if self._show_index:
                    return None, self._index_html(path)
                return None, None
        except PermissionError:
            return None, None
        return (path, None) if path.is_file() else None

    def _locate(self, relative: str) -> Path | None:
        """The path `relative` names inside the directory, or ``None`` if it
        escapes the directory or does not exist."""
        if "\x00" in relative or "\\" in relative or relative.startswith("/"):
            return None
        segments = relative.split("/")
        if ".." in segments:
            return None
        unresolved = self._directory.joinpath(*segments)
        try:
            resolved = unresolved.resolve(strict=True)
        except (OSError, RuntimeError):
            # Missing, unreadable, or a symlink loop (RuntimeError before 3.13).
            return None
        if not self._follow_symlinks and not resolved.is_relative_to(self._directory):
            return None
        return resolved

    def _index_html(self, directory: Path) -> str:
        relative = directory.relative_to(self._directory).as_posix()
        shown = "/" if relative == "." else f"/{relative}"
        title = html.escape(f"Index of {shown}")
        items = []
        for entry in sorted(directory.iterdir()):
            entry_path = entry.relative_to(self._directory).as_posix()
            href = URL.build(path=f"{self._prefix}/{entry_path}").raw_path
            label = entry.name + ("/" if entry.is_dir() else "")
            items.append(f'<li><a href="{html.escape(href)}">{html.escape(label)}</a></li>')
        listing = "\n".join(items)
        return (
            f"<html>\n<head>\n<title>{title}</title>\n</head>\n<body>\n"
            f"<h1>{title}</h1>\n<ul>\n{listing}\n</ul>\n</body>\n</html>\n"
        )

    def __repr__(self) -> str:
        name = f" {self._name!r}" if self._name is not None else ""
        return f"<StaticResource{name} {self.canonical} -> {self._directory}>"
