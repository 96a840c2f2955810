"""Finding the transom objects a test opened and left open, and where it made them.

While a :class:`LeakTracker` runs, the ``__init__`` of each tracked class is
wrapped so that every new instance is recorded with the line of code that
made it. At the end, the instances still open are the leaks. Objects that
transom itself makes on behalf of another (the connector inside a session,
the session inside a ``TestClient``) are left to their owner, except for the
kinds a program only ever gets from transom (responses): those are tracked
wherever they come from and blamed on the program's line that asked for them.

The tracked packages need no knowledge of this module: only their public
classes and their public ``closed``-style state are used.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import linecache
import os
import sys
import sysconfig
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any, Final

import pytest

__all__ = [
    "LEAK_CLOSE_TIMEOUT",
    "Leak",
    "LeakTracker",
    "LeakWarning",
    "TrackedKind",
    "close_leaks",
    "default_kinds",
    "format_leaks",
]

# Seconds each leaked object gets to close once reported. Closing is a
# courtesy that keeps the leak from spilling warnings into later tests; an
# object that cannot close in this time is abandoned with the test's loop.
LEAK_CLOSE_TIMEOUT: Final = 2.0
# Released responses are forgotten each time this many more objects have been
# recorded, so a test making many requests does not keep every response alive.
_PRUNE_EVERY: Final = 256


class LeakWarning(UserWarning):
    """A test left transom objects open (the report when ``--transom-leaks=warn``)."""


@dataclass(frozen=True, slots=True)
class TrackedKind:
    """A class whose instances a test must close, and how to tell and do it.

    Args:
        cls: The class; subclasses are tracked too.
        is_open: Whether an instance still holds something open.
        close: Closes an instance (the result is awaited when awaitable).
        anywhere: Track instances that transom itself creates as well; for
            objects a program only ever receives from transom.
    """

    cls: type[Any]
    is_open: Callable[[Any], bool]
    close: Callable[[Any], Awaitable[None] | None]
    anywhere: bool = False


@dataclass(frozen=True, slots=True)
class Leak:
    """An object still open at the end of the test, and where the test made it."""

    obj: object
    kind: TrackedKind
    filename: str
    lineno: int
    function: str

    @property
    def source_line(self) -> str:
        """The line of code that made the object, stripped; ``""`` when unknown."""
        return linecache.getline(self.filename, self.lineno).strip()


def _package_dirs() -> tuple[str, ...]:
    import transom

    return tuple(os.path.join(os.path.abspath(path), "") for path in transom.__path__)


def _stdlib_dirs() -> tuple[tuple[str, ...], tuple[str, ...]]:
    paths = sysconfig.get_paths()
    stdlib = {os.path.join(os.path.abspath(paths[key]), "") for key in ("stdlib", "platstdlib")}
    third_party = {os.path.join(os.path.abspath(paths[key]), "") for key in ("purelib", "platlib")}
    return tuple(stdlib), tuple(third_party)


class LeakTracker:
    """Records instances of tracked classes made between :meth:`start` and :meth:`stop`.

    Args:
        kinds: What to track.
    """

    def __init__(self, kinds: Iterable[TrackedKind]) -> None:
        self._kinds = tuple(kinds)
        self._patch = pytest.MonkeyPatch()
        self._records: dict[int, Leak] = {}
        self._since_prune = 0
        self._transom_dirs = _package_dirs()
        self._stdlib_dirs, self._third_party_dirs = _stdlib_dirs()

    def start(self) -> None:
        """Begin recording new instances."""
        for kind in self._kinds:
            self._patch.setattr(kind.cls, "__init__", self._wrap(kind))

    def stop(self) -> list[Leak]:
        """Stop recording; return the recorded objects still open, oldest first.

        Safe to call more than once (later calls return nothing).
        """
        self._patch.undo()
        records, self._records = self._records, {}
        return [leak for leak in records.values() if _still_open(leak)]

    def _wrap(self, kind: TrackedKind) -> Callable[..., None]:
        original: Callable[..., None] = kind.cls.__init__
        record = self._record

        @functools.wraps(original)
        def __init__(obj: Any, *args: Any, **kwargs: Any) -> None:
            original(obj, *args, **kwargs)
            record(obj, kind)

        return __init__

    def _record(self, obj: object, kind: TrackedKind) -> None:
        if id(obj) in self._records:
            return
        # Frames: 0 is this method, 1 the wrapped __init__; past those, skip
        # the subclass __init__ methods that reached it through super().
        frame: FrameType | None = sys._getframe(2)
        while (
            frame is not None
            and frame.f_code.co_name == "__init__"
            and frame.f_locals.get("self") is obj
        ):
            frame = frame.f_back
        if frame is None:
            return
        if not kind.anywhere and self._is_transom(frame.f_code.co_filename):
            # Made by transom for an object that owns it and closes it.
            return
        user = self._user_frame(frame)
        self._records[id(obj)] = Leak(
            obj, kind, user.f_code.co_filename, user.f_lineno, user.f_code.co_name
        )
        self._since_prune += 1
        if self._since_prune >= _PRUNE_EVERY:
            self._since_prune = 0
            # Only objects that start open and never reopen can be forgotten.
            self._records = {
                key: leak
                for key, leak in self._records.items()
                if not leak.kind.anywhere or _still_open(leak)
            }

    def _is_transom(self, filename: str) -> bool:
        return os.path.abspath(filename).startswith(self._transom_dirs)

    def _is_user(self, filename: str) -> bool:
        if filename.startswith("<"):
            return False
        path = os.path.abspath(filename)
        if path.startswith(self._transom_dirs):
            return False
        return path.startswith(self._third_party_dirs) or not path.startswith(self._stdlib_dirs)

    def _user_frame(self, frame: FrameType) -> FrameType:
        """The innermost frame in the program's own code, else ``frame`` itself."""
        current: FrameType | None = frame
        while current is not None:
            if self._is_user(current.f_code.co_filename):
                return current
            current = current.f_back
        return frame


def _still_open(leak: Leak) -> bool:
    try:
        return bool(leak.kind.is_open(leak.obj))
    except Exception:
        # A half-built object has nothing open that its state could show.
        return False


async def close_leaks(leaks: Sequence[Leak], timeout: float = LEAK_CLOSE_TIMEOUT) -> None:  # noqa: ASYNC109
    """Close leaked objects, newest first, each within ``timeout`` seconds; errors are ignored.

    Args:
        leaks: What :meth:`LeakTracker.stop` returned.
        timeout: Seconds each object gets to close.
    """
    for leak in reversed(leaks):
        try:
            async with asyncio.timeout(timeout):
                result = leak.kind.close(leak.obj)
                if inspect.isawaitable(result):
                    await result
        except Exception:
            # The leak is reported already; a failure to tidy up adds nothing.
            continue


def format_leaks(leaks: Sequence[Leak], where: str, root: str | None = None) -> str:
    """Describe the leaks for a test report.

    Args:
        leaks: The leaks, oldest first.
        where: Names the test, such as its node id.
        root: Paths are shown relative to this directory when given.

    Returns:
        A short text naming each object and the line that made it.
    """
    count = len(leaks)
    noun = "object" if count == 1 else "objects"
    lines = [f"{where} left {count} transom {noun} open:"]
    for leak in leaks:
        filename = leak.filename
        if root is not None:
            relative = os.path.relpath(filename, root)
            if not relative.startswith(".."):
                filename = relative
        lines.append(
            f"  {type(leak.obj).__name__} created at {filename}:{leak.lineno} "
            f"(in {leak.function}), still open"
        )
        source = leak.source_line
        if source:
            lines.append(f"      {source}")
    lines.append(
        "Close what a test opens before it ends: use async with, or await close()\n"
        "(response.release() for a response). transom has closed these now."
    )
    return "\n".join(lines)


def default_kinds() -> list[TrackedKind]:
    """The transom classes whose open instances count as leaks."""
    from transom.client import (
        BaseConnector,
        ClientResponse,
        ClientSession,
        ClientWebSocketResponse,
    )
    from transom.testing._servers import BaseTestServer
    from transom.testing._test_client import TestClient
    from transom.web import BaseRunner, WebSocketResponse

    return [
        TrackedKind(ClientSession, lambda session: not session.closed, _close),
        TrackedKind(BaseConnector, lambda connector: not connector.closed, _close),
        TrackedKind(ClientResponse, lambda response: not response.closed, _release, anywhere=True),
        TrackedKind(TestClient, lambda client: not client.closed, _close),
        TrackedKind(BaseTestServer, lambda server: server.started and not server.closed, _close),
        TrackedKind(BaseRunner, lambda runner: runner.server is not None, _cleanup),
        # A server's WebSocket once its handshake was answered.
        TrackedKind(WebSocketResponse, lambda ws: ws.prepared and not ws.closed, _close),
        TrackedKind(ClientWebSocketResponse, lambda ws: not ws.closed, _close, anywhere=True),
    ]


def _close(obj: Any) -> Awaitable[None] | None:
    result: Awaitable[None] | None = obj.close()
    return result


def _release(response: Any) -> None:
    response.release()


def _cleanup(runner: Any) -> Awaitable[None]:
    result: Awaitable[None] = runner.cleanup()
    return result
