"""Compile the optional native modules of a transom distribution.

Two kinds, both optional, both named in the ``[tool.hatch.build.targets.wheel.hooks.custom]``
table of the distribution's ``pyproject.toml``:

- ``c-extension`` and ``c-sources``: a hand-written C module (the HTTP/1.1 head
  scanners of ``transom.protocol._speedups``) built from the ``*.c`` files of a
  directory.
- ``compiled`` and ``compiled-group``: Python modules of the hot path compiled
  to C by mypyc from their own typed source. The ``.py`` file stays in the
  wheel beside the compiled module; Python imports the compiled one, and
  ``TRANSOM_NO_EXTENSIONS=1`` makes it import the source instead (see
  ``transom.protocol._extensions``). mypyc puts the code of all of them in one
  shared library, ``<compiled-group>__mypyc``.

Every module has a pure-Python path, so what a failed compile does depends on
``TRANSOM_BUILD_EXTENSIONS``:

- unset or ``auto``: warn and build a pure-Python wheel;
- ``require``: fail the build (CI sets this, so the tests run the compiled paths);
- ``no``: do not try; build a pure-Python wheel.

A regular wheel gets the compiled files and a platform tag. An editable install
compiles them next to their sources, where the ``.pth`` file finds them.

The file is the same in every distribution that compiles something
(``tests/test_shared_sources.py`` checks it).
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

_MODES = ("auto", "require", "no")


class NativeBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds the compiled modules to the wheel when a C compiler is at hand."""

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
                built = self._compile(root, Path(scratch))
            except Exception as exc:
                if mode == "require":
                    raise RuntimeError(f"could not compile {self.metadata.name}: {exc}") from exc
                warnings.warn(
                    f"could not compile {self.metadata.name} ({exc}); installing pure Python only",
                    stacklevel=1,
                )
                return
            for relative, path in built.items():
                if version == "editable":
                    # The editable wheel points a .pth file at src/: a module
                    # must sit beside its source to be imported. It replaces
                    # the old one by a rename, never by writing over it: a
                    # process that has the old one loaded would crash.
                    target = root / "src" / relative
                    staged = target.with_name(f".{target.name}.new")
                    shutil.copy2(path, staged)
                    os.replace(staged, target)
                    continue
                kept = root / "build" / "native" / relative
                kept.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, kept)
                build_data["force_include"][str(kept)] = relative.as_posix()
        if version != "editable" and built:
            build_data["pure_python"] = False
            build_data["infer_tag"] = True

    def _compile(self, root: Path, scratch: Path) -> dict[Path, Path]:
        """Build every configured module; map each file's path in the wheel to the built file."""
        from setuptools import Distribution, Extension

        extensions: list[Extension] = []
        c_module = self.config.get("c-extension")
        if c_module:
            sources = root / self.config["c-sources"]
            extensions.append(
                Extension(
                    c_module,
                    sources=sorted(str(path) for path in sources.glob("*.c")),
                    include_dirs=[str(sources)],
                    depends=sorted(str(path) for path in sources.glob("*.h")),
                    extra_compile_args=[] if sys.platform == "win32" else ["-O2", "-Wall"],
                )
            )
        compiled = self.config.get("compiled", [])
        if compiled:
            extensions.extend(_mypycify(root / "src", compiled, self.config["compiled-group"]))
        if not extensions:
            return {}
        distribution = Distribution({"name": self.metadata.name, "ext_modules": extensions})
        command: Any = distribution.get_command_obj("build_ext")
        command.build_temp = str(scratch / "temp")
        command.build_lib = str(scratch / "lib")
        command.ensure_finalized()
        command.run()
        built: dict[Path, Path] = {}
        for extension in extensions:
            path = Path(command.get_ext_fullpath(extension.name))
            built[path.relative_to(scratch / "lib")] = path
        return built


def _mypycify(src: Path, modules: list[str], group: str) -> list[Any]:
    """The extensions mypyc makes of ``modules`` (paths under ``src``), sharing ``group``'s library.

    mypy runs over the modules alone, with a configuration of its own rather
    than any it could find above them (the workspace's strict one is checked
    by ``nox -s typecheck``): the build environment lacks the distribution's
    dependencies, so what they export is typed ``Any``.
    """
    from mypyc.build import mypycify

    target = src.parent / "build" / "mypyc"
    target.mkdir(parents=True, exist_ok=True)
    config = target / "mypy.ini"
    config.write_text(
        f"[mypy]\nmypy_path = {src}\nexplicit_package_bases = True\nignore_missing_imports = True\n"
    )
    paths = [str(src / module) for module in modules]
    return list(
        mypycify(["--config-file", str(config), *paths], group_name=group, target_dir=str(target))
    )
