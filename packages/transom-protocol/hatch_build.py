"""Compile ``transom.protocol._speedups``, the optional C scanners for HTTP/1.1 heads.

The extension is optional: every module that uses it falls back to pure Python
when it is missing. What a failed compile does depends on
``TRANSOM_BUILD_EXTENSIONS``:

- unset or ``auto``: warn and build a pure-Python wheel;
- ``require``: fail the build (CI sets this, so the tests run the C path);
- ``no``: do not try; build a pure-Python wheel.

A regular wheel gets the compiled module and a platform tag. An editable
install compiles it next to its source, where the ``.pth`` file finds it.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

_MODULE = "transom.protocol._speedups"
_SOURCES = Path("csrc")
_MODES = ("auto", "require", "no")


class SpeedupsBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds the compiled scanners to the wheel when a C compiler is at hand."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        mode = os.environ.get("TRANSOM_BUILD_EXTENSIONS", "auto").strip().lower() or "auto"
        if mode not in _MODES:
            raise ValueError(f"TRANSOM_BUILD_EXTENSIONS must be one of {_MODES}, not {mode!r}")
        if mode == "no":
            return
        root = Path(self.root)
        with tempfile.TemporaryDirectory() as scratch:
            try:
                built = _compile(root / _SOURCES, Path(scratch))
            except Exception as exc:
                if mode == "require":
                    raise RuntimeError(f"could not compile {_MODULE}: {exc}") from exc
                warnings.warn(
                    f"could not compile {_MODULE} ({exc}); installing the pure-Python parser only",
                    stacklevel=1,
                )
                return
            relative = Path("transom", "protocol", built.name)
            if version == "editable":
                # The editable wheel points a .pth file at src/: the module
                # must sit beside its source to be imported. It replaces the
                # old one by a rename, never by writing over it: a process
                # that has the old one loaded would crash.
                target = root / "src" / relative
                staged = target.with_name(f".{target.name}.new")
                shutil.copy2(built, staged)
                os.replace(staged, target)
                return
            kept = root / "build" / "speedups" / built.name
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(built, kept)
        build_data["force_include"][str(kept)] = relative.as_posix()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True


def _compile(sources: Path, scratch: Path) -> Path:
    """Compile the C files in ``sources`` with setuptools' ``build_ext``; return the built file."""
    from setuptools import Distribution, Extension

    extension = Extension(
        _MODULE,
        sources=sorted(str(path) for path in sources.glob("*.c")),
        include_dirs=[str(sources)],
        depends=sorted(str(path) for path in sources.glob("*.h")),
        extra_compile_args=[] if sys.platform == "win32" else ["-O2", "-Wall"],
    )
    distribution = Distribution({"name": "transom-protocol", "ext_modules": [extension]})
    command: Any = distribution.get_command_obj("build_ext")
    command.build_temp = str(scratch / "temp")
    command.build_lib = str(scratch / "lib")
    command.ensure_finalized()
    command.run()
    return Path(command.get_ext_fullpath(_MODULE))
