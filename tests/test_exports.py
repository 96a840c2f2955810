"""Each distribution's public API is exactly its ``__all__``, kept sorted and complete."""

import importlib
import types
from pathlib import Path

import pytest

SOURCES = Path(__file__).resolve().parent.parent / "packages"


def _public_modules(*, packages_only: bool) -> list[str]:
    """Every module whose dotted path has no private (underscored) part."""
    found = []
    for source in sorted(SOURCES.glob("*/src/transom/**/*.py")):
        parts = list(source.with_suffix("").parts[source.parts.index("src") + 1 :])
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        elif packages_only:
            continue
        if not any(part.startswith("_") for part in parts):
            found.append(".".join(parts))
    return found


PUBLIC_MODULES = _public_modules(packages_only=False)
# A package's namespace holds only what it re-exports, so there it must equal __all__.
PUBLIC_PACKAGES = _public_modules(packages_only=True)


def _public_names(module: types.ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }


def _isort_key(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then CamelCase classes, then everything else."""
    if name.isupper():
        return 0, name
    return (1 if name[:1].isupper() else 2), name


@pytest.mark.parametrize("package", PUBLIC_MODULES)
def test_all_is_sorted_and_unique(package: str) -> None:
    exported = importlib.import_module(package).__all__

    assert list(exported) == sorted(set(exported), key=_isort_key)


@pytest.mark.parametrize("package", PUBLIC_PACKAGES)
def test_every_public_name_is_exported_and_exists(package: str) -> None:
    module = importlib.import_module(package)

    assert set(module.__all__) == _public_names(module)


# The WebSocket message types live in transom.protocol.websocket and are also
# exported where aiohttp users look for them (aiohttp.web.WSMsgType,
# aiohttp.WSMsgType), so handlers port by changing imports only.
SHARED_NAMES = {
    (package, name)
    for package in ("transom.web", "transom.client")
    for name in ("WSCloseCode", "WSMessage", "WSMsgType")
}


@pytest.mark.parametrize("package", PUBLIC_MODULES)
def test_exported_names_exist_and_stay_in_their_distribution(package: str) -> None:
    module = importlib.import_module(package)
    distribution = ".".join(package.split(".")[:2])

    for name in module.__all__:
        if (package, name) in SHARED_NAMES:
            continue
        origin = getattr(getattr(module, name), "__module__", None)
        if isinstance(origin, str) and origin.startswith("transom."):
            assert origin.startswith(distribution), f"{package}.{name} comes from {origin}"
