import subprocess
import sys
from pathlib import Path

from check_layout import check

CHECKER = Path(__file__).resolve().parents[1] / "check_layout.py"


def test_the_real_workspace_is_sound() -> None:
    assert check(CHECKER.parent.parent) == []


def test_a_copy_of_the_workspace_is_sound(workspace: Path) -> None:
    assert check(workspace) == []


def test_a_namespace_init_fails_the_layout_command(workspace: Path) -> None:
    (workspace / "packages/transom-web/src/transom/__init__.py").write_text("")

    result = subprocess.run(
        [sys.executable, str(CHECKER), str(workspace)], capture_output=True, text=True
    )

    assert result.returncode == 1
    assert "transom-web/src/transom/__init__.py: transom is a PEP 420 namespace" in result.stderr


def test_a_missing_py_typed_is_reported(workspace: Path) -> None:
    (workspace / "packages/transom-client/src/transom/client/py.typed").unlink()

    assert check(workspace) == [
        f"{workspace}/packages/transom-client/src/transom/client: missing py.typed"
    ]


def test_a_second_leaf_package_is_reported(workspace: Path) -> None:
    (workspace / "packages/transom-web/src/transom/extra").mkdir()

    problems = check(workspace)
    assert any(
        "expected only the leaf package 'web', found ['extra', 'web']" in p for p in problems
    )


def test_a_version_out_of_step_is_reported(workspace: Path) -> None:
    pyproject = workspace / "packages/transom-sessions/pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', 'version = "0.2.0"'))

    problems = check(workspace)

    assert any(p.startswith("versions are not in lockstep") for p in problems)


def test_a_loose_sibling_pin_is_reported(workspace: Path) -> None:
    pyproject = workspace / "packages/transom-web/pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace('"transom-protocol==0.1.0"', '"transom-protocol>=0.1"'))

    [problem] = check(workspace)
    assert "sibling pin 'transom-protocol>=0.1' must be ==0.1.0" in problem


def test_protocol_importing_an_io_module_is_reported(workspace: Path) -> None:
    for statement in ("import asyncio", "from socket import socket", "import ssl as _ssl"):
        module = workspace / "packages/transom-protocol/src/transom/protocol/_bad.py"
        module.write_text(f'"""Bad."""\n\n{statement}\n')

        [problem] = check(workspace)
        assert problem.endswith(":3: transom.protocol must not import " + problem.split()[-1])
        assert problem.split()[-1].split(".")[0] in {"asyncio", "socket", "ssl"}


def test_protocol_importing_selectors_inside_a_function_is_reported(workspace: Path) -> None:
    module = workspace / "packages/transom-protocol/src/transom/protocol/_bad.py"
    module.write_text("def f() -> None:\n    import selectors\n")

    assert check(workspace) == [f"{module}:2: transom.protocol must not import selectors"]


def test_web_importing_client_is_reported(workspace: Path) -> None:
    module = workspace / "packages/transom-web/src/transom/web/_bad.py"
    module.write_text("from transom.client import ClientSession\n")

    problems = check(workspace)

    assert f"{module}:1: transom.web must not import transom.client" in problems


def test_client_importing_web_is_reported(workspace: Path) -> None:
    module = workspace / "packages/transom-client/src/transom/client/_bad.py"
    module.write_text("from transom import web\n")

    assert check(workspace) == [f"{module}:1: transom.client must not import transom.web"]


def test_asyncio_named_module_prefix_is_not_confused(workspace: Path) -> None:
    module = workspace / "packages/transom-protocol/src/transom/protocol/_fine.py"
    module.write_text("import asyncio_compat_shim_that_does_not_exist_but_is_not_asyncio\n")

    assert check(workspace) == []
