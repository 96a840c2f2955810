"""``python -m transom.web module:factory`` as a command."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from transom.web.__main__ import main

if TYPE_CHECKING:
    from tests.conftest import Spawn

ENTRY_POINTS = textwrap.dedent(
    """
    from transom.web import Application, AppKey, Response

    GREETING = AppKey("greeting", str)

    async def hello(request):
        return Response(text=request.app[GREETING])

    def build(greeting):
        app = Application()
        app[GREETING] = greeting
        app.router.add_get("/", hello)
        return app

    instance = build("instance")

    async def async_factory():
        return build("async factory")

    def argv_factory(argv):
        return build("argv " + " ".join(argv))

    def not_an_app():
        return 42
    """
)


@pytest.fixture
def entry_points(tmp_path: Path) -> Path:
    (tmp_path / "entry_points.py").write_text(ENTRY_POINTS)
    return tmp_path


def test_the_hello_example_serves_text_and_json(spawn: Spawn) -> None:
    server = spawn("-m", "transom.web", "examples.hello:create_app", "--port", "0")
    assert server.base_url.startswith("http://127.0.0.1:")
    assert httpx.get(server.url("/")).text == "Hello, world!"
    assert httpx.get(server.url("/json")).json() == {"message": "Hello, world!"}
    server.stop(signal.SIGINT)
    assert server.process.returncode == 0


@pytest.mark.parametrize(
    ("entry_point", "extra", "greeting"),
    [
        ("entry_points:instance", [], "instance"),
        ("entry_points:async_factory", [], "async factory"),
        ("entry_points:argv_factory", ["a", "b"], "argv a b"),
    ],
)
def test_an_instance_or_a_factory_is_served(
    spawn: Spawn, entry_points: Path, entry_point: str, extra: list[str], greeting: str
) -> None:
    server = spawn(
        "-m", "transom.web", entry_point, "--port", "0", "--uvloop", *extra, cwd=entry_points
    )
    assert httpx.get(server.url("/")).text == greeting
    server.stop(signal.SIGTERM)
    assert server.process.returncode == 0


def test_a_unix_socket_path(spawn: Spawn, entry_points: Path) -> None:
    path = entry_points / "app.sock"
    server = spawn(
        "-m", "transom.web", "entry_points:instance", "--path", str(path), cwd=entry_points
    )
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(path))) as client:
        assert client.get("http://localhost/").text == "instance"
    server.stop()


@pytest.mark.parametrize(
    ("entry_point", "message"),
    [
        ("no_colon", "expected module:factory"),
        ("missing_module:app", "cannot import 'missing_module'"),
        ("entry_points:absent", "has no attribute 'absent'"),
        ("entry_points:not_an_app", "returned int, not an Application"),
    ],
)
def test_a_bad_entry_point_exits_with_a_message(
    entry_points: Path, entry_point: str, message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "transom.web", entry_point, "--port", "0"],
        cwd=entry_points,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_help_describes_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    output = capsys.readouterr().out
    for option in ("--host", "--port", "--path", "--uvloop", "--reuse-port"):
        assert option in output
