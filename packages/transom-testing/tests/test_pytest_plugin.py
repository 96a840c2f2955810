import textwrap

import pytest


def _write(pytester: pytest.Pytester, source: str) -> None:
    pytester.makepyfile(test_sample=textwrap.dedent(source))


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run pytest on the sample with pytest-asyncio disabled, as most projects have it."""
    return pytester.runpytest("-p", "no:asyncio", *args)


def test_async_test_runs_on_a_running_loop(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        import asyncio

        async def test_sleeps():
            await asyncio.sleep(0)
            assert asyncio.get_running_loop().is_running()
        """,
    )

    _run(pytester, "-W", "error").assert_outcomes(passed=1)


def test_a_failing_async_test_fails(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        async def test_fails():
            assert 1 == 2
        """,
    )

    result = _run(pytester)

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert 1 == 2*"])


def test_each_test_gets_a_fresh_loop_that_is_closed_after(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        import asyncio

        loops = []

        async def test_first():
            loops.append(asyncio.get_running_loop())

        async def test_second():
            loops.append(asyncio.get_running_loop())
            assert loops[0] is not loops[1]
            assert loops[0].is_closed()
        """,
    )

    _run(pytester, "-p", "no:randomly").assert_outcomes(passed=2)


def test_async_fixtures_share_the_test_loop(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        import asyncio
        import pytest

        events = []

        @pytest.fixture
        async def value():
            return asyncio.get_running_loop()

        @pytest.fixture
        async def resource(value):
            events.append("setup")
            yield value
            events.append("teardown")

        async def test_uses_them(resource, value, transom_loop):
            assert resource is value is asyncio.get_running_loop() is transom_loop
            assert events == ["setup"]

        def test_teardown_ran():
            assert events == ["setup", "teardown"]
        """,
    )

    _run(pytester, "-p", "no:randomly").assert_outcomes(passed=2)


def test_sync_test_can_use_an_async_fixture(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        import pytest

        @pytest.fixture
        async def answer():
            return 42

        def test_sync(answer):
            assert answer == 42
        """,
    )

    _run(pytester).assert_outcomes(passed=1)


def test_async_fixture_in_a_test_class_is_bound_to_the_instance(
    pytester: pytest.Pytester,
) -> None:
    _write(
        pytester,
        """
        import pytest

        class TestThing:
            factor = 3

            @pytest.fixture
            async def tripled(self):
                return 2 * self.factor

            async def test_it(self, tripled):
                assert tripled == 6
        """,
    )

    _run(pytester).assert_outcomes(passed=1)


def test_a_module_scoped_async_fixture_is_refused_with_the_reason(
    pytester: pytest.Pytester,
) -> None:
    _write(
        pytester,
        """
        import pytest

        @pytest.fixture(scope="module")
        async def shared():
            return 1

        async def test_it(shared):
            pass
        """,
    )

    result = _run(pytester)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*async fixture 'shared' has scope 'module'*fresh event loop*"])


def test_an_async_generator_fixture_that_yields_twice_is_an_error(
    pytester: pytest.Pytester,
) -> None:
    _write(
        pytester,
        """
        import pytest

        @pytest.fixture
        async def twice():
            yield 1
            yield 2

        async def test_it(twice):
            assert twice == 1
        """,
    )

    result = _run(pytester)

    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*async fixture 'twice' yielded more than once*"])


def test_uvloop_option_runs_tests_on_uvloop(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        import asyncio
        import uvloop

        async def test_loop_kind():
            assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
        """,
    )

    _run(pytester, "--transom-loop=uvloop").assert_outcomes(passed=1)


def test_default_loop_is_asyncio(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        import asyncio

        async def test_loop_kind():
            assert type(asyncio.get_running_loop()).__module__.startswith("asyncio")
        """,
    )

    _run(pytester).assert_outcomes(passed=1)


def test_loop_factory_hook_overrides_the_option(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import asyncio

        class MarkedLoop(asyncio.SelectorEventLoop):
            pass

        def pytest_transom_loop_factory(config):
            return MarkedLoop
        """
    )
    _write(
        pytester,
        """
        import asyncio

        async def test_loop_kind():
            assert type(asyncio.get_running_loop()).__name__ == "MarkedLoop"
        """,
    )

    _run(pytester, "--transom-loop=uvloop").assert_outcomes(passed=1)


def test_the_hooks_are_documented_in_the_help(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "--help")

    result.stdout.fnmatch_lines(["*--transom-loop=*", "*event loop for async tests*"])


def test_with_pytest_asyncio_its_marked_tests_run_once(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    _write(
        pytester,
        """
        import pytest

        calls = []

        @pytest.mark.asyncio
        async def test_owned_by_pytest_asyncio():
            calls.append("marked")

        async def test_owned_by_transom():
            calls.append("plain")

        def test_each_ran_once():
            assert sorted(calls) == ["marked", "plain"]
        """,
    )

    result = pytester.runpytest("-p", "asyncio", "-p", "no:randomly")

    result.assert_outcomes(passed=3)


def test_with_pytest_asyncio_auto_mode_it_runs_every_async_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    _write(
        pytester,
        """
        import asyncio

        calls = []

        async def test_first():
            calls.append(type(asyncio.get_running_loop()).__module__)

        def test_ran_once_on_its_loop():
            assert len(calls) == 1
        """,
    )

    pytester.runpytest("-p", "asyncio", "-p", "no:randomly").assert_outcomes(passed=2)


@pytest.mark.parametrize("what", ["ClientSession", "TCPConnector"])
def test_a_client_object_made_at_import_fails_collection_with_the_fix(
    pytester: pytest.Pytester, what: str
) -> None:
    _write(
        pytester,
        f"""
        from transom.client import {what}

        shared = {what}()

        async def test_uses_it():
            pass
        """,
    )

    result = _run(pytester)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting test_sample.py*",
            f"*NoRunningLoopError: {what} must be created inside a running event loop*",
            f"transom: a {what} is made when this module is imported, before any",
            "*Each test runs on a fresh event loop*",
            "    async def session():",
        ]
    )


def test_a_session_made_by_a_conftest_at_import_is_explained_too(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        **{
            "sub/conftest.py": "from transom import client\nshared = client.ClientSession()\n",
            "sub/test_it.py": "def test_it():\n    pass\n",
        }
    )

    result = _run(pytester)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["transom: a ClientSession is made when this module is imported, before any"]
    )


def test_another_collection_error_gets_no_loop_explanation(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        raise RuntimeError("something else")
        """,
    )

    result = _run(pytester)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*RuntimeError: something else*"])
    result.stdout.no_fnmatch_line("*fresh event loop*")


def test_the_leak_option_is_in_the_help(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "--help")

    result.stdout.fnmatch_lines(["*--transom-leaks=*", "*transom_leaks*"])


@pytest.mark.parametrize(
    "plugins", [("-p", "asyncio", "-p", "transom"), ("-p", "transom", "-p", "asyncio")]
)
def test_with_pytest_asyncio_an_unmarked_test_gets_all_its_fixtures_on_its_loop(
    pytester: pytest.Pytester, plugins: tuple[str, ...]
) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    _write(
        pytester,
        """
        import asyncio
        import pytest
        import pytest_asyncio

        @pytest_asyncio.fixture
        async def declared_for_pytest_asyncio():
            return asyncio.get_running_loop()

        @pytest.fixture
        async def plain():
            return asyncio.get_running_loop()

        async def test_unmarked(declared_for_pytest_asyncio, plain, transom_loop):
            assert declared_for_pytest_asyncio is plain is transom_loop
        """,
    )

    result = pytester.runpytest(
        *plugins, "-p", "no:randomly", "-W", "ignore::pytest.PytestAssertRewriteWarning"
    )

    result.assert_outcomes(passed=1)
