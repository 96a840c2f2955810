import shutil
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1]
ROOT = TOOLS.parent
sys.path.insert(0, str(TOOLS))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of the real workspace's member skeletons (pyproject, src tree) to break."""
    for member in sorted((ROOT / "packages").iterdir()):
        if not (member / "pyproject.toml").is_file():
            continue
        target = tmp_path / "packages" / member.name
        target.mkdir(parents=True)
        shutil.copy(member / "pyproject.toml", target / "pyproject.toml")
        shutil.copytree(
            member / "src", target / "src", ignore=shutil.ignore_patterns("__pycache__")
        )
    return tmp_path
