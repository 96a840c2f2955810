"""The modules mypyc compiles load compiled, or all from source, as asked.

``pyproject.toml`` names the compiled modules. With ``TRANSOM_NO_EXTENSIONS``
set, each must come from its ``.py`` file; when the build was required to
compile (``TRANSOM_BUILD_EXTENSIONS=require``, as CI sets it), each must be
the compiled one. Otherwise (a build that may have fallen back) they must at
least agree: all compiled or none.
"""

from __future__ import annotations

import importlib
import os
import tomllib
from pathlib import Path

import pytest

from transom.protocol._extensions import EXTENSIONS_ALLOWED

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
HOOK = tomllib.loads(PYPROJECT.read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
MODULES = [
    path.removesuffix(".py").replace("/", ".") for path in HOOK["hooks"]["custom"]["compiled"]
]


def _is_compiled(name: str) -> bool:
    origin = importlib.import_module(name).__file__
    assert origin is not None
    return not origin.endswith(".py")


def test_some_modules_are_listed() -> None:
    assert MODULES, f"{PYPROJECT} names no compiled module"


@pytest.mark.parametrize("name", MODULES)
def test_a_listed_module_loads_as_the_environment_asks(name: str) -> None:
    if not EXTENSIONS_ALLOWED:
        assert not _is_compiled(name), f"{name} is compiled under TRANSOM_NO_EXTENSIONS"
    elif os.environ.get("TRANSOM_BUILD_EXTENSIONS") == "require":
        assert _is_compiled(name), f"{name} was required to compile but loads from source"


def test_the_listed_modules_are_all_compiled_or_none() -> None:
    assert len({_is_compiled(name) for name in MODULES}) == 1
