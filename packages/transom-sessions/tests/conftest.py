"""Fixtures: the counter application, and a real redis-server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from transom.sessions import AbstractStorage, get_session, setup
from transom.testing import unused_port
from transom.web import Application, Request, Response

# Bounds on waiting for redis-server: it is ready in milliseconds on an idle
# machine; the margin is for a loaded CI runner.
_REDIS_START_TIMEOUT = 10.0
_REDIS_STOP_TIMEOUT = 10.0
_POLL_INTERVAL = 0.02


def _counter_app(storage: AbstractStorage) -> Application:
    async def count(request: Request) -> Response:
        session = await get_session(request)
        session["count"] = session.get("count", 0) + 1
        return Response(text=str(session["count"]))

    app = Application()
    setup(app, storage)
    app.router.add_get("/", count)
    return app


@pytest.fixture
def counter_app() -> Callable[[AbstractStorage], Application]:
    """Build the counter example: ``GET /`` counts the client's visits in its session."""
    return _counter_app


class RedisServer:
    """A redis-server process on a loopback port, which tests may stop and restart."""

    def __init__(self, executable: str, directory: Path) -> None:
        self._executable = executable
        self._directory = directory
        self.port = unused_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The ``redis://`` URL of the server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server on :attr:`port` and wait until it answers PING."""
        self._process = subprocess.Popen(
            [
                self._executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self._directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + _REDIS_START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                pytest.fail(f"redis-server exited with status {self._process.returncode}")
            if _answers_ping(self.port):
                return
            time.sleep(_POLL_INTERVAL)
        self.stop()
        pytest.fail(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        """Terminate the server process (by its PID) and wait for it to exit."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=_REDIS_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=_REDIS_STOP_TIMEOUT)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A running redis-server on a free loopback port, always stopped at teardown.

    A missing ``redis-server`` binary fails the test: the Redis storage is only
    tested against the real server (Debian package ``redis-server``).
    """
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail("redis-server is not installed (Debian package: redis-server)")
    server = RedisServer(executable, tmp_path)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(64).startswith(b"+PONG")
    except OSError:
        return False
