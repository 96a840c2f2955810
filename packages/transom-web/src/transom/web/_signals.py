"""Signals: ordered lists of async callbacks that stop changing once frozen."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, MutableSequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, ParamSpec, TypeVar, overload

__all__ = ["CleanupContext", "CleanupError", "FrozenList", "Signal"]

_P = ParamSpec("_P")
_T = TypeVar("_T")


class FrozenList(MutableSequence[_T]):
    """A list that refuses changes after `freeze` is called.

    Args:
        items: the initial items.
        what: names the list in the error raised on a change after freezing.
    """

    __slots__ = ("_frozen", "_items", "_what")

    def __init__(self, items: Iterable[_T] = (), *, what: str = "list") -> None:
        self._items: list[_T] = list(items)
        self._frozen = False
        self._what = what

    @property
    def frozen(self) -> bool:
        """Whether `freeze` has been called."""
        return self._frozen

    def freeze(self) -> None:
        """Refuse every later change. Idempotent."""
        self._frozen = True

    def _check(self) -> None:
        if self._frozen:
            raise RuntimeError(
                f"cannot modify {self._what}: the application is frozen "
                "(it was started or added as a sub-application)"
            )

    @overload
    def __getitem__(self, index: int) -> _T: ...

    @overload
    def __getitem__(self, index: slice) -> MutableSequence[_T]: ...

    def __getitem__(self, index: int | slice) -> _T | MutableSequence[_T]:
        return self._items[index]

    @overload
    def __setitem__(self, index: int, value: _T) -> None: ...

    @overload
    def __setitem__(self, index: slice, value: Iterable[_T]) -> None: ...

    def __setitem__(self, index: int | slice, value: Any) -> None:
        self._check()
        self._items[index] = value

    def __delitem__(self, index: int | slice) -> None:
        self._check()
        del self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[_T]:
        return iter(self._items)

    def insert(self, index: int, value: _T) -> None:
        """Insert `value` before `index`.

        Raises:
            RuntimeError: the list is frozen.
        """
        self._check()
        self._items.insert(index, value)

    def __eq__(self, other: object) -> bool:
        return list(self) == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{type(self).__name__}(frozen={self._frozen}, {self._items!r})>"


class Signal(FrozenList[Callable[_P, Awaitable[object]]], Generic[_P]):
    """An ordered list of async callbacks, each awaited in turn by `send`.

    Callbacks are appended while the application is being set up; the list freezes
    with the application.

    Args:
        owner: the object the signal belongs to, shown in ``repr``.
        what: names the signal in the error raised on a change after freezing.
    """

    __slots__ = ("_owner",)

    def __init__(self, owner: object, *, what: str = "signal") -> None:
        super().__init__(what=what)
        self._owner = owner

    async def send(self, *args: _P.args, **kwargs: _P.kwargs) -> None:
        """Await every callback in order with the given arguments.

        An exception raised by a callback stops the sequence and propagates.
        """
        for callback in self._items:
            await callback(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Signal owner={self._owner!r}, frozen={self._frozen}, {self._items!r}>"


class CleanupError(RuntimeError):
    """More than one cleanup context failed while exiting.

    ``exceptions`` lists each failure in the order the contexts were exited.
    """

    @property
    def exceptions(self) -> list[BaseException]:
        """The exceptions raised by the failing cleanup contexts."""
        errors: list[BaseException] = self.args[1]
        return errors


_AppT = TypeVar("_AppT")
CleanupContextFactory = Callable[[_AppT], AsyncIterator[None] | AbstractAsyncContextManager[None]]


class CleanupContext(FrozenList[CleanupContextFactory[_AppT]]):
    """Async generators (or async context managers) wrapping the app's lifetime.

    The code before ``yield`` runs at startup in list order; the code after it
    runs at cleanup in reverse order, and only for contexts whose startup part
    finished.
    """

    __slots__ = ("_exits",)

    def __init__(self) -> None:
        super().__init__(what="cleanup_ctx")
        self._exits: list[AbstractAsyncContextManager[None]] = []

    async def enter(self, app: _AppT) -> None:
        """Run the startup part of every context in order.

        Raises:
            TypeError: an item is neither an async generator function nor returns
                an async context manager.
        """
        for factory in self._items:
            made: object = factory(app)
            if isinstance(made, AbstractAsyncContextManager):
                context: AbstractAsyncContextManager[None] = made
            elif isinstance(made, AsyncIterator):
                context = _generator_context(made)
            else:
                if inspect.iscoroutine(made):
                    made.close()  # never awaited; close it to keep the loop quiet
                raise TypeError(f"cleanup_ctx item {factory!r} must be an async generator function")
            await context.__aenter__()
            self._exits.append(context)

    async def exit(self, app: _AppT) -> None:
        """Run the cleanup part of every entered context, last entered first.

        Every context is exited even if an earlier one fails.

        Raises:
            Exception: the one failure, if exactly one context failed.
            CleanupError: several contexts failed; ``exceptions`` lists them.
        """
        errors: list[BaseException] = []
        while self._exits:
            context = self._exits.pop()
            try:
                await context.__aexit__(None, None, None)
            except (Exception, asyncio.CancelledError) as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise CleanupError("several cleanup contexts failed", errors)


@contextlib.asynccontextmanager
async def _generator_context(generator: AsyncIterator[None]) -> AsyncIterator[None]:
    await anext(generator)
    yield
    try:
        await anext(generator)
    except StopAsyncIteration:
        return
    raise RuntimeError(f"cleanup_ctx generator {generator!r} has more than one yield")
