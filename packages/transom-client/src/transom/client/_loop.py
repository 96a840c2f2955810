"""The running-loop check that objects holding sockets make on creation."""

from __future__ import annotations

import asyncio

__all__ = ["NoRunningLoopError", "running_loop"]


class NoRunningLoopError(RuntimeError):
    """A session or connector was made with no event loop running.

    Attributes:
        what: The class name of what was being made.
    """

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} must be created inside a running event loop: no loop is running. "
            f"Create it in async code (an 'async def' function, or in a web server in a "
            f"cleanup_ctx or on_startup handler), not at module level or in a plain "
            f"function; one created outside the loop would hang or fail on first use."
        )
        self.what = what


def running_loop(what: str) -> asyncio.AbstractEventLoop:
    """The running event loop, for creating ``what``.

    Raises:
        NoRunningLoopError: No loop is running. A session or connector made
            outside the loop that later uses it would bind its futures to
            the wrong loop (or none) and hang; the message says where to
            create it instead.
    """
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise NoRunningLoopError(what) from None
