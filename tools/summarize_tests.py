"""Add up the JUnit XML reports that the nox sessions wrote and print one closing line.

Usage: ``python tools/summarize_tests.py DIR``. Prints ``N passed, N failed``
(``, N skipped`` when any were skipped) and exits 1 when nothing ran or any
test failed.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def summarize(directory: Path) -> tuple[int, int, int]:
    """Return (passed, failed, skipped) over every ``*.xml`` report in ``directory``."""
    passed = failed = skipped = 0
    for report in sorted(directory.glob("*.xml")):
        for suite in ET.parse(report).getroot().iter("testsuite"):
            tests = int(suite.get("tests", 0))
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skip = int(suite.get("skipped", 0))
            passed += tests - bad - skip
            failed += bad
            skipped += skip
    return passed, failed, skipped


def main(argv: list[str]) -> int:
    passed, failed, skipped = summarize(Path(argv[1]))
    line = f"{passed} passed, {failed} failed"
    print(f"transom: {line}" + (f", {skipped} skipped" if skipped else ""))
    return 0 if passed and not failed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
