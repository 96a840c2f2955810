"""MessageWaiter: asyncio's future contract, and delivery that runs the waiting task at once."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import Any, cast

import pytest

from transom.web._message_waiter import MessageWaiter


def _run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())  # type: ignore[arg-type]


def test_a_waiter_is_a_future_to_asyncio() -> None:
    async def main() -> None:
        waiter = MessageWaiter(asyncio.get_running_loop())
        candidate: object = waiter
        assert asyncio.isfuture(candidate)
        assert waiter.get_loop() is asyncio.get_running_loop()
        assert not waiter.done()
        with pytest.raises(asyncio.InvalidStateError):
            waiter.result()
        with pytest.raises(asyncio.InvalidStateError):
            waiter.exception()
        waiter.set_result("a")
        assert waiter.done()
        assert not waiter.cancelled()
        assert waiter.result() == "a"
        assert waiter.exception() is None
        result: object = await waiter
        assert result == "a"
        with pytest.raises(asyncio.InvalidStateError):
            waiter.set_result("b")
        with pytest.raises(asyncio.InvalidStateError):
            waiter.set_exception(ValueError())
        assert waiter.cancel() is False

    _run(main)


def test_a_waiter_raises_its_exception() -> None:
    async def main() -> None:
        waiter = MessageWaiter(asyncio.get_running_loop())
        error = StopAsyncIteration()
        waiter.set_exception(error)
        assert waiter.exception() is error
        with pytest.raises(StopAsyncIteration):
            waiter.result()
        with pytest.raises(StopAsyncIteration):
            await waiter

    _run(main)


def test_cancelling_a_waiter_wakes_its_task_with_cancelled_error() -> None:
    async def main() -> None:
        waiter = MessageWaiter(asyncio.get_running_loop())
        task = asyncio.ensure_future(_await(waiter))
        await asyncio.sleep(0)
        assert waiter.cancel("stop") is True
        assert waiter.cancelled()
        with pytest.raises(asyncio.CancelledError, match="stop"):
            waiter.result()
        with pytest.raises(asyncio.CancelledError):
            waiter.exception()
        with pytest.raises(asyncio.CancelledError):
            await task

    _run(main)


def test_cancelling_the_task_cancels_the_waiter() -> None:
    async def main() -> None:
        waiter = MessageWaiter(asyncio.get_running_loop())
        task = asyncio.ensure_future(_await(waiter))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert waiter.cancelled()

    _run(main)


def test_asyncio_helpers_wait_on_a_waiter() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        waiter = MessageWaiter(loop)
        loop.call_soon(waiter.set_result, "a")
        done, pending = await asyncio.wait([cast("asyncio.Future[Any]", waiter)], timeout=5)
        assert done == {cast("asyncio.Future[Any]", waiter)}
        assert not pending
        assert await asyncio.wait_for(_await(MessageWaiter(loop), "b"), 5) == "b"
        slow = MessageWaiter(loop)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(_await(slow), 0.01)
        assert slow.cancelled()

    _run(main)


def test_done_callbacks_run_from_the_loop_in_their_context() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        variable: contextvars.ContextVar[str] = contextvars.ContextVar("variable")
        context = contextvars.copy_context()
        context.run(variable.set, "theirs")
        seen: list[Any] = []
        waiter = MessageWaiter(loop)
        waiter.add_done_callback(lambda w: seen.append(("first", w.result())))
        waiter.add_done_callback(lambda w: seen.append(variable.get("none")), context=context)
        waiter.set_result("a")
        assert seen == []
        await asyncio.sleep(0)
        assert seen == [("first", "a"), "theirs"]
        # Added once done: still called by the loop, not at once.
        waiter.add_done_callback(lambda w: seen.append("late"))
        assert seen[-1] == "theirs"
        await asyncio.sleep(0)
        assert seen[-1] == "late"

    _run(main)


def test_a_removed_done_callback_is_not_called() -> None:
    async def main() -> None:
        seen: list[str] = []

        def callback(waiter: MessageWaiter) -> None:
            seen.append("called")

        waiter = MessageWaiter(asyncio.get_running_loop())
        waiter.add_done_callback(callback)
        waiter.add_done_callback(callback)
        assert waiter.remove_done_callback(callback) == 2
        assert waiter.remove_done_callback(callback) == 0
        waiter.set_result("a")
        await asyncio.sleep(0)
        assert seen == []

    _run(main)


async def _waiting_reader(log: list[str]) -> tuple[MessageWaiter, asyncio.Task[None]]:
    """A waiter, and a task that awaits it and logs what it got."""
    waiter = MessageWaiter(asyncio.get_running_loop())

    async def reader() -> None:
        log.append(f"got {await waiter}")

    task = asyncio.get_running_loop().create_task(reader())
    await asyncio.sleep(0)
    return waiter, task


def _deliver_from_a_loop_callback(waiter: MessageWaiter, log: list[str]) -> None:
    def deliver() -> None:
        waiter.deliver("a")  # type: ignore[arg-type]
        log.append("delivered")

    waiter.get_loop().call_soon(deliver)


def test_deliver_runs_the_waiting_task_at_once_from_a_loop_callback() -> None:
    async def main() -> None:
        log: list[str] = []
        waiter, task = await _waiting_reader(log)
        _deliver_from_a_loop_callback(waiter, log)
        await task
        assert log == ["got a", "delivered"]

    _run(main)


def test_deliver_inside_a_task_leaves_the_waiting_task_to_the_loop() -> None:
    async def main() -> None:
        log: list[str] = []
        waiter, task = await _waiting_reader(log)
        waiter.deliver("a")  # type: ignore[arg-type]
        log.append("delivered")
        await task
        assert log == ["delivered", "got a"]
        with pytest.raises(asyncio.InvalidStateError):
            waiter.deliver("b")  # type: ignore[arg-type]

    _run(main)


def test_deliver_with_other_callbacks_leaves_every_one_to_the_loop() -> None:
    async def main() -> None:
        log: list[str] = []
        waiter, task = await _waiting_reader(log)
        waiter.add_done_callback(lambda w: log.append("callback"))
        _deliver_from_a_loop_callback(waiter, log)
        await task
        await asyncio.sleep(0)
        assert log == ["delivered", "got a", "callback"]

    _run(main)


async def _await(waiter: MessageWaiter, result: Any = None) -> Any:
    if result is not None:
        waiter.get_loop().call_soon(waiter.set_result, result)
    return await waiter
