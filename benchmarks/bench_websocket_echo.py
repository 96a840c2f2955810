"""WebSocket echo round trips: transom.web against aiohttp.web, websockets and raw asyncio.

Each server echoes text messages at ``/`` (``benchmarks/servers/ws_*_app.py``),
in one process on 127.0.0.1 pinned to core 0, on asyncio's loop and, when
installed, on uvloop. The load client runs in this process pinned to core 1:
one bare ``asyncio.Protocol`` per connection that does the opening handshake
by hand and then sends a 32-byte text frame masked once, before the timing
starts, so the client does as little as it can per message. Each connection
keeps exactly one message in flight: it sends the next frame as soon as the
echo of the last has come back, and the round trips of all connections are
counted for a fixed time after a short warm-up. Permessage-deflate is never
offered and no server sends heartbeats.

Rounds are interleaved across the servers so outside load does not land on one
server only, after a warm-up round whose figures are dropped. A first table
per loop gives the median messages per second for 1 and 16 connections and
the ratios of transom's figure to the others'. A second gives the server's CPU
time per message, read from ``/proc`` around each timed window: it moves far
less than the rate when other processes share the cores, so it is the figure
to compare on a busy machine. Then whether each target (on asyncio's loop) is
met. Before timing, every server must echo one non-ASCII text message exactly
and accept the handshake without extensions; a server that fails, or dies
under load, shows ``n/a`` with the reason below. Timings are reported, never
asserted: a missed target exits 0.

The raw server (``ws_raw_app.py``) is a reference, not a rival: the least a
Python asyncio server can do per message. It checks nothing, not even UTF-8
in text, and keeps no per-message state.

Usage: ``python benchmarks/bench_websocket_echo.py [--quick] [--loops asyncio,uvloop]
[--servers transom,aiohttp,websockets,raw] [--connections 1,16] [--rounds N]
[--duration SECONDS] [--client-loop asyncio|uvloop]``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime
import functools
import hashlib
import importlib.util
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

# Run by path, only this folder is on sys.path: the repository root makes the
# shared harness importable by its package name.
sys.path.append(str(Path(__file__).resolve().parents[1]))
import benchmarks._harness as harness
from benchmarks._harness import HOST, ServerKind, Unavailable
from benchmarks.servers._serving import loop_factory

SERVER_CORE = 0
CLIENT_CORE = 1
CONNECTION_COUNTS = (1, 16)
FULL_ROUNDS, FULL_SECONDS, FULL_WARMUP_SECONDS = 5, 5.0, 2.0
QUICK_ROUNDS, QUICK_SECONDS, QUICK_WARMUP_SECONDS = 2, 1.5, 0.5
# Every timed run starts with this much unmeasured load on its fresh connections.
RAMP_SECONDS = 0.3
# Opening or closing every connection of a run, and the last echoes' return.
CONNECT_TIMEOUT = 10.0
SETTLE_TIMEOUT = 5.0
# A run stops sending once its connections have made this many round trips together.
MAX_ROUND_TRIPS = 50_000_000
BASELINE = "aiohttp"
LOOPS = ("asyncio", "uvloop")
# The targets hold on asyncio's own loop; the uvloop table is for information.
TARGET_LOOP = "asyncio"
TARGETS = (  # (connections, other server, lowest transom/other ratio)
    (16, "aiohttp", 1.3),
    (16, "raw", 0.8),
)
RATIOS = ("aiohttp", "websockets", "raw")

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MESSAGE = b"0123456789abcdefghijklmnopqrstuv"
CHECK_MESSAGE = "echo check: h\u00e9llo w\u00f6rld \u2713".encode()
MASK = b"\x37\xfa\x21\x3d"
OP_TEXT, OP_CLOSE = 0x1, 0x8


SERVERS = {
    kind.name: kind
    for kind in (
        ServerKind("transom", "transom.web", "ws_transom_app.py"),
        ServerKind("aiohttp", "aiohttp.web", "ws_aiohttp_app.py"),
        ServerKind("websockets", "websockets", "ws_websockets_app.py"),
        ServerKind("raw", "raw asyncio", "ws_raw_app.py"),
    )
}


# -- frames and the handshake ----------------------------------------------------------


def masked_frame(opcode: int, payload: bytes, mask: bytes = MASK) -> bytes:
    """A final client frame: ``opcode``, ``payload`` masked with the 4-byte ``mask``."""
    size = len(payload)
    if size < 126:
        header = bytes((0x80 | opcode, 0x80 | size))
    elif size < 65536:
        header = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
    key = (mask * (size // 4 + 1))[:size]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")
    return header + mask + masked


def unmasked_frame(opcode: int, payload: bytes) -> bytes:
    """A final server frame of fewer than 126 bytes: what an echo must send back."""
    assert len(payload) < 126
    return bytes((0x80 | opcode, len(payload))) + payload


REQUEST_FRAME = masked_frame(OP_TEXT, MESSAGE)
REPLY_FRAME = unmasked_frame(OP_TEXT, MESSAGE)
CLOSE_FRAME = masked_frame(OP_CLOSE, (1000).to_bytes(2, "big"))


def handshake(port: int) -> tuple[bytes, bytes]:
    """An opening handshake request with a fresh key, and the accept value it calls for."""
    key = base64.b64encode(os.urandom(16))
    request = (
        (
            f"GET / HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
        ).encode()
        + key
        + b"\r\n\r\n"
    )
    return request, base64.b64encode(hashlib.sha1(key + GUID).digest())


def handshake_error(head: bytes, accept: bytes) -> str | None:
    """What is wrong with a handshake response head (without its blank line), if anything."""
    lines = head.split(b"\r\n")
    if not lines[0].startswith(b"HTTP/1.1 101"):
        return f"the handshake was answered {lines[0][:80]!r}"
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if headers.get(b"sec-websocket-accept") != accept:
        return f"wrong Sec-WebSocket-Accept {headers.get(b'sec-websocket-accept')!r}"
    if b"sec-websocket-extensions" in headers:
        return f"unrequested extensions {headers[b'sec-websocket-extensions']!r}"
    return None


# -- the load client ---------------------------------------------------------------------


@dataclass
class Load:
    """What every connection of one run shares: whether to keep sending, and the budget."""

    sending: bool = False
    remaining: int = MAX_ROUND_TRIPS


class EchoClient(asyncio.Protocol):
    """One connection: the handshake, then one pre-masked message in flight at a time.

    The common case, a read holding exactly the expected echo frame, costs one
    bytes comparison and one write; anything else goes through a small frame
    parser that accepts only the expected echo and a close frame.
    """

    def __init__(self, load: Load, request: bytes, accept: bytes) -> None:
        self.load = load
        self.round_trips = 0
        self.error: str | None = None
        self._request = request
        self._accept = accept
        self._transport: asyncio.Transport | None = None
        self._buffer = b""
        self._open = False
        self._in_flight = False
        self._closing = False
        loop = asyncio.get_running_loop()
        self._opened: asyncio.Future[None] = loop.create_future()
        self._idle: asyncio.Future[None] = loop.create_future()
        self._closed: asyncio.Future[None] = loop.create_future()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport, though uvloop's is no subclass of asyncio.Transport.
        self._transport = cast("asyncio.Transport", transport)
        self._transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        if self._in_flight and not self._buffer and data == REPLY_FRAME:
            self._echoed()
            return
        self._buffer += data
        if not self._open:
            self._read_handshake()
        if self._open:
            self._read_frames()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._closing and self.error is None:
            self.error = f"the server closed the connection ({exc or 'EOF'})"
        self._wake(self._opened, self._idle, self._closed)

    # the run's steps

    async def opened(self) -> None:
        """Wait for the handshake's end; :attr:`error` says whether it succeeded."""
        await self._opened

    def start(self) -> None:
        """Send the first message."""
        self._send()

    async def idle(self) -> None:
        """Wait until no message is in flight (call once ``load.sending`` is off)."""
        if self._in_flight and self.error is None:
            await self._idle

    async def close(self) -> None:
        """Send a close frame, wait for the server's, then close the connection."""
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        self._closing = True
        transport.write(CLOSE_FRAME)
        try:
            await asyncio.wait_for(asyncio.shield(self._closed), SETTLE_TIMEOUT)
        except TimeoutError:
            pass
        transport.close()

    # internals

    def _send(self) -> None:
        load = self.load
        if load.sending and load.remaining > 0 and self._transport is not None:
            load.remaining -= 1
            self._in_flight = True
            self._transport.write(REQUEST_FRAME)
        else:
            self._in_flight = False
            self._wake(self._idle)

    def _echoed(self) -> None:
        self.round_trips += 1
        self._send()

    def _read_handshake(self) -> None:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > 65536:
                self._fail("no end to the handshake response in 64 KiB")
            return
        error = handshake_error(self._buffer[:end], self._accept)
        if error is not None:
            self._fail(error)
            return
        self._buffer = self._buffer[end + 4 :]
        self._open = True
        self._wake(self._opened)

    def _read_frames(self) -> None:
        # Bounded: each pass consumes one complete frame from the buffer.
        while len(self._buffer) >= 2:
            first, length = self._buffer[0], self._buffer[1]
            if length >= 126:
                self._fail(f"unexpected frame header {self._buffer[:2]!r}")
                return
            if len(self._buffer) < 2 + length:
                return
            frame, self._buffer = self._buffer[: 2 + length], self._buffer[2 + length :]
            if frame == REPLY_FRAME and self._in_flight:
                self._echoed()
            elif first == 0x80 | OP_CLOSE and self._closing:
                self._wake(self._closed)
            else:
                self._fail(f"unexpected frame {frame[:40]!r}")
                return

    def _fail(self, error: str) -> None:
        if self.error is None:
            self.error = error
        self._wake(self._opened, self._idle, self._closed)
        if self._transport is not None:
            self._transport.close()

    @staticmethod
    def _wake(*futures: asyncio.Future[None]) -> None:
        for future in futures:
            if not future.done():
                future.set_result(None)


@dataclass(frozen=True)
class RunResult:
    """What one timed run measured: round trips, and the CPU time each side used meanwhile."""

    round_trips: int
    seconds: float
    client_cpu_seconds: float
    server_cpu_seconds: float | None

    @property
    def messages_per_second(self) -> float:
        return self.round_trips / self.seconds

    @property
    def client_cpu(self) -> float:
        """The share of the timed window the client was running."""
        return self.client_cpu_seconds / self.seconds

    @property
    def server_cpu(self) -> float | None:
        """The share of the timed window the server was running, when known."""
        return None if self.server_cpu_seconds is None else self.server_cpu_seconds / self.seconds

    @property
    def server_us_per_message(self) -> float | None:
        """The server's CPU time per echoed message in microseconds, when known.

        Unlike the rate, this barely moves when other processes share the
        server's core, so it compares servers on a busy machine too.
        """
        if self.server_cpu_seconds is None:
            return None
        return self.server_cpu_seconds / self.round_trips * 1e6


async def run_load(
    port: int, connections: int, seconds: float, server_cpu: Callable[[], float | None]
) -> RunResult:
    """Open ``connections`` connections, load them for ``seconds``, close them.

    ``server_cpu`` reads the CPU seconds the server has used so far, so that the
    result can say how much of it the timed window took, as it does for the client.

    Raises:
        Unavailable: A connection failed, or no echo came back in the whole run.
    """
    loop = asyncio.get_running_loop()
    load = Load()
    clients: list[EchoClient] = []
    try:
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                for _ in range(connections):
                    request, accept = handshake(port)
                    factory = functools.partial(EchoClient, load, request, accept)
                    _, client = await loop.create_connection(factory, HOST, port)
                    clients.append(client)
                for client in clients:
                    await client.opened()
        except (OSError, TimeoutError) as exc:
            raise Unavailable(f"connecting failed: {exc!r}") from None
        _raise_errors(clients)
        load.sending = True
        for client in clients:
            client.start()
        await asyncio.sleep(RAMP_SECONDS)
        count, started, cpu = _round_trips(clients), time.perf_counter(), time.process_time()
        busy = server_cpu()
        await asyncio.sleep(seconds)
        count = _round_trips(clients) - count
        cpu = time.process_time() - cpu
        busy_after = server_cpu()
        elapsed = time.perf_counter() - started
        server_seconds = None if busy is None or busy_after is None else busy_after - busy
        load.sending = False
        _raise_errors(clients)
        try:
            async with asyncio.timeout(SETTLE_TIMEOUT):
                for client in clients:
                    await client.idle()
        except TimeoutError:
            raise Unavailable(
                f"echoes still missing {SETTLE_TIMEOUT:.0f} s after the run"
            ) from None
        _raise_errors(clients)
        if not count:
            raise Unavailable(f"no echo in {seconds:g} s")
        return RunResult(count, elapsed, cpu, server_seconds)
    finally:
        load.sending = False
        await asyncio.gather(*(client.close() for client in clients))


def _round_trips(clients: list[EchoClient]) -> int:
    return sum(client.round_trips for client in clients)


def _raise_errors(clients: list[EchoClient]) -> None:
    errors = {client.error for client in clients if client.error is not None}
    if errors:
        raise Unavailable("; ".join(sorted(errors))[:300])


# -- the servers ---------------------------------------------------------------------


def can_pin() -> bool:
    """Whether this machine lets processes be pinned to the two cores used."""
    return hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1


class ServerProcess(harness.AppProcess):
    """One server app running in a subprocess, pinned to the server core by its CPU affinity."""

    def start(self) -> None:
        """Start the app, wait until it accepts connections and check that it echoes.

        Raises:
            Unavailable: It exited, never listened, or did not echo a message exactly.
        """
        process = self.launch(self.command())
        if self.pin:
            os.sched_setaffinity(process.pid, {SERVER_CORE})
        self.wait_listening()
        try:
            self._check_echo()
        except (OSError, Unavailable) as exc:
            raise Unavailable(f"echo check: {exc}; the server logged {self.last_error()}") from None

    def _check_echo(self) -> None:
        """Handshake, one non-ASCII text message, its exact echo, the close handshake."""
        request, accept = handshake(self.port)
        with socket.create_connection((HOST, self.port), timeout=harness.CHECK_TIMEOUT) as sock:
            sock.sendall(request)
            data = _receive_until(sock, b"", lambda data: b"\r\n\r\n" in data)
            head, _, rest = data.partition(b"\r\n\r\n")
            error = handshake_error(head, accept)
            if error is not None:
                raise Unavailable(error)
            sock.sendall(masked_frame(OP_TEXT, CHECK_MESSAGE))
            expected = unmasked_frame(OP_TEXT, CHECK_MESSAGE)
            data = _receive_until(sock, rest, lambda data: len(data) >= len(expected))
            if data != expected:
                raise Unavailable(f"sent {CHECK_MESSAGE!r}, received the frame {data[:60]!r}")
            sock.sendall(CLOSE_FRAME)
            data = _receive_until(sock, b"", lambda data: len(data) >= 2)
            if data[0] != 0x80 | OP_CLOSE:
                raise Unavailable(f"a close frame was answered with {data[:20]!r}")

    def cpu_seconds(self) -> float | None:
        """User plus system CPU time the server has used so far, when readable."""
        if self.process is None:
            return None
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _receive_until(sock: socket.socket, data: bytes, done: Callable[[bytes], bool]) -> bytes:
    """``data`` and what ``sock`` sends next until ``done(data)``; bounded by 64 KiB."""
    while not done(data):
        chunk = sock.recv(65536)
        if not chunk:
            raise Unavailable(f"the server closed the connection after {data[:60]!r}")
        data += chunk
        if len(data) > 65536:
            raise Unavailable(f"more than 64 KiB without the expected answer: {data[:60]!r}")
    return data


# -- the measurement -----------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What to run: the loops, servers and connection counts, rounds and durations, pinning."""

    loops: list[str]
    names: list[str]
    connections: list[int]
    rounds: int
    seconds: float
    warmup: float
    pin: bool


@dataclass
class Cell:
    """Every round of one (loop, server, connection count)."""

    rates: list[float] = field(default_factory=list)
    client_cpu: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)
    server_us: list[float] = field(default_factory=list)


@dataclass
class Results:
    """Measured cells, and why any (loop, server) could not be measured."""

    cells: dict[tuple[str, str, int], Cell] = field(default_factory=dict)
    unavailable: dict[tuple[str, str], str] = field(default_factory=dict)

    def rate(self, loop: str, server: str, connections: int, name: str = "rates") -> float | None:
        """The median messages per second (or of the ``Cell`` list ``name``), if measured."""
        cell = self.cells.get((loop, server, connections))
        samples: list[float] = [] if cell is None else getattr(cell, name)
        if (loop, server) in self.unavailable or not samples:
            return None
        return statistics.median(samples)

    def ratio(self, loop: str, server: str, other: str, connections: int) -> float | None:
        """``server``'s median messages per second over ``other``'s."""
        ours, theirs = self.rate(loop, server, connections), self.rate(loop, other, connections)
        return ours / theirs if ours is not None and theirs else None


def measure_loop(
    results: Results, plan: Plan, loop: str, logs: Path, runner: asyncio.Runner
) -> None:
    """Start every server on ``loop``, warm each up, then run interleaved rounds."""
    kinds = [SERVERS[name] for name in plan.names]
    with harness.running_servers(
        ServerProcess, kinds, loop, plan.pin, logs, results.unavailable
    ) as running:
        for round_index, connections, server in harness.interleaved(
            running, plan.connections, plan.rounds
        ):
            if (loop, server.kind.name) not in results.unavailable:
                _load(results, plan, server, connections, round_index, runner)


def _load(
    results: Results,
    plan: Plan,
    server: ServerProcess,
    connections: int,
    round_index: int,
    runner: asyncio.Runner,
) -> None:
    """One timed run; round -1 is the warm-up, whose figures are dropped."""
    name, loop = server.kind.name, server.loop
    seconds = plan.warmup if round_index < 0 else plan.seconds
    try:
        result = runner.run(run_load(server.port, connections, seconds, server.cpu_seconds))
        server.ensure_alive()
    except Unavailable as exc:
        try:
            server.ensure_alive()
        except Unavailable as died:
            why = str(died)
        else:
            why = f"{exc}; the server logged {server.last_error()}"
        results.unavailable[(loop, name)] = f"under load with {connections} connection(s): {why}"
        harness.log(f"[{loop}] {name}: unavailable: {why}")
        return
    busy = "" if result.server_cpu is None else f", server CPU {result.server_cpu:.0%}"
    stage = "warm-up" if round_index < 0 else f"round {round_index + 1}"
    harness.log(
        f"[{loop}] {stage} {name} x{connections}: {result.messages_per_second:,.0f} msg/s, "
        f"client CPU {result.client_cpu:.0%}{busy}"
    )
    if round_index < 0:
        return
    cell = results.cells.setdefault((loop, name, connections), Cell())
    cell.rates.append(result.messages_per_second)
    cell.client_cpu.append(result.client_cpu)
    if result.server_cpu is not None and result.server_us_per_message is not None:
        cell.server_cpu.append(result.server_cpu)
        cell.server_us.append(result.server_us_per_message)


# -- the report ----------------------------------------------------------------------


def render_table(results: Results, plan: Plan, loop: str) -> list[str]:
    """The markdown table of one loop: one row per connection count."""
    names = plan.names
    others = [name for name in RATIOS if name in names] if "transom" in names else []
    header = ["connections", *(f"msg/s {name}" for name in names)]
    header += [f"transom/{name}" for name in others]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for connections in plan.connections:
        row = [str(connections)]
        for name in names:
            rate = results.rate(loop, name, connections)
            row.append("n/a" if rate is None else f"{rate:,.0f}")
        for name in others:
            ratio = results.ratio(loop, "transom", name, connections)
            row.append("n/a" if ratio is None else f"**{ratio:.2f}x**")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def render_cpu_table(results: Results, plan: Plan, loop: str) -> list[str]:
    """The server's CPU time per message, and the share of the window it was running."""
    header = ["connections", *(f"{name} us/msg (busy)" for name in plan.names)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for connections in plan.connections:
        row = [str(connections)]
        for name in plan.names:
            cost = results.rate(loop, name, connections, "server_us")
            busy = results.rate(loop, name, connections, "server_cpu")
            row.append("n/a" if cost is None or busy is None else f"{cost:.1f} ({busy:.0%})")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def render_targets(results: Results, plan: Plan) -> list[str]:
    """One line per target: met, NOT met, or not measured, with the ratio."""
    lines = []
    loop = TARGET_LOOP
    for connections, other, target in TARGETS:
        claim = (
            f"- transom msg/s >= {target:g}x {SERVERS[other].title}'s with "
            f"{connections} connections under {loop}"
        )
        selected = loop in plan.loops and connections in plan.connections
        if not selected or not {"transom", other} <= set(plan.names):
            lines.append(f"{claim}: not measured (not selected)")
            continue
        ratio = results.ratio(loop, "transom", other, connections)
        if ratio is None:
            missing = [name for name in ("transom", other) if (loop, name) in results.unavailable]
            why = ", ".join(missing) + " unavailable, see below" if missing else "no figure"
            lines.append(f"{claim}: not measured ({why})")
            continue
        verdict = "met" if ratio >= target else "NOT met"
        lines.append(f"{claim}: {verdict} ({ratio:.2f}x)")
    return lines


def render_notes(results: Results, plan: Plan) -> list[str]:
    """CPU use, how noisy the rounds were, and unavailable servers and why."""
    lines = []
    client = [(max(cell.client_cpu), key) for key, cell in results.cells.items() if cell.client_cpu]
    if client:
        # Near 100%, the client rather than the server would set the pace of that run.
        highest, (loop, name, connections) = max(client)
        lines.append(
            f"- load client CPU use: at most {highest:.0%} of its core in a timed run "
            f"({name}, {connections} connection(s), {loop})"
        )
    # Outside load only ever slows a round down, so a wide spread flags a disturbed run.
    for loop in plan.loops:
        spreads = [
            ((max(cell.rates) - min(cell.rates)) / statistics.median(cell.rates), key)
            for key, cell in results.cells.items()
            if key[0] == loop and len(cell.rates) > 1 and min(cell.rates) > 0
        ]
        if spreads:
            widest, (_, name, connections) = max(spreads)
            typical = statistics.median(spread for spread, _ in spreads)
            lines.append(
                f"- noise under {loop}: between rounds, msg/s varied by {typical:.0%} of the "
                f"median in a typical cell, {widest:.0%} at worst ({name}, {connections} "
                "connection(s))"
            )
    lines += harness.unavailable_notes(results.unavailable, SERVERS, plan.loops, plan.names)
    return lines


# -- main ----------------------------------------------------------------------------


def _counts(value: str) -> list[int]:
    try:
        counts = sorted({int(item) for item in value.split(",") if item.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of integers") from None
    if not counts or not all(1 <= count <= 1024 for count in counts):
        raise argparse.ArgumentTypeError("connection counts run from 1 to 1024")
    return counts


def main() -> int:
    has_uvloop = importlib.util.find_spec("uvloop") is not None
    loops = list(LOOPS) if has_uvloop else ["asyncio"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_ROUNDS} rounds of {QUICK_SECONDS:g} s"
    )
    parser.add_argument("--loops", type=harness.choices(list(LOOPS)), default=loops)
    parser.add_argument("--servers", type=harness.choices(list(SERVERS)), default=list(SERVERS))
    parser.add_argument("--connections", type=_counts, default=list(CONNECTION_COUNTS))
    parser.add_argument("--rounds", type=int, help="override the number of rounds")
    parser.add_argument("--duration", type=float, help="override the seconds per round")
    parser.add_argument(
        "--client-loop",
        choices=LOOPS,
        default="uvloop" if has_uvloop else "asyncio",
        help="the load client's loop (default: uvloop when installed, the lighter client)",
    )
    args = parser.parse_args()
    if not has_uvloop and ("uvloop" in args.loops or args.client_loop == "uvloop"):
        print("uvloop is not installed", file=sys.stderr)
        return 2
    plan = Plan(
        loops=args.loops,
        names=args.servers,
        connections=args.connections,
        rounds=max(1, args.rounds or (QUICK_ROUNDS if args.quick else FULL_ROUNDS)),
        seconds=min(
            60.0, max(0.1, args.duration or (QUICK_SECONDS if args.quick else FULL_SECONDS))
        ),
        warmup=QUICK_WARMUP_SECONDS if args.quick else FULL_WARMUP_SECONDS,
        pin=can_pin(),
    )
    if plan.pin:
        os.sched_setaffinity(0, {CLIENT_CORE})
    results = Results()
    with (
        tempfile.TemporaryDirectory(prefix="bench-ws-echo-") as logs,
        asyncio.Runner(loop_factory=loop_factory(args.client_loop)) as runner,
    ):
        for loop in plan.loops:
            measure_loop(results, plan, loop, Path(logs), runner)

    placement = (
        f"server on core {SERVER_CORE}, client on core {CLIENT_CORE} (sched_setaffinity)"
        if plan.pin
        else "unpinned (needs two cores)"
    )
    print(
        f"Echo of {len(MESSAGE)}-byte text messages, one in flight per connection; load client "
        f"on {args.client_loop}, {placement}; medians of {plan.rounds} rounds of "
        f"{plan.seconds:g} s after a {plan.warmup:g} s warm-up. {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {datetime.date.today().isoformat()}."
    )
    for loop in plan.loops:
        print(f"\nServers on {loop}, messages per second (medians):\n")
        print("\n".join(render_table(results, plan, loop)))
    titles = ", ".join(f"{name} = {SERVERS[name].title}" for name in plan.names)
    ratios = "; transom/X is transom's figure over X's" if "transom" in plan.names else ""
    print(f"\n{titles}{ratios}.")
    for loop in plan.loops:
        print(
            f"\nServers on {loop}, server CPU time per message in microseconds (medians; in "
            "parentheses the share of the timed window the server was running, below 100% "
            "when it waited for the client or shared its core):\n"
        )
        print("\n".join(render_cpu_table(results, plan, loop)))
    print()
    print("\n".join(render_targets(results, plan)))
    notes = render_notes(results, plan)
    if notes:
        print("\n" + "\n".join(notes))
    # Without the baseline the ratios mean nothing: that is a failed run, not a missed target.
    baseline_failed = BASELINE in plan.names and any(
        (loop, BASELINE) in results.unavailable for loop in plan.loops
    )
    return 1 if baseline_failed else 0


if __name__ == "__main__":
    sys.exit(main())
