"""Check the built wheels one by one, each in a fresh virtual environment.

For every ``transom_*.whl`` in the given directory: install it with only the
sibling wheels it pins (transitively), then import every module it ships.
Also check that each wheel holds only its own ``transom/<name>/`` portion
(never ``transom/__init__.py``), and that a venv with only
``transom-protocol`` cannot import ``transom.web``.

Usage: ``python tools/check_wheels.py DIST_DIR``. Exits non-zero on failure.
"""

from __future__ import annotations

import email.parser
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

_PIN = re.compile(r"^(transom-[a-z]+)==([^\s;]+)")


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(archive.read(name).decode())


def _modules(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.startswith("transom/") and n.endswith(".py")]
    modules = []
    for name in sorted(names):
        parts = name[: -len(".py")].split("/")
        if parts[-1] == "__init__":
            parts.pop()
        if parts[-1] == "__main__":
            continue
        modules.append(".".join(parts))
    return modules


def _check_portion(wheel: Path, distribution: str) -> list[str]:
    portion = "transom/" + distribution.removeprefix("transom-") + "/"
    with zipfile.ZipFile(wheel) as archive:
        stray = [
            n for n in archive.namelist() if n.startswith("transom/") and not n.startswith(portion)
        ]
    return [f"{wheel.name}: ships {n}, outside its portion {portion}" for n in stray]


def _pinned_closure(distribution: str, wheels: dict[str, Path]) -> list[Path]:
    seen: dict[str, Path] = {}
    pending = [distribution]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen[name] = wheels[name]
        for requirement in _metadata(wheels[name]).get_all("Requires-Dist") or []:
            match = _PIN.match(requirement)
            if match and "extra ==" not in requirement:
                pending.append(match.group(1))
    return list(seen.values())


def _fresh_venv(directory: Path, wheels: list[Path]) -> Path:
    subprocess.run(["uv", "venv", "--quiet", str(directory)], check=True)
    python = directory / "bin" / "python"
    subprocess.run(
        ["uv", "pip", "install", "--quiet", "--python", str(python), *map(str, wheels)],
        check=True,
    )
    return python


def main(dist: Path) -> int:
    wheels = {_metadata(path)["Name"]: path for path in sorted(dist.glob("transom_*.whl"))}
    if not wheels:
        print(f"no transom wheels in {dist}", file=sys.stderr)
        return 1
    problems: list[str] = []
    for distribution, wheel in wheels.items():
        problems += _check_portion(wheel, distribution)
        with tempfile.TemporaryDirectory() as tmp:
            python = _fresh_venv(Path(tmp), _pinned_closure(distribution, wheels))
            modules = _modules(wheel)
            script = "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)"
            result = subprocess.run([str(python), "-c", script, *modules])
            if result.returncode:
                problems.append(f"{distribution}: a module failed to import alone")
            else:
                print(f"{distribution}: {len(modules)} modules import in a fresh venv")
            if distribution == "transom-protocol":
                leak = subprocess.run([str(python), "-c", "import transom.web"])
                if leak.returncode == 0:
                    problems.append("transom.web imports with only transom-protocol installed")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
