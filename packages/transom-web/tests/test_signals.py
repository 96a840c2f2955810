"""Signals and cleanup contexts: ordered async callbacks that freeze."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from transom.web import Application, CleanupError


def test_startup_callbacks_run_in_the_order_they_were_added() -> None:
    app = Application()
    calls: list[str] = []

    async def first(app: Application) -> None:
        calls.append("first")

    async def second(app: Application) -> None:
        calls.append("second")

    app.on_startup.append(first)
    app.on_startup.append(second)
    asyncio.run(app.startup())
    assert calls == ["first", "second"]


def test_a_failing_callback_stops_the_signal() -> None:
    app = Application()
    calls: list[str] = []

    async def fail(app: Application) -> None:
        raise ValueError("boom")

    async def later(app: Application) -> None:
        calls.append("later")

    app.on_shutdown.extend([fail, later])
    with pytest.raises(ValueError, match="boom"):
        asyncio.run(app.shutdown())
    assert calls == []


def test_a_frozen_signal_refuses_new_callbacks_and_says_why() -> None:
    app = Application()

    async def callback(app: Application) -> None:
        pass

    app.freeze()
    with pytest.raises(RuntimeError, match="on_shutdown: the application is frozen"):
        app.on_shutdown.append(callback)
    with pytest.raises(RuntimeError, match="frozen"):
        del app.on_cleanup[0]
    assert app.on_shutdown.frozen


def test_cleanup_contexts_exit_in_reverse_order() -> None:
    app = Application()
    events: list[str] = []

    def context(name: str) -> object:
        async def generator(app: Application) -> AsyncIterator[None]:
            events.append(f"enter {name}")
            yield
            events.append(f"exit {name}")

        return generator

    app.cleanup_ctx.append(context("a"))  # type: ignore[arg-type]
    app.cleanup_ctx.append(context("b"))  # type: ignore[arg-type]

    async def lifetime() -> None:
        await app.startup()
        await app.cleanup()

    asyncio.run(lifetime())
    assert events == ["enter a", "enter b", "exit b", "exit a"]


def test_only_contexts_whose_startup_finished_are_cleaned_up() -> None:
    app = Application()
    events: list[str] = []

    async def good(app: Application) -> AsyncIterator[None]:
        events.append("enter good")
        yield
        events.append("exit good")

    async def broken(app: Application) -> AsyncIterator[None]:
        if not app.frozen:
            raise ConnectionError("database down")
        yield

    app.cleanup_ctx.extend([good, broken])

    async def lifetime() -> None:
        with pytest.raises(ConnectionError):
            await app.startup()
        await app.cleanup()

    asyncio.run(lifetime())
    assert events == ["enter good", "exit good"]


def test_several_failing_cleanups_are_reported_together() -> None:
    app = Application()

    async def fails_on_exit(app: Application) -> AsyncIterator[None]:
        yield
        raise OSError("cannot close")

    async def fails_too(app: Application) -> AsyncIterator[None]:
        yield
        raise KeyError("gone")

    app.cleanup_ctx.extend([fails_on_exit, fails_too])

    async def lifetime() -> None:
        await app.startup()
        await app.cleanup()

    with pytest.raises(CleanupError) as info:
        asyncio.run(lifetime())
    assert [type(exc) for exc in info.value.exceptions] == [KeyError, OSError]


def test_a_single_failing_cleanup_raises_its_own_exception() -> None:
    app = Application()

    async def fails_on_exit(app: Application) -> AsyncIterator[None]:
        yield
        raise OSError("cannot close")

    app.cleanup_ctx.append(fails_on_exit)

    async def lifetime() -> None:
        await app.startup()
        await app.cleanup()

    with pytest.raises(OSError, match="cannot close"):
        asyncio.run(lifetime())


def test_a_generator_with_two_yields_is_refused_at_cleanup() -> None:
    app = Application()

    async def twice(app: Application) -> AsyncIterator[None]:
        yield
        yield

    app.cleanup_ctx.append(twice)

    async def lifetime() -> None:
        await app.startup()
        await app.cleanup()

    with pytest.raises(RuntimeError, match="more than one yield"):
        asyncio.run(lifetime())


def test_an_async_context_manager_factory_is_a_cleanup_context() -> None:
    app = Application()
    events: list[str] = []

    @asynccontextmanager
    async def resource(app: Application) -> AsyncIterator[None]:
        events.append("open")
        yield
        events.append("close")

    app.cleanup_ctx.append(resource)

    async def lifetime() -> None:
        await app.startup()
        await app.cleanup()

    asyncio.run(lifetime())
    assert events == ["open", "close"]


def test_a_cleanup_context_that_is_not_a_generator_is_refused() -> None:
    app = Application()

    async def plain(app: Application) -> None:
        pass

    app.cleanup_ctx.append(plain)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="async generator"):
        asyncio.run(app.startup())
