"""Move every transom distribution, and every pin between them, to one new version.

Usage: ``python tools/bump_version.py NEW_VERSION [ROOT]``, then ``uv lock``.
It rewrites each member's ``[project] version`` and each exact sibling pin
(``transom-x==OLD``) and nothing else in the file.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_VERSION = re.compile(r'^(version\s*=\s*")([^"]+)(")', re.MULTILINE)
_PIN = re.compile(r'("transom-[a-z]+==)([^";\s]+)')
_VALID = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")


def bump_text(text: str, version: str) -> str:
    """Return ``text`` (a member's pyproject.toml) with its version and sibling pins moved."""
    text, count = _VERSION.subn(rf"\g<1>{version}\g<3>", text, count=1)
    if count != 1:
        raise ValueError("no [project] version line found")
    return _PIN.sub(rf"\g<1>{version}", text)


def bump(root: Path, version: str) -> list[Path]:
    """Rewrite every member under ``root/packages``; return the files changed."""
    if not _VALID.match(version):
        raise ValueError(f"not a PEP 440 release version: {version!r}")
    changed = []
    for pyproject in sorted((root / "packages").glob("*/pyproject.toml")):
        old = pyproject.read_text(encoding="utf-8")
        new = bump_text(old, version)
        if new != old:
            pyproject.write_text(new, encoding="utf-8")
            changed.append(pyproject)
    return changed


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(argv[2]) if len(argv) == 3 else Path(__file__).resolve().parent.parent
    for path in bump(root, argv[1]):
        print(f"updated {path.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
