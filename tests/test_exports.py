"""Each distribution's public API is exactly its ``__all__``, kept sorted and complete."""

import importlib
import types

import pytest

PUBLIC_PACKAGES = [
    "transom.protocol",
    "transom.web",
    "transom.client",
    "transom.testing",
    "transom.sessions",
]


def _public_names(module: types.ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }


@pytest.mark.parametrize("package", PUBLIC_PACKAGES)
def test_all_is_sorted_and_unique(package: str) -> None:
    exported = importlib.import_module(package).__all__

    assert list(exported) == sorted(set(exported))


@pytest.mark.parametrize("package", PUBLIC_PACKAGES)
def test_every_public_name_is_exported_and_exists(package: str) -> None:
    module = importlib.import_module(package)

    assert set(module.__all__) == _public_names(module)


@pytest.mark.parametrize("package", PUBLIC_PACKAGES)
def test_exported_names_come_from_the_package_itself(package: str) -> None:
    module = importlib.import_module(package)

    for name in module.__all__:
        origin = getattr(getattr(module, name), "__module__", package)
        if origin is not None and origin.startswith("transom."):
            assert origin.startswith(package), f"{package}.{name} comes from {origin}"
