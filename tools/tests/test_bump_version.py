import tomllib
from pathlib import Path

import pytest
from bump_version import bump, bump_text
from check_layout import check


def test_bump_moves_every_version_and_sibling_pin(workspace: Path) -> None:
    changed = bump(workspace, "1.2.3")

    assert len(changed) == len(list((workspace / "packages").iterdir()))
    for pyproject in changed:
        project = tomllib.loads(pyproject.read_text())["project"]
        assert project["version"] == "1.2.3"
        pins = [d for d in project.get("dependencies", []) if d.startswith("transom-")]
        assert all(pin.endswith("==1.2.3") for pin in pins)
    assert check(workspace) == []


def test_bump_leaves_third_party_floors_alone() -> None:
    text = (
        '[project]\nversion = "0.1.0"\ndependencies = ["transom-protocol==0.1.0", "yarl>=1.17"]\n'
    )

    assert bump_text(text, "0.2.0") == (
        '[project]\nversion = "0.2.0"\ndependencies = ["transom-protocol==0.2.0", "yarl>=1.17"]\n'
    )


def test_bump_refuses_a_version_that_is_not_pep_440(workspace: Path) -> None:
    with pytest.raises(ValueError, match="not a PEP 440 release version"):
        bump(workspace, "v1")
