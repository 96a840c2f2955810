"""The transom pytest plugin: async tests and fixtures, each test on a fresh event loop.

Installed with ``transom-testing`` and loaded through the ``pytest11`` entry
point, so nothing needs enabling. What it does:

- ``async def`` test functions run to completion on a new event loop made for
  that test, closed (with its async generators and executor shut down) when the
  test ends; no marker is needed.
- ``async def`` fixtures and async generator fixtures run on that same loop,
  so a fixture's server and the test's client share it. They must be
  function-scoped: a fixture that outlived its loop would hold dead objects.
- ``--transom-loop=asyncio|uvloop`` picks the loop; a ``pytest_transom_loop_factory``
  hook (see :mod:`transom.testing.hookspecs`) overrides both.
- With pytest-asyncio also installed, tests it owns (those carrying its
  ``asyncio`` marker, which its auto mode adds to every async test) are left
  to it, so nothing runs twice.
- Fixtures ``transom_client``, ``transom_server``, ``transom_raw_server`` (each
  a factory of started test servers or clients, closed after the test) and
  ``transom_unused_port``.
- At the end of each test it runs, the transom objects the test opened and
  did not close (client sessions, connectors, unreleased responses, test
  servers and clients, runners, WebSockets) are reported with the line that
  made them, and fail the test at teardown; ``--transom-leaks=warn`` (or the
  ``transom_leaks`` ini option) makes that a :class:`~transom.testing.LeakWarning`.
- A test module that makes a ``ClientSession`` when imported fails to collect
  with an explanation of the per-test loop and the fix.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import re
import unittest
import warnings
from collections.abc import Callable, Coroutine, Generator, Iterator
from typing import Any

import pytest

from transom.testing._fixtures import (
    TransomClient,
    TransomRawServer,
    TransomServer,
    transom_client,
    transom_raw_server,
    transom_server,
    transom_unused_port,
)
from transom.testing._leak_tracker import (
    Leak,
    LeakTracker,
    LeakWarning,
    close_leaks,
    default_kinds,
    format_leaks,
)

__all__ = [
    "TransomClient",
    "TransomRawServer",
    "TransomServer",
    "transom_client",
    "transom_loop",
    "transom_raw_server",
    "transom_server",
    "transom_unused_port",
]

_RUNNER = pytest.StashKey[asyncio.Runner]()
_RUNNER_FIXTURE = "_transom_runner"
_LEAK_MODES = ("fail", "warn")
_LEAK_MODE = pytest.StashKey[str]()
# How the traceback of transom.client.NoRunningLoopError starts: a session or
# connector made with no running loop, as at a test module's import.
_NO_LOOP_ERROR = re.compile(r"NoRunningLoopError: (\w+) must be created inside a running")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("transom")
    group.addoption(
        "--transom-loop",
        choices=("asyncio", "uvloop"),
        default="asyncio",
        help="event loop for async tests and fixtures (default: asyncio)",
    )
    group.addoption(
        "--transom-leaks",
        choices=_LEAK_MODES,
        default=None,
        help="what a test that leaves transom objects open gets: "
        "fail (an error at teardown, the default) or warn",
    )
    parser.addini(
        "transom_leaks",
        "what a test that leaves transom objects open gets: fail (default) or warn",
        default="fail",
    )


def pytest_configure(config: pytest.Config) -> None:
    mode: str | None = config.getoption("transom_leaks")
    if mode is None:
        mode = str(config.getini("transom_leaks")).strip()
        if mode not in _LEAK_MODES:
            raise pytest.UsageError(f"transom_leaks must be 'fail' or 'warn', not {mode!r}")
    config.stash[_LEAK_MODE] = mode


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from transom.testing import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def _loop_factory(config: pytest.Config) -> Callable[[], asyncio.AbstractEventLoop]:
    factory: Callable[[], asyncio.AbstractEventLoop] | None
    factory = config.hook.pytest_transom_loop_factory(config=config)
    if factory is not None:
        return factory
    if config.getoption("transom_loop") == "uvloop":
        try:
            import uvloop
        except ImportError:
            raise pytest.UsageError(
                "--transom-loop=uvloop needs uvloop installed "
                "(pip install uvloop, or transom-web[speedups])"
            ) from None
        return uvloop.new_event_loop
    return asyncio.new_event_loop


def _owned_by_pytest_asyncio(item: pytest.Item) -> bool:
    return item.get_closest_marker("asyncio") is not None and item.config.pluginmanager.has_plugin(
        "asyncio"
    )


def _is_async_test(item: pytest.Item) -> bool:
    return (
        isinstance(item, pytest.Function)
        and inspect.iscoroutinefunction(item.obj)
        and not _owned_by_pytest_asyncio(item)
        # unittest's IsolatedAsyncioTestCase runs its own loop.
        and not (isinstance(item.cls, type) and issubclass(item.cls, unittest.TestCase))
    )


@pytest.fixture
def _transom_runner(request: pytest.FixtureRequest) -> Iterator[asyncio.Runner]:
    mode = request.config.stash[_LEAK_MODE]
    tracker = LeakTracker(default_kinds())
    leaks: list[Leak] = []
    tracker.start()
    try:
        with asyncio.Runner(loop_factory=_loop_factory(request.config)) as runner:
            request.node.stash[_RUNNER] = runner
            try:
                yield runner
            finally:
                # Every other fixture of the test has finished by now: what is
                # still open, the test itself opened and left open.
                leaks = tracker.stop()
                if leaks:
                    runner.run(close_leaks(leaks))
    finally:
        tracker.stop()
    if leaks:
        report = format_leaks(leaks, request.node.nodeid, str(request.config.rootpath))
        # Shown at the line that made the first leaked object.
        filename, lineno = leaks[0].filename, leaks[0].lineno
        # The report outlives the test: it must not keep the objects alive.
        leaks.clear()
        if mode == "warn":
            warnings.warn_explicit(LeakWarning(report), LeakWarning, filename, lineno)
        else:
            report += "\nWith --transom-leaks=warn, leaks are reported as warnings instead."
            pytest.fail(report, pytrace=False)


@pytest.fixture
def transom_loop(_transom_runner: asyncio.Runner) -> asyncio.AbstractEventLoop:
    """The event loop of the current test, fresh for each test and closed after it."""
    return _transom_runner.get_loop()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The runner fixture goes first so that every async fixture finds the loop.
    for item in items:
        if (
            _is_async_test(item)
            and isinstance(item, pytest.Function)
            and _RUNNER_FIXTURE not in item.fixturenames
        ):
            item.fixturenames.insert(0, _RUNNER_FIXTURE)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not _is_async_test(pyfuncitem):
        return None
    runner = pyfuncitem.funcargs[_RUNNER_FIXTURE]
    assert isinstance(runner, asyncio.Runner)
    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    runner.run(pyfuncitem.obj(**arguments))
    return True


def _bind(func: Callable[..., Any], instance: object | None) -> Callable[..., Any]:
    """Bind a fixture defined in a test class to the test's instance, as pytest does."""
    if instance is None:
        return func
    owner = getattr(func, "__self__", None)
    if owner is not None and not isinstance(instance, type(owner)):
        return func
    unbound = getattr(func, "__func__", func)
    return unbound.__get__(instance) if unbound is not func else func


def _sync_fixture(func: Callable[..., Any], request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Wrap an async fixture function so pytest can call it synchronously on the test's loop."""
    if request.scope != "function":
        raise pytest.UsageError(
            f"async fixture {request.fixturename!r} has scope {request.scope!r}: transom runs "
            "each test on a fresh event loop, so async fixtures must be function-scoped "
            "(make the expensive part a sync fixture with a wider scope)"
        )
    runner: asyncio.Runner = request.getfixturevalue(_RUNNER_FIXTURE)
    bound = _bind(func, request.instance)

    if inspect.isasyncgenfunction(func):

        @functools.wraps(func)
        def setup_async_generator(**kwargs: Any) -> Any:
            generator = bound(**kwargs)
            value = runner.run(generator.__anext__())

            def finish() -> None:
                try:
                    runner.run(generator.__anext__())
                except StopAsyncIteration:
                    return
                raise pytest.fail(
                    f"async fixture {request.fixturename!r} yielded more than once",
                    pytrace=False,
                )

            request.addfinalizer(finish)
            return value

        return setup_async_generator

    @functools.wraps(func)
    def setup_coroutine(**kwargs: Any) -> Any:
        coroutine: Coroutine[Any, Any, Any] = bound(**kwargs)
        return runner.run(coroutine)

    return setup_coroutine


# Outermost, so that a test transom runs gets every async fixture it uses run
# on its loop, whichever other plugin (pytest-asyncio) would also take them.
@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    func = fixturedef.func
    is_async = inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)
    if not is_async or _owned_by_pytest_asyncio(request.node):
        return (yield)
    fixturedef.func = _sync_fixture(func, request)  # type: ignore[misc]
    try:
        return (yield)
    finally:
        fixturedef.func = func  # type: ignore[misc]


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    report: pytest.CollectReport = yield
    if report.failed:
        found = _NO_LOOP_ERROR.search(report.longreprtext)
        if found is not None:
            report.longrepr = f"{report.longreprtext}\n\n{_no_loop_explanation(found[1])}"
    return report


def _no_loop_explanation(what: str) -> str:
    return (
        f"transom: a {what} is made when this module is imported, before any\n"
        f"event loop runs. Each test runs on a fresh event loop, made when the test\n"
        f"starts and closed when it ends, so a {what} must be made inside the test\n"
        f"or in an async fixture, never at module level:\n"
        f"\n"
        f"    @pytest.fixture\n"
        f"    async def session():\n"
        f"        async with ClientSession() as session:\n"
        f"            yield session\n"
        f"\n"
        f"To test an app, the transom_client fixture gives a client bound to it."
    )
