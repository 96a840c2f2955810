"""Every development and CI task of the transom workspace, one nox session each.

A bare ``nox`` runs everything except ``bench``. Environments are built by uv
from the one workspace lock (``uv.lock``), so every session sees the same
versions:

- ``tests(package=...)``: one distribution with only its declared dependencies
  and its ``test`` dependency group, so an undeclared import fails here.
- ``integration``: the root ``tests/`` with every distribution installed,
  except ``tests/autobahn``.
- ``autobahn``: the Autobahn WebSocket compliance cases (kosoku) against
  transom.web's server and transom.client's client, in ``tests/autobahn``.
- ``lint``, ``typecheck``, ``layout``, ``wheels``, ``docs``: as named.
- ``bench``: the benchmarks in ``benchmarks/``, side by side with other
  projects; not part of the default run.
"""

from __future__ import annotations

import os
import pathlib
import shutil

import nox

ROOT = pathlib.Path(__file__).parent
PACKAGES = sorted(path.name for path in (ROOT / "packages").iterdir() if path.is_dir())
# The distributions that compile modules (C or mypyc), and which of their
# tests (paths under tests/) run a second time on the pure-Python path.
PURE_RERUNS = {
    "transom-protocol": ["http1", "websocket", "test_speedups.py"],
    "transom-web": ["."],
    "transom-client": ["."],
}

nox.options.default_venv_backend = "uv"
nox.options.sessions = [
    "layout",
    "lint",
    "typecheck",
    "docs",
    "wheels",
    "tests",
    "integration",
    "autobahn",
]
nox.options.error_on_external_run = True
nox.needs_version = ">=2024.10.9"


def _pytest(
    session: nox.Session, *paths: str, suffix: str = "", env: dict[str, str] | None = None
) -> None:
    """Run pytest, leaving a JUnit report that ``tools/summarize_tests.py`` adds up."""
    report = ROOT / "build" / "test-results" / f"{session.name}{suffix}.xml"
    session.run(
        "pytest",
        *paths,
        "-p",
        "no:cacheprovider",
        f"--junitxml={report}",
        *session.posargs,
        env=env,
    )


def _sync(session: nox.Session, *args: str) -> None:
    """Install exactly what ``args`` selects from the workspace lock into the session venv."""
    session.run_install(
        "uv",
        "sync",
        "--frozen",
        "--exact",
        "--no-default-groups",
        *args,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
    )


@nox.session
@nox.parametrize("package", PACKAGES)
def tests(session: nox.Session, package: str) -> None:
    """Run one distribution's tests with only its own dependencies installed."""
    if not any((ROOT / "packages" / package / "tests").rglob("test_*.py")):
        session.skip(f"{package} has no tests yet")
    _sync(session, "--package", package, "--group", "test", "--all-extras")
    _pytest(session, f"packages/{package}/tests")
    if package in PURE_RERUNS:
        # Again with every module on its pure-Python path, so the code the
        # compiled modules stand in for meets every test too.
        paths = [f"packages/{package}/tests/{path}" for path in PURE_RERUNS[package]]
        _pytest(session, *paths, suffix="-pure", env={"TRANSOM_NO_EXTENSIONS": "1"})


@nox.session
def integration(session: nox.Session) -> None:
    """Run the cross-package tests in ``tests/`` with every distribution installed."""
    _sync(session, "--all-packages", "--group", "integration")
    _pytest(session, "tests", "--ignore=tests/autobahn")


@nox.session
def autobahn(session: nox.Session) -> None:
    """Run the Autobahn WebSocket cases against transom's server and client: 15 to 20 minutes."""
    _sync(session, "--all-packages", "--all-extras", "--group", "autobahn")
    _pytest(session, "tests/autobahn")


@nox.session
def lint(session: nox.Session) -> None:
    """Check formatting and lint rules with ruff."""
    _sync(session, "--only-group", "lint")
    session.run("ruff", "format", "--check", ".")
    session.run("ruff", "check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Run mypy --strict over each distribution's src and tests, then the shared trees."""
    _sync(session, "--all-packages", "--all-extras", "--all-groups")
    config = str(ROOT / "pyproject.toml")
    for package in PACKAGES:
        member = ROOT / "packages" / package
        trees = [tree for tree in ("src", "tests") if (member / tree).is_dir()]
        with session.chdir(member):
            session.run("mypy", "--config-file", config, *trees, env={"MYPYPATH": "src"})
    with session.chdir(ROOT / "tools"):
        session.run("mypy", "--config-file", config, ".", env={"MYPYPATH": "."})
    session.run("mypy", "--config-file", config, "tests", "benchmarks", "noxfile.py")


@nox.session
def layout(session: nox.Session) -> None:
    """Check the workspace's structural rules, and that the checker catches each violation."""
    _sync(session, "--only-group", "tools")
    session.run("python", "tools/check_layout.py")
    _pytest(session, "tools/tests")


@nox.session
def wheels(session: nox.Session) -> None:
    """Build every wheel, install each alone with its pinned siblings, import all its modules."""
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.run_install("uv", "build", "--all-packages", "--wheel", "--out-dir", str(dist))
    session.run("python", "tools/check_wheels.py", str(dist))
    # Every wheel as a machine without a C compiler builds it.
    pure = ROOT / "build" / "pure-wheels"
    shutil.rmtree(pure, ignore_errors=True)
    session.run_install(
        "uv",
        "build",
        "--all-packages",
        "--wheel",
        "--out-dir",
        str(pure),
        env={"TRANSOM_BUILD_EXTENSIONS": "no"},
    )
    session.run("python", "tools/check_wheels.py", "--pure", str(pure))


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site, failing on any warning."""
    _sync(session, "--all-packages", "--all-extras", "--group", "docs")
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        str(ROOT / "site"),
        env={"NO_MKDOCS_2_WARNING": "1"},
    )


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Run the benchmarks side by side with aiohttp and others; ``-- --quick`` for a short run."""
    _sync(session, "--all-packages", "--all-extras", "--group", "bench")
    env = {"PYTHONHASHSEED": "0"}
    if "CI" in os.environ:
        env["CI"] = os.environ["CI"]
    session.run("python", "benchmarks/run.py", *session.posargs, env=env)
