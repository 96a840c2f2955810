"""Check the built wheels one by one, each in a fresh virtual environment.

For every ``transom_*.whl`` in the given directory: install it with only the
sibling wheels it pins (transitively), then import every module it ships.
Compiled extension modules count as modules: a ``transom-protocol`` wheel
built with its C extension must load it. Also check that each wheel holds
only its own ``transom/<name>/`` portion (never ``transom/__init__.py``), and
that a venv with only ``transom-protocol`` cannot import ``transom.web``.

With ``--pure``, every wheel must be pure Python (``py3-none-any``, no
compiled module), as ``transom-protocol`` is when built without a compiler,
and its HTTP/1.1 parser must still parse a request.

Usage: ``python tools/check_wheels.py [--pure] DIST_DIR``. Exits non-zero on
failure.
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


_COMPILED = (".so", ".pyd")
# A request parsed end to end, whichever path the parser takes.
_PARSE_SMOKE = """
from transom.protocol.http1 import Connection, Request, Role
conn = Connection(Role.SERVER)
conn.receive_data(b"GET /x HTTP/1.1\\r\\nHost: h\\r\\n\\r\\n")
event = conn.next_event()
assert isinstance(event, Request) and event.target == "/x", event
"""


def _compiled(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return [n for n in archive.namelist() if n.endswith(_COMPILED)]


def _modules(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.startswith("transom/") and n.endswith(".py")]
    # transom/protocol/_speedups.cpython-311-x86_64-linux-gnu.so is
    # transom.protocol._speedups.
    names += [n.split(".")[0] + ".py" for n in _compiled(wheel)]
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


def main(dist: Path, *, pure: bool = False) -> int:
    wheels = {_metadata(path)["Name"]: path for path in sorted(dist.glob("transom_*.whl"))}
    if not wheels:
        print(f"no transom wheels in {dist}", file=sys.stderr)
        return 1
    problems: list[str] = []
    for distribution, wheel in wheels.items():
        problems += _check_portion(wheel, distribution)
        if pure and (_compiled(wheel) or not wheel.name.endswith("-py3-none-any.whl")):
            problems.append(f"{wheel.name}: not a pure-Python wheel")
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
                if subprocess.run([str(python), "-c", _PARSE_SMOKE]).returncode:
                    problems.append(f"{wheel.name}: the HTTP/1.1 parser failed to parse a request")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    pure = "--pure" in arguments
    if pure:
        arguments.remove("--pure")
    sys.exit(main(Path(arguments[0]), pure=pure))
