"""The Autobahn WebSocket compliance cases, run by kosoku against transom's server and client.

``test_server.py`` points kosoku's fuzzing client at a transom.web echo app;
``test_client.py`` drives kosoku's fuzzing server with a transom.client echo
client. Each runs one test per Autobahn section, so ``-k`` picks sections::

    nox -s autobahn                              # every section, both sides
    nox -s autobahn -- -k "server and 9"         # the server's section 9 only

A case passes when its behavior is OK, NON-STRICT or INFORMATIONAL and its
close behavior is OK or INFORMATIONAL; a section fails with kosoku's account
of every case that does not.

The run ends with the count of each verdict per side, and kosoku's reports
(an index.html with every case's wire log) are written to
``build/autobahn/server`` and ``build/autobahn/client``.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import pytest

# kosoku exports neither its result type nor its report writer (its command
# line's) at the top level.
from kosoku._kosoku import CaseResult
from kosoku._report import write_reports

#: The Autobahn sections; 8 and 11 do not exist.
SECTIONS: Final = ("1", "2", "3", "4", "5", "6", "7", "9", "10", "12", "13")
SIDES: Final = ("server", "client")
ACCEPTED_BEHAVIOR: Final = frozenset({"OK", "NON-STRICT", "INFORMATIONAL"})
ACCEPTED_CLOSE: Final = frozenset({"OK", "INFORMATIONAL"})
# kosoku's Autobahn cases open their test data files without closing them.
KOSOKU_UNCLOSED_FILES: Final = (
    "ignore:unclosed file <_io.BufferedReader name='[^']*/kosoku/:ResourceWarning"
)
# Events shown per case in a failure; the rest is in the HTML report.
_SHOWN_EVENTS: Final = 6

Verdict = Callable[[str, Sequence[CaseResult], Sequence[str]], None]

_RESULTS = pytest.StashKey[dict[str, list[CaseResult]]]()
_NOTES = pytest.StashKey[dict[str, list[str]]]()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run a test that takes ``autobahn_section`` once per Autobahn section."""
    if "autobahn_section" in metafunc.fixturenames:
        metafunc.parametrize("autobahn_section", SECTIONS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep kosoku's unclosed test data files from failing the tests here."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.filterwarnings(KOSOKU_UNCLOSED_FILES))


def acceptable(result: CaseResult) -> bool:
    """Whether a case's behavior and close behavior are both acceptable."""
    return (
        result.behavior.value in ACCEPTED_BEHAVIOR and result.behavior_close.value in ACCEPTED_CLOSE
    )


def _events(events: Any) -> str:
    shown = [_event(event) for event in list(events or [])[:_SHOWN_EVENTS]]
    more = len(events or []) - len(shown)
    return "[" + ", ".join(shown) + (f", ... {more} more" if more > 0 else "") + "]"


def _event(event: Sequence[Any]) -> str:
    parts = []
    for part in event:
        text = repr(part)
        parts.append(text if len(text) <= 60 else text[:57] + "...")
    return "(" + ", ".join(parts) + ")"


def explain(result: CaseResult) -> str:
    """Kosoku's account of one case: what it expected, what happened, and its verdicts."""
    expected = result.expected or {}
    lines = [
        f"case {result.case_id}: behavior {result.behavior.value}, "
        f"close {result.behavior_close.value}",
        f"  description: {result.description}",
        f"  expectation: {result.expectation}",
        f"  behavior: {result.result}",
        f"  close: {result.result_close}",
        *(f"  expected {verdict}: {_events(events)}" for verdict, events in expected.items()),
        f"  received: {_events(result.received)}",
        f"  expected close: {json.dumps(result.expected_close, sort_keys=True)}",
        f"  close codes: kosoku sent {result.local_close_code} "
        f"({result.local_close_reason!r}), peer sent {result.remote_close_code} "
        f"({result.remote_close_reason!r})",
        f"  closed by kosoku: {result.closed_by_me}, failed by kosoku: {result.failed_by_me}, "
        f"dropped by kosoku: {result.dropped_by_me}, clean: {result.was_clean}"
        + (f" ({result.was_not_clean_reason})" if result.was_not_clean_reason else ""),
    ]
    return "\n".join(lines)


@pytest.fixture(scope="session")
def _autobahn_store(request: pytest.FixtureRequest) -> Iterator[dict[str, list[CaseResult]]]:
    """Every side's results, written as kosoku's reports when the session ends."""
    store: dict[str, list[CaseResult]] = {side: [] for side in SIDES}
    request.config.stash[_RESULTS] = store
    notes: dict[str, list[str]] = {side: [] for side in SIDES}
    request.config.stash[_NOTES] = notes
    yield store
    for side, results in store.items():
        if results:
            directory = _report_dir(request.config, side)
            shutil.rmtree(directory, ignore_errors=True)
            ordered = sorted(results, key=lambda result: _case_key(result.case_id))
            write_reports(ordered, str(directory))


@pytest.fixture
def autobahn_verdict(
    request: pytest.FixtureRequest, _autobahn_store: dict[str, list[CaseResult]]
) -> Verdict:
    """``autobahn_verdict(side, results, notes)``: record a section, fail on a bad case.

    ``notes`` are what the harness saw go wrong on its own side (a case that
    raised or did not finish); they are shown with the summary and in the
    failure, but only kosoku's verdicts decide it.
    """

    def verdict(side: str, results: Sequence[CaseResult], notes: Sequence[str]) -> None:
        _autobahn_store[side].extend(results)
        request.config.stash[_NOTES][side].extend(notes)
        failures = [result for result in results if not acceptable(result)]
        if not results:
            pytest.fail(f"{side}: kosoku ran no case", pytrace=False)
        if failures:
            report = _report_dir(request.config, side) / "index.html"
            message = [
                f"{side}: {len(failures)} of {len(results)} cases not acceptable "
                f"(reports with wire logs: {report})",
                *(explain(result) for result in failures),
                *(f"note: {note}" for note in notes),
            ]
            pytest.fail("\n".join(message), pytrace=False)

    return verdict


def _report_dir(config: pytest.Config, side: str) -> Path:
    return config.rootpath / "build" / "autobahn" / side


def _case_key(case_id: str) -> list[int]:
    return [int(part) for part in case_id.split(".")]


def _counts(values: Sequence[str]) -> str:
    counts = Counter(values)
    return ", ".join(f"{verdict} {count}" for verdict, count in sorted(counts.items()))


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print each side's count of verdicts, and the cases that were not acceptable."""
    store = config.stash.get(_RESULTS, None)
    if not store:
        return
    notes = config.stash[_NOTES]
    terminalreporter.section("autobahn")
    for side, results in store.items():
        if not results:
            continue
        ordered = sorted(results, key=lambda result: _case_key(result.case_id))
        failing = [result.case_id for result in ordered if not acceptable(result)]
        terminalreporter.write_line(
            f"{side}: {len(ordered)} cases; behavior: "
            f"{_counts([result.behavior.value for result in ordered])}; close: "
            f"{_counts([result.behavior_close.value for result in ordered])}"
        )
        waived = [
            result.case_id
            for result in ordered
            if acceptable(result) and result.behavior.value not in ACCEPTED_BEHAVIOR
        ]
        if waived:
            terminalreporter.write_line(
                f"{side}: UNIMPLEMENTED accepted (no client_no_context_takeover offered): "
                f"{len(waived)} cases of 13.2, 13.5, 13.6"
            )
        terminalreporter.write_line(
            f"{side}: not acceptable: {', '.join(failing) if failing else 'none'}"
        )
        for note in notes[side]:
            terminalreporter.write_line(f"{side}: note: {note}")
        terminalreporter.write_line(f"{side}: reports in {_report_dir(config, side)}")
