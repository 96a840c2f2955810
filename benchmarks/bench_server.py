"""Server throughput: transom.web against aiohttp.web and uvicorn+starlette, in one run.

Each server runs the same three handlers (``benchmarks/servers/*_app.py``) in
one process on 127.0.0.1 pinned to core 0, on asyncio's loop and on uvloop.
``wrk`` pinned to core 1 loads each endpoint with 64 connections: a warm-up,
then rounds interleaved across servers so outside load does not land on one
server only. The table gives median requests/s, median p99 latency and the
highest resident memory after a round, as ratios to aiohttp's; then whether
each target is met. A server that fails to start, answers a path with other
bytes than expected, or dies under load shows ``n/a`` with the reason below.
Timings are reported, never asserted: a missed target exits 0.

Usage: ``python benchmarks/bench_server.py [--quick] [--loops asyncio,uvloop]
[--servers transom,aiohttp,starlette,raw]``. ``wrk`` is installed with apt-get
when missing and the script runs as root; otherwise it says so and exits 2.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# Run by path, only this folder is on sys.path: the repository root makes the
# shared harness importable by its package name.
sys.path.append(str(Path(__file__).resolve().parents[1]))
import benchmarks._harness as harness
from benchmarks._harness import HOST, ServerKind, Unavailable

CONNECTIONS = 64
SERVER_CORE = 0
WRK_CORE = 1
FULL_ROUNDS, FULL_SECONDS, FULL_WARMUP_SECONDS = 5, 10, 3
QUICK_ROUNDS, QUICK_SECONDS, QUICK_WARMUP_SECONDS = 2, 3, 1
# wrk is given this much time beyond its own duration before it is killed.
WRK_GRACE_SECONDS = 30
TARGET_RATIOS = {"uvloop": 2.5, "asyncio": 2.0}
BASELINE = "aiohttp"
LOOPS = ("asyncio", "uvloop")


@dataclass(frozen=True)
class Endpoint:
    """One benchmarked path and the exact response every server must give it."""

    label: str
    path: str
    body: bytes
    content_type: str


TEXT = "text/plain; charset=utf-8"
ENDPOINTS = (
    Endpoint("/", "/", b"Hello, World!", TEXT),
    Endpoint("/json", "/json", b'{"message": "Hello, World!"}', "application/json; charset=utf-8"),
    Endpoint("/user/{id}", "/user/42", b"user 42", TEXT),
)
SERVERS = {
    kind.name: kind
    for kind in (
        ServerKind("transom", "transom.web", "transom_app.py"),
        ServerKind("aiohttp", "aiohttp.web", "aiohttp_app.py"),
        ServerKind("starlette", "uvicorn+starlette", "starlette_app.py"),
        ServerKind("raw", "raw asyncio", "raw_app.py"),
    )
}


# -- wrk ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    requests_per_second: float
    p99_ms: float
    errors: str


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def parse_wrk(output: str) -> WrkResult:
    """Read requests/s, the p99 latency and any error counts from ``wrk --latency`` output.

    Raises:
        Unavailable: The output lacks the throughput or the p99 line.
    """
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.MULTILINE)
    if rate is None or p99 is None:
        tail = " | ".join(output.strip().splitlines()[-3:])
        raise Unavailable(f"unexpected wrk output: {tail[:200]!r}")
    errors = re.findall(r"^\s*((?:Non-2xx or 3xx responses|Socket errors):.*?)\s*$", output, re.M)
    return WrkResult(
        requests_per_second=float(rate.group(1)),
        p99_ms=float(p99.group(1)) * _UNIT_MS[p99.group(2)],
        errors="; ".join(errors),
    )


def ensure_wrk() -> str | None:
    """The path to ``wrk``, installing the Debian package first when missing and allowed."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    print("wrk is missing: installing it with apt-get", file=sys.stderr, flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
        # apt's own output goes to stderr: stdout carries only the table.
        if subprocess.run(command, stdout=sys.stderr, env=env, check=False).returncode:
            return None
    return shutil.which("wrk")


def pinned(core: int, command: list[str], pin: bool) -> list[str]:
    """``command`` run on one CPU core with ``taskset`` when pinning is on."""
    return ["taskset", "-c", str(core), *command] if pin else command


def run_wrk(wrk: str, url: str, seconds: int, pin: bool) -> WrkResult:
    """Load ``url`` for ``seconds`` with one wrk thread and ``CONNECTIONS`` connections."""
    command = [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    try:
        result = subprocess.run(
            pinned(WRK_CORE, command, pin),
            capture_output=True,
            text=True,
            timeout=seconds + WRK_GRACE_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise Unavailable(f"wrk did not finish within {seconds + WRK_GRACE_SECONDS} s") from None
    if result.returncode:
        raise Unavailable(f"wrk exited with {result.returncode}: {result.stderr.strip()[:200]!r}")
    return parse_wrk(result.stdout)


# -- the servers ---------------------------------------------------------------------


class ServerProcess(harness.AppProcess):
    """One server app running in a subprocess, pinned to the server core with ``taskset``."""

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        """Start the app, wait until it accepts connections and check every endpoint.

        Raises:
            Unavailable: It exited, never listened, or answered a path wrongly.
        """
        self.launch(pinned(SERVER_CORE, self.command(), self.pin))
        self.wait_listening()
        for endpoint in ENDPOINTS:
            self._check(endpoint)

    def _check(self, endpoint: Endpoint) -> None:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=harness.CHECK_TIMEOUT)
        try:
            connection.request("GET", endpoint.path)
            response = connection.getresponse()
            body = response.read()
            content_type = response.getheader("Content-Type", "")
        except (OSError, http.client.HTTPException) as exc:
            message = f"GET {endpoint.path} failed: {exc!r}; the server logged {self.last_error()}"
            raise Unavailable(message) from None
        finally:
            connection.close()
        got = (response.status, _normalized(content_type), body)
        expected = (200, _normalized(endpoint.content_type), endpoint.body)
        if got != expected:
            raise Unavailable(
                f"GET {endpoint.path} answered {response.status} {content_type!r} {body[:60]!r}, "
                f"expected 200 {endpoint.content_type!r} {endpoint.body!r}"
            )

    def rss_mib(self) -> float | None:
        """The server's resident memory (``VmRSS``) in MiB, when readable."""
        if self.process is None:
            return None
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        return int(match.group(1)) / 1024 if match else None


def _normalized(content_type: str) -> str:
    return content_type.replace(" ", "").lower()


# -- the measurement -----------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What to run: the wrk binary, the loops and servers, rounds and durations, pinning."""

    wrk: str
    loops: list[str]
    names: list[str]
    rounds: int
    seconds: int
    warmup: int
    pin: bool


@dataclass
class Cell:
    """Every round of one (loop, server, endpoint)."""

    rates: list[float] = field(default_factory=list)
    p99s: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Results:
    """Measured cells, and why any (loop, server) could not be measured."""

    cells: dict[tuple[str, str, str], Cell] = field(default_factory=dict)
    unavailable: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, server: ServerProcess, endpoint: Endpoint, result: WrkResult) -> None:
        cell = self.cells.setdefault((server.loop, server.kind.name, endpoint.label), Cell())
        cell.rates.append(result.requests_per_second)
        cell.p99s.append(result.p99_ms)
        rss = server.rss_mib()
        if rss is not None:
            cell.rss.append(rss)
        if result.errors:
            cell.errors.append(result.errors)

    def _samples(self, loop: str, server: str, endpoint: str | None, name: str) -> list[float]:
        if (loop, server) in self.unavailable:
            return []
        return [
            value
            for (cell_loop, cell_server, label), cell in self.cells.items()
            if (cell_loop, cell_server) == (loop, server) and endpoint in (None, label)
            for value in getattr(cell, name)
        ]

    def rate(self, loop: str, server: str, endpoint: str, name: str = "rates") -> float | None:
        """The median requests per second (``name="p99s"``: the median p99, in ms)."""
        samples = self._samples(loop, server, endpoint, name)
        return statistics.median(samples) if samples else None

    def speedup(self, loop: str, server: str, endpoint: str) -> float | None:
        """The median requests per second as a ratio to aiohttp's."""
        return _ratio(self.rate(loop, server, endpoint), self.rate(loop, BASELINE, endpoint))

    def rss(self, loop: str, server: str, endpoint: str | None = None) -> float | None:
        """The highest RSS sampled in MiB, for one endpoint or for all of them."""
        samples = self._samples(loop, server, endpoint, "rss")
        return max(samples) if samples else None


def measure_loop(results: Results, plan: Plan, loop: str, logs: Path) -> None:
    """Start every server on ``loop``, warm each endpoint up, then run interleaved rounds."""
    kinds = [SERVERS[name] for name in plan.names]
    with harness.running_servers(
        ServerProcess, kinds, loop, plan.pin, logs, results.unavailable
    ) as running:
        for round_index, endpoint, server in harness.interleaved(running, ENDPOINTS, plan.rounds):
            if (loop, server.kind.name) not in results.unavailable:
                _load(results, plan, server, endpoint, round_index)


def _load(
    results: Results, plan: Plan, server: ServerProcess, endpoint: Endpoint, round_index: int
) -> None:
    """One wrk run; round -1 is the warm-up, whose figures are dropped."""
    name, loop = server.kind.name, server.loop
    seconds = plan.warmup if round_index < 0 else plan.seconds
    try:
        result = run_wrk(plan.wrk, server.url + endpoint.path, seconds, plan.pin)
        server.ensure_alive()
    except Unavailable as exc:
        results.unavailable[(loop, name)] = f"under load on {endpoint.path}: {exc}"
        harness.log(f"[{loop}] {name}: unavailable: {exc}")
        return
    stage = "warm-up" if round_index < 0 else f"round {round_index + 1}"
    errors = f", {result.errors}" if result.errors else ""
    harness.log(
        f"[{loop}] {stage} {name} {endpoint.label}: {result.requests_per_second:,.0f} req/s, "
        f"p99 {result.p99_ms:.2f} ms{errors}"
    )
    if round_index >= 0:
        results.add(server, endpoint, result)


# -- the report ----------------------------------------------------------------------


def _ratio(value: float | None, base: float | None) -> float | None:
    return value / base if value is not None and base else None


def _figure(value: float | None, unit: str, base: float | None, digits: int) -> str:
    if value is None:
        return "n/a"
    ratio = _ratio(value, base)
    text = f"{value:.{digits}f} {unit}"
    return text if ratio is None else f"{text} ({ratio:.2f}x)"


def render_table(results: Results, plan: Plan) -> list[str]:
    """The markdown table: one row per endpoint and loop."""
    names = plan.names
    others = [name for name in names if name != BASELINE] if BASELINE in names else []
    header = ["endpoint", "loop", *(f"req/s {name}" for name in names)]
    header += [f"{name}/{BASELINE}" for name in others]
    header += [f"p99 {name}" for name in names] + [f"RSS {name}" for name in names]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for endpoint in ENDPOINTS:
        for loop in plan.loops:
            label = endpoint.label
            rates = {name: results.rate(loop, name, label) for name in names}
            row = [f"`{label}`", loop]
            row += ["n/a" if rate is None else f"{rate:,.0f}" for rate in rates.values()]
            for name in others:
                ratio = results.speedup(loop, name, label)
                row.append("n/a" if ratio is None else f"**{ratio:.2f}x**")
            base_p99 = results.rate(loop, BASELINE, label, "p99s")
            base_rss = results.rss(loop, BASELINE, label)
            for name in names:
                base = None if name == BASELINE else base_p99
                row.append(_figure(results.rate(loop, name, label, "p99s"), "ms", base, 2))
            for name in names:
                base = None if name == BASELINE else base_rss
                row.append(_figure(results.rss(loop, name, label), "MiB", base, 1))
            lines.append("| " + " | ".join(row) + " |")
    return lines


def _gap(results: Results, loop: str) -> str | None:
    """Why transom cannot be compared with aiohttp on ``loop``, if it cannot."""
    for name in ("transom", BASELINE):
        if (loop, name) in results.unavailable:
            return f"{name} unavailable under {loop}, see below"
    return None


def render_targets(results: Results, plan: Plan) -> list[str]:
    """One line per target: met, NOT met, or not measured, with the deciding figure."""
    selected = "transom" in plan.names and BASELINE in plan.names
    lines = []
    for loop, target in TARGET_RATIOS.items():
        claim = f"- transom req/s >= {target:g}x aiohttp's on every endpoint under {loop}"
        if not selected or loop not in plan.loops:
            lines.append(f"{claim}: not measured (not selected)")
            continue
        ratios = [(results.speedup(loop, "transom", e.label), e.label) for e in ENDPOINTS]
        measured = [(ratio, label) for ratio, label in ratios if ratio is not None]
        gap = _gap(results, loop)
        if gap is not None or len(measured) < len(ENDPOINTS):
            lines.append(f"{claim}: not measured ({gap or 'an endpoint has no figure'})")
            continue
        lowest, where = min(measured)
        verdict = "met" if lowest >= target else "NOT met"
        lines.append(f"{claim}: {verdict} (lowest {lowest:.2f}x, on `{where}`)")
    claim = "- transom RSS <= aiohttp's"
    pairs: dict[str, tuple[float, float]] = {}
    gaps: list[str] = []
    for loop in plan.loops if selected else []:
        ours, theirs = results.rss(loop, "transom"), results.rss(loop, BASELINE)
        if ours is None or theirs is None:
            gaps.append(_gap(results, loop) or f"no RSS sample under {loop}")
        else:
            pairs[loop] = (ours, theirs)
    if not pairs:
        lines.append(f"{claim}: not measured ({'; '.join(gaps) or 'not selected'})")
        return lines
    verdict = "met" if all(ours <= theirs for ours, theirs in pairs.values()) else "NOT met"
    figures = [f"{loop}: {a:.1f} vs {b:.1f} MiB, {a / b:.2f}x" for loop, (a, b) in pairs.items()]
    lines.append(f"{claim}: {verdict} ({'; '.join(figures + gaps)})")
    return lines


def render_notes(results: Results, plan: Plan) -> list[str]:
    """How noisy the rounds were, unavailable servers and why, runs where wrk counted errors."""
    # Outside load only ever slows a round down, so a wide spread flags a disturbed run.
    spreads = [
        ((max(cell.rates) - min(cell.rates)) / statistics.median(cell.rates), key)
        for key, cell in results.cells.items()
        if len(cell.rates) > 1 and min(cell.rates) > 0
    ]
    lines = []
    if spreads:
        widest, (loop, name, label) = max(spreads)
        typical = statistics.median(spread for spread, _ in spreads)
        lines.append(
            f"- noise: between rounds, req/s varied by {typical:.0%} of the median in a typical "
            f"cell, {widest:.0%} at worst ({name} `{label}` under {loop})"
        )
    lines += harness.unavailable_notes(results.unavailable, SERVERS, plan.loops, plan.names)
    for (loop, name, label), cell in results.cells.items():
        if cell.errors and (loop, name) not in results.unavailable:
            lines.append(f"- {SERVERS[name].title} `{label}` under {loop}: {cell.errors[0]}")
    return lines


# -- main ----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 3 s, for a smoke check")
    parser.add_argument("--loops", type=harness.choices(list(LOOPS)), default=list(LOOPS))
    parser.add_argument("--servers", type=harness.choices(list(SERVERS)), default=list(SERVERS))
    parser.add_argument("--rounds", type=int, help="override the number of rounds")
    parser.add_argument("--duration", type=int, help="override the seconds per round")
    args = parser.parse_args()
    wrk = ensure_wrk()
    if wrk is None:
        print("wrk is missing and installing it needs root and apt-get", file=sys.stderr)
        return 2
    plan = Plan(
        wrk=wrk,
        loops=args.loops,
        names=args.servers,
        rounds=args.rounds or (QUICK_ROUNDS if args.quick else FULL_ROUNDS),
        seconds=args.duration or (QUICK_SECONDS if args.quick else FULL_SECONDS),
        warmup=QUICK_WARMUP_SECONDS if args.quick else FULL_WARMUP_SECONDS,
        pin=shutil.which("taskset") is not None and (os.cpu_count() or 1) > 1,
    )
    results = Results()
    with tempfile.TemporaryDirectory(prefix="bench-server-") as logs:
        for loop in plan.loops:
            measure_loop(results, plan, loop, Path(logs))

    placement = (
        f"server on core {SERVER_CORE}, wrk on core {WRK_CORE} (taskset)"
        if plan.pin
        else "unpinned (needs taskset and two cores)"
    )
    print(
        f"wrk, {CONNECTIONS} connections, {placement}; medians of {plan.rounds} rounds of "
        f"{plan.seconds} s after a {plan.warmup} s warm-up; RSS is the highest sampled after "
        f"each round. {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{datetime.date.today().isoformat()}.\n"
    )
    print("\n".join(render_table(results, plan)))
    titles = ", ".join(f"{name} = {SERVERS[name].title}" for name in plan.names)
    print(f"\n{titles}; ratios in parentheses are to aiohttp's figure.\n")
    print("\n".join(render_targets(results, plan)))
    notes = render_notes(results, plan)
    if notes:
        print("\n" + "\n".join(notes))
    # Without the baseline the ratios mean nothing: that is a failed run, not a missed target.
    baseline_failed = any((loop, BASELINE) in results.unavailable for loop in plan.loops)
    return 1 if baseline_failed else 0


if __name__ == "__main__":
    sys.exit(main())
