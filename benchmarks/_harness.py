"""What the server benchmarks share: app processes, rounds across servers, reasons and notes.

``bench_server.py`` and ``bench_websocket_echo.py`` each start the apps of
``servers/`` in subprocesses, load them in interleaved rounds and report a
server that cannot be measured as unavailable, with the reason. This module
holds those common parts; each script keeps what it measures, how it checks
an app's answers, and how it pins the app to a core.

A script makes this module importable by its package name first, with the
repository root on ``sys.path`` (run by path, only ``benchmarks/`` is there).
"""

from __future__ import annotations

import argparse
import re
import signal
import socket
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

from benchmarks.servers._serving import HOST as HOST

SERVERS_DIR = Path(__file__).resolve().parent / "servers"
# Generous bounds: a server importing a large framework on a busy machine can
# take seconds to listen; one that takes longer is reported, not waited for.
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
CHECK_TIMEOUT = 5.0
# Leading directories of a traceback's file names, left out of the reasons shown.
_DIRECTORIES = re.compile(r"/\S*/")


@dataclass(frozen=True)
class ServerKind:
    """A server under test: its short name, the table's name for it, its app script."""

    name: str
    title: str
    script: str


class Unavailable(Exception):
    """A server cannot be measured; the message says why, in one line."""


def free_port() -> int:
    """A TCP port on ``HOST`` that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def log(message: str) -> None:
    """A progress line on stderr: stdout carries only the report."""
    print(message, file=sys.stderr, flush=True)


@dataclass
class AppProcess(ABC):
    """One server app running in a subprocess, its output going to ``log``.

    A benchmark subclasses it with a ``start`` that calls :meth:`launch`, pins
    the process as it does, waits with :meth:`wait_listening` and checks the
    app's answers.
    """

    kind: ServerKind
    loop: str
    pin: bool
    log: IO[bytes]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @abstractmethod
    def start(self) -> None:
        """Start the app and wait until it is ready to be measured.

        Raises:
            Unavailable: It cannot be measured; the message says why.
        """

    def command(self) -> list[str]:
        """The app's command line: its script run by this interpreter, with port and loop."""
        script = SERVERS_DIR / self.kind.script
        return [sys.executable, str(script), "--port", str(self.port), "--loop", self.loop]

    def launch(self, command: list[str]) -> subprocess.Popen[bytes]:
        """Run ``command`` (:meth:`command`, perhaps wrapped) with no stdin, output to the log."""
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log
        )
        return self.process

    def wait_listening(self) -> None:
        """Return once the app accepts a connection on its port.

        Raises:
            Unavailable: It exited, or did not listen within ``STARTUP_TIMEOUT``.
        """
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            self.ensure_alive()
            try:
                socket.create_connection((HOST, self.port), timeout=0.5).close()
            except OSError:
                time.sleep(0.05)
            else:
                return
        raise Unavailable(f"not listening after {STARTUP_TIMEOUT:.0f} s")

    def ensure_alive(self) -> None:
        """Raise :class:`Unavailable` with the app's last error if it has exited."""
        if self.process is None or self.process.poll() is None:
            return
        raise Unavailable(f"exited with {self.process.returncode}: {self.last_error()}")

    def last_error(self) -> str:
        """The last exception the app logged and where it was raised, else its last line."""
        self.log.flush()
        self.log.seek(0)
        lines = [line for line in self.log.read().decode(errors="replace").splitlines() if line]
        errors = [i for i, line in enumerate(lines) if re.match(r"[\w.]+(Error|Exception)\b", line)]
        if not errors:
            return repr(lines[-1][:200]) if lines else "no output"
        frames = [line.strip() for line in lines[: errors[-1]] if line.lstrip().startswith("File")]
        where = " (" + _DIRECTORIES.sub("", frames[-1]) + ")" if frames else ""
        return repr(lines[errors[-1]][:160] + where)

    def stop(self) -> None:
        """Ask the app to stop (SIGTERM), then kill it if it has not within ``STOP_TIMEOUT``."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)


ServerT = TypeVar("ServerT", bound=AppProcess)
ItemT = TypeVar("ItemT")


@contextmanager
def running_servers(
    app_process: Callable[[ServerKind, str, bool, IO[bytes]], ServerT],
    kinds: Sequence[ServerKind],
    loop: str,
    pin: bool,
    logs: Path,
    unavailable: dict[tuple[str, str], str],
) -> Iterator[list[ServerT]]:
    """Start one app of each kind on ``loop``, in turn; stop them all and close their logs on exit.

    An app that cannot be started is stopped and its reason recorded in
    ``unavailable`` under ``(loop, name)`` (and logged); it stays in the list.

    Args:
        app_process: The benchmark's :class:`AppProcess` subclass: given the kind, the
            loop, whether to pin, and the log file ``logs/<name>-<loop>.log``.
        kinds: The apps to start, in the order they are started and listed.
        loop: The apps' event loop, ``"asyncio"`` or ``"uvloop"``.
        pin: Whether to pin the apps to the server core.
        logs: The folder of the apps' log files.
        unavailable: The reasons, by ``(loop, name)``, of the apps that cannot be measured.
    """
    running: list[ServerT] = []
    try:
        for kind in kinds:
            log_file = (logs / f"{kind.name}-{loop}.log").open("w+b")
            server = app_process(kind, loop, pin, log_file)
            running.append(server)
            try:
                server.start()
            except Unavailable as exc:
                unavailable[(loop, kind.name)] = str(exc)
                log(f"[{loop}] {kind.name}: unavailable: {exc}")
                server.stop()
        yield running
    finally:
        for server in running:
            server.stop()
            server.log.close()


def interleaved(
    running: list[ServerT], items: Sequence[ItemT], rounds: int
) -> Iterator[tuple[int, ItemT, ServerT]]:
    """``(round_index, item, server)`` for a warm-up round (index -1), then ``rounds`` rounds.

    In every round each item is loaded on each server before the next item.
    Rotating the servers' order every round spreads outside load evenly over
    them. The order is taken lazily, so the caller can skip a server that has
    become unavailable meanwhile.
    """
    for round_index in range(-1, rounds):
        shift = max(round_index, 0) % len(running)
        for item in items:
            for server in running[shift:] + running[:shift]:
                yield round_index, item, server


def unavailable_notes(
    unavailable: dict[tuple[str, str], str],
    servers: dict[str, ServerKind],
    loops: list[str],
    names: list[str],
) -> list[str]:
    """One report line per server that could not be measured, with the reason, loop by loop."""
    return [
        f"- {servers[name].title} under {loop}: unavailable: {unavailable[(loop, name)]}"
        for loop in loops
        for name in names
        if (loop, name) in unavailable
    ]


def choices(allowed: list[str]) -> Callable[[str], list[str]]:
    """An argparse ``type``: a comma-separated subset of ``allowed``, kept in its order."""

    def parse(value: str) -> list[str]:
        chosen = [item.strip() for item in value.split(",") if item.strip()]
        if not chosen or any(item not in allowed for item in chosen):
            raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}")
        return [item for item in allowed if item in chosen]

    return parse
