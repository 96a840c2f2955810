"""The public API: ``__all__`` is curated, sorted and importable; modules import alone."""

from __future__ import annotations

import importlib
import pathlib
import subprocess
import sys

import transom.client

EXPECTED = {
    "BasicAuth",
    "ClientError",
    "ClientResponse",
    "ClientSession",
    "ClientTimeout",
    "CookieJar",
    "DummyCookieJar",
    "Fingerprint",
    "FormData",
    "TCPConnector",
    "TraceConfig",
    "UnixConnector",
}


def test_all_is_sorted_unique_and_importable() -> None:
    names = transom.client.__all__
    assert names == sorted(names, key=lambda name: (not name.isupper(), name))
    assert len(set(names)) == len(names)
    for name in names:
        assert getattr(transom.client, name) is not None
    assert set(names) >= EXPECTED


def test_no_private_name_is_exported() -> None:
    assert not [name for name in transom.client.__all__ if name.startswith("_")]


def test_every_module_imports_and_the_server_package_is_never_imported() -> None:
    package = pathlib.Path(transom.client.__file__).parent
    modules = sorted(path.stem for path in package.glob("_*.py") if path.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module('transom.client.' + name)\n"
        "assert 'transom.web' not in sys.modules, 'transom.client imported transom.web'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    for name in modules:
        importlib.import_module(f"transom.client.{name}")
