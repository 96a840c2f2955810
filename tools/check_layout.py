"""Check the structural rules of the transom workspace.

Rules (each one reported with the file that breaks it):

1. ``transom`` is a PEP 420 namespace: no member has ``src/transom/__init__.py``.
2. Each member ships exactly one leaf package ``src/transom/<leaf>/``, named after the
   distribution, with a ``py.typed`` marker.
3. Versions move in lockstep: every member has the same version, and every pin on a
   sibling is exact (``transom-x==<that version>``).
4. ``transom.protocol`` stays sans-I/O: it never imports ``asyncio``, ``socket``,
   ``ssl`` or ``selectors``.
5. ``transom.web`` and ``transom.client`` never import each other.

Usage: ``python tools/check_layout.py [ROOT]``. Exits 1 and prints every violation.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

IO_MODULES = frozenset({"asyncio", "socket", "ssl", "selectors"})
FORBIDDEN_IMPORTS: dict[str, frozenset[str]] = {
    "protocol": IO_MODULES,
    "web": frozenset({"transom.client"}),
    "client": frozenset({"transom.web"}),
}
_SIBLING = re.compile(r"^\s*(transom-[a-z]+)\s*(.*?)\s*(;.*)?$")


def _members(root: Path) -> list[Path]:
    return sorted(p for p in (root / "packages").iterdir() if (p / "pyproject.toml").is_file())


def _imported_modules(source: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _forbidden(module: str, banned: frozenset[str]) -> bool:
    return any(module == b or module.startswith(b + ".") for b in banned)


def check_member(member: Path) -> list[str]:
    """Return the violations of rules 1, 2, 4 and 5 inside one member."""
    problems: list[str] = []
    namespace = member / "src" / "transom"
    if (namespace / "__init__.py").exists():
        problems.append(f"{namespace / '__init__.py'}: transom is a PEP 420 namespace")
    leaf = member.name.removeprefix("transom-")
    leaves = sorted(p.name for p in namespace.iterdir() if p.is_dir() and p.name != "__pycache__")
    if leaves != [leaf]:
        problems.append(f"{namespace}: expected only the leaf package {leaf!r}, found {leaves}")
    for name in leaves:
        if not (namespace / name / "py.typed").is_file():
            problems.append(f"{namespace / name}: missing py.typed")
    banned = FORBIDDEN_IMPORTS.get(leaf, frozenset())
    for source in sorted((namespace / leaf).rglob("*.py")) if banned else []:
        reported: set[int] = set()
        for lineno, module in _imported_modules(source):
            if lineno not in reported and _forbidden(module, banned):
                reported.add(lineno)
                problems.append(f"{source}:{lineno}: transom.{leaf} must not import {module}")
    return problems


def check_versions(members: list[Path]) -> list[str]:
    """Return the violations of rule 3 across all members."""
    projects = {m: tomllib.loads((m / "pyproject.toml").read_text())["project"] for m in members}
    versions = {project["version"] for project in projects.values()}
    problems = []
    if len(versions) != 1:
        found = ", ".join(f"{p['name']}={p['version']}" for p in projects.values())
        problems.append(f"versions are not in lockstep: {found}")
    names = {project["name"] for project in projects.values()}
    for member, project in projects.items():
        requirements = list(project.get("dependencies", []))
        for extra in project.get("optional-dependencies", {}).values():
            requirements += extra
        for requirement in requirements:
            match = _SIBLING.match(requirement)
            if not match or match.group(1) not in names:
                continue
            if match.group(2) != f"=={project['version']}":
                problems.append(
                    f"{member / 'pyproject.toml'}: sibling pin {requirement!r} "
                    f"must be =={project['version']}"
                )
    return problems


def check(root: Path) -> list[str]:
    """Return every violation in the workspace at ``root`` (empty when it is sound)."""
    members = _members(root)
    if not members:
        return [f"{root / 'packages'}: no members found"]
    problems = [problem for member in members for problem in check_member(member)]
    return problems + check_versions(members)


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    problems = check(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"layout ok: {len(_members(root))} members")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
