"""Every module of every distribution imports alone, in a fresh interpreter.

An import cycle or an order dependency between modules hides when a test suite imports
everything up front; importing each module first, by itself, brings it out.
"""

import subprocess
import sys
from pathlib import Path

import pytest

PACKAGES = Path(__file__).resolve().parent.parent / "packages"


def _modules() -> list[str]:
    found = []
    for source in sorted(PACKAGES.glob("*/src/transom/**/*.py")):
        parts = list(source.with_suffix("").parts[source.parts.index("src") + 1 :])
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts.pop()
        found.append(".".join(parts))
    return found


@pytest.mark.parametrize("module", _modules())
def test_module_imports_alone(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", f"import {module}"],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
