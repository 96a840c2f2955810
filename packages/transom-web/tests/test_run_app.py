"""``run_app`` in a real process: serving, graceful stop on signals, loops."""

from __future__ import annotations

import asyncio
import signal
import textwrap
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from transom.web._run_app import choose_loop_factory

if TYPE_CHECKING:
    from tests.conftest import Spawn

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from transom.web import Application, Response, run_app

    async def hello(request):
        return Response(text="hello")

    async def slow(request):
        print("handler started", flush=True)
        await asyncio.sleep(0.5)
        return Response(text="slow done")

    async def make_app():
        app = Application()
        app.router.add_get("/", hello)
        app.router.add_get("/slow", slow)

        async def on_shutdown(app):
            print("on_shutdown ran", flush=True)

        async def on_cleanup(app):
            print("on_cleanup ran", flush=True)

        app.on_shutdown.append(on_shutdown)
        app.on_cleanup.append(on_cleanup)
        return app

    run_app(make_app(), host="127.0.0.1", port=0, shutdown_timeout=5)
    print("run_app returned", flush=True)
    """
)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "serve.py"
    path.write_text(SCRIPT)
    return path


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_server_gracefully(spawn: Spawn, script: Path, signum: int) -> None:
    server = spawn(str(script))
    assert httpx.get(server.url("/")).text == "hello"
    output = server.stop(signum)
    assert server.process.returncode == 0
    assert output.index("on_shutdown ran") < output.index("on_cleanup ran")
    assert output.rstrip().endswith("run_app returned")


def test_an_in_flight_request_finishes_after_sigterm(spawn: Spawn, script: Path) -> None:
    server = spawn(str(script))
    results: list[httpx.Response | Exception] = []

    def fetch() -> None:
        try:
            results.append(httpx.get(server.url("/slow")))
        except Exception as exc:
            results.append(exc)

    client = threading.Thread(target=fetch)
    client.start()
    stdout = server.process.stdout
    assert stdout is not None
    while "handler started" not in stdout.readline():
        pass
    output = server.stop(signal.SIGTERM)
    client.join(10)
    response = results[0]
    assert isinstance(response, httpx.Response)
    assert response.text == "slow done"
    assert "on_cleanup ran" in output
    assert server.process.returncode == 0


def test_choose_loop_factory_picks_uvloop_only_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvloop

    monkeypatch.delenv("TRANSOM_LOOP", raising=False)
    assert choose_loop_factory() is None
    assert choose_loop_factory("uvloop") is uvloop.new_event_loop
    monkeypatch.setenv("TRANSOM_LOOP", "uvloop")
    assert choose_loop_factory() is uvloop.new_event_loop
    factory = choose_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def test_an_unknown_loop_name_falls_back_to_asyncio(caplog: pytest.LogCaptureFixture) -> None:
    assert choose_loop_factory("tokio") is None
    assert "unknown event loop" in caplog.text


def test_run_app_on_a_given_loop_serves_until_interrupted(tmp_path: Path) -> None:
    """``loop=`` runs on that loop; a KeyboardInterrupt ends it after cleanup."""
    from transom.web import Application, Request, Response, run_app

    cleaned: list[str] = []
    app = Application()

    async def hello(request: Request) -> Response:
        return Response(text="hi")

    async def on_cleanup(app: Application) -> None:
        cleaned.append("yes")

    app.router.add_get("/", hello)
    app.on_cleanup.append(on_cleanup)
    loop = asyncio.new_event_loop()

    def interrupt() -> None:
        raise KeyboardInterrupt

    loop.call_later(0.2, interrupt)
    try:
        run_app(app, host="127.0.0.1", port=0, loop=loop, print=None, handle_signals=False)
    finally:
        loop.close()
    assert cleaned == ["yes"]


RUNNER_SCRIPT = textwrap.dedent(
    """
    import asyncio
    from transom.web import AppRunner, Application, GracefulExit, TCPSite

    async def main():
        runner = AppRunner(Application(), handle_signals=True)
        await runner.setup()
        site = TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(f"Running on {site.name}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
            print("cleaned up", flush=True)

    try:
        asyncio.run(main())
    except GracefulExit:
        print("graceful exit", flush=True)
    """
)


def test_a_runner_handling_signals_raises_graceful_exit(spawn: Spawn, tmp_path: Path) -> None:
    script = tmp_path / "runner.py"
    script.write_text(RUNNER_SCRIPT)
    server = spawn(str(script))
    assert httpx.get(server.url("/")).status_code == 404
    output = server.stop(signal.SIGTERM)
    assert output.split() == ["cleaned", "up", "graceful", "exit"]
    assert server.process.returncode == 0
