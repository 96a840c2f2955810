"""The modules mypyc compiles load compiled, or all from source, as asked.

Each distribution's ``pyproject.toml`` names its compiled modules. When the
build was required to compile (``TRANSOM_BUILD_EXTENSIONS=require``, as CI
sets it), each must load compiled; otherwise (a build that may have fallen
back) a distribution's modules must at least agree: all compiled or none.
Under ``TRANSOM_NO_EXTENSIONS``, every one of them must load from its ``.py``
source: in this run when it sets the variable, and always in a fresh
interpreter that does.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from transom.protocol._extensions import EXTENSIONS_ALLOWED

PACKAGES = Path(__file__).resolve().parent.parent / "packages"


def _listed() -> dict[str, list[str]]:
    listed = {}
    for pyproject in sorted(PACKAGES.glob("*/pyproject.toml")):
        wheel = tomllib.loads(pyproject.read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
        paths = wheel.get("hooks", {}).get("custom", {}).get("compiled", [])
        if paths:
            listed[pyproject.parent.name] = [p.removesuffix(".py").replace("/", ".") for p in paths]
    return listed


LISTED = _listed()
ALL = [name for names in LISTED.values() for name in names]


def _is_compiled(name: str) -> bool:
    origin = importlib.import_module(name).__file__
    assert origin is not None
    return not origin.endswith(".py")


def test_the_compiling_distributions_list_their_modules() -> None:
    assert set(LISTED) == {"transom-client", "transom-protocol", "transom-web"}


@pytest.mark.parametrize("name", ALL)
def test_a_listed_module_loads_as_the_environment_asks(name: str) -> None:
    if not EXTENSIONS_ALLOWED:
        assert not _is_compiled(name), f"{name} is compiled under TRANSOM_NO_EXTENSIONS"
    elif os.environ.get("TRANSOM_BUILD_EXTENSIONS") == "require":
        assert _is_compiled(name), f"{name} was required to compile but loads from source"


@pytest.mark.parametrize("distribution", sorted(LISTED))
def test_the_modules_of_a_distribution_are_all_compiled_or_none(distribution: str) -> None:
    assert len({_is_compiled(name) for name in LISTED[distribution]}) == 1


def test_no_extensions_loads_every_listed_module_from_its_source() -> None:
    script = (
        "import importlib, sys\nfor m in sys.argv[1:]: print(importlib.import_module(m).__file__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *ALL],
        env={**os.environ, "TRANSOM_NO_EXTENSIONS": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    origins = dict(zip(ALL, result.stdout.split(), strict=True))
    assert {name: origin for name, origin in origins.items() if not origin.endswith(".py")} == {}
