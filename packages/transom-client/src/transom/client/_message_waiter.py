"""A future of one WebSocket message that resumes its waiting task at once.

The asyncio channel (``_websocket_channel``) hands each received message to
the task waiting for it through a :class:`MessageWaiter`. Compiled, it costs
less than the loop trip it saves (see the WebSocket topic's speed section).

``transom-web`` and ``transom-client`` carry identical copies of this module.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from transom.protocol.websocket import WSMessage

__all__ = ["MessageWaiter"]

# The task each loop runs now: before 3.12, asyncio.current_task() is Python
# code around one lookup in this mapping (kept by the C tasks); from 3.12 it
# is C code, and later versions keep the running task elsewhere.
_CURRENT_TASKS: Final[dict[Any, Any] | None] = (
    getattr(asyncio.tasks, "_current_tasks", None) if sys.version_info < (3, 12) else None
)


def _current_task(loop: asyncio.AbstractEventLoop) -> object:
    if _CURRENT_TASKS is not None:
        return _CURRENT_TASKS.get(loop)
    return asyncio.current_task(loop)


_PENDING: Final = 0
_RESULT: Final = 1
_EXCEPTION: Final = 2
_CANCELLED: Final = 3


class MessageWaiter:
    """A future of the next message that resumes its waiting task at once.

    It keeps the contract of ``asyncio.Future`` that tasks, ``asyncio.wait``
    and friends rely on (results, exceptions, cancellation, done callbacks
    run by the loop), with one addition: :meth:`deliver` hands a message to
    the task that awaits this waiter by running the task's next step there
    and then, when no other task is running, instead of through a loop
    callback. A received message then costs no pass of the event loop before
    the application sees it.

    Args:
        loop: The loop of the channel.
    """

    # asyncio.isfuture() and Task check this attribute: it marks a future.
    _asyncio_future_blocking: bool = False

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._state = _PENDING
        self._result: Any = None
        self._exception: BaseException | None = None
        self._cancel_message: Any = None
        self._callbacks: list[tuple[Callable[[Any], object], contextvars.Context]] = []
        # The step of the task awaiting this waiter, when that task alone waits.
        self._task_wakeup: Callable[[Any], object] | None = None
        self._asyncio_future_blocking = False

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def done(self) -> bool:
        return self._state != _PENDING

    def cancelled(self) -> bool:
        return self._state == _CANCELLED

    def result(self) -> Any:
        state = self._state
        if state == _RESULT:
            return self._result
        if state == _EXCEPTION:
            exc = self._exception
            assert exc is not None
            raise exc
        if state == _CANCELLED:
            raise self._cancelled_error()
        raise asyncio.InvalidStateError("Result is not ready.")

    def exception(self) -> BaseException | None:
        state = self._state
        if state == _CANCELLED:
            raise self._cancelled_error()
        if state == _PENDING:
            raise asyncio.InvalidStateError("Exception is not set.")
        return self._exception

    def _cancelled_error(self) -> asyncio.CancelledError:
        message = self._cancel_message
        return asyncio.CancelledError() if message is None else asyncio.CancelledError(message)

    def add_done_callback(
        self, fn: Callable[[Any], object], *, context: contextvars.Context | None = None
    ) -> None:
        if context is None:
            context = contextvars.copy_context()
        if self._state != _PENDING:
            self._loop.call_soon(fn, self, context=context)
            return
        callbacks = self._callbacks
        if not callbacks:
            # A task awaiting this waiter registers its own step, bound to itself.
            task = _current_task(self._loop)
            if task is not None and getattr(fn, "__self__", None) is task:
                self._task_wakeup = fn
        else:
            self._task_wakeup = None
        callbacks.append((fn, context))

    def remove_done_callback(self, fn: Callable[[Any], object]) -> int:
        callbacks = self._callbacks
        kept = [entry for entry in callbacks if entry[0] != fn]
        removed = len(callbacks) - len(kept)
        if removed:
            self._callbacks = kept
            self._task_wakeup = None
        return removed

    def cancel(self, msg: Any = None) -> bool:
        if self._state != _PENDING:
            return False
        self._state = _CANCELLED
        self._cancel_message = msg
        self._schedule_callbacks()
        return True

    def set_result(self, result: Any) -> None:
        if self._state != _PENDING:
            raise asyncio.InvalidStateError("invalid state")
        self._result = result
        self._state = _RESULT
        self._schedule_callbacks()

    def set_exception(self, exception: BaseException) -> None:
        if self._state != _PENDING:
            raise asyncio.InvalidStateError("invalid state")
        self._exception = exception
        self._state = _EXCEPTION
        self._schedule_callbacks()

    def deliver(self, message: WSMessage) -> None:
        """Set ``message`` as the result and run the waiting task's next step now.

        The step runs here only when the waiter's one callback is its task's
        and no task is running; otherwise the loop runs the callbacks, as
        :meth:`set_result` has it. Call it where a loop callback may run
        application code: at the end of handling received bytes.

        Raises:
            asyncio.InvalidStateError: The waiter is done already.
        """
        if self._state != _PENDING:
            raise asyncio.InvalidStateError("invalid state")
        self._result = message
        self._state = _RESULT
        wakeup = self._task_wakeup
        if wakeup is None or _current_task(self._loop) is not None:
            self._schedule_callbacks()
            return
        context = self._callbacks[0][1]
        self._callbacks = []
        self._task_wakeup = None
        context.run(wakeup, self)

    def _schedule_callbacks(self) -> None:
        callbacks = self._callbacks
        if not callbacks:
            return
        self._callbacks = []
        self._task_wakeup = None
        loop = self._loop
        for fn, context in callbacks:
            loop.call_soon(fn, self, context=context)

    def __await__(self) -> Generator[Any, None, WSMessage]:
        if self._state == _PENDING:
            self._asyncio_future_blocking = True
            yield self
        if self._state == _PENDING:
            raise RuntimeError("await wasn't used with future")
        message: WSMessage = self.result()
        return message
