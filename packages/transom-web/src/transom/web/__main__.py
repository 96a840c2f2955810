"""``python -m transom.web module:factory``: serve an application from the command line.

``factory`` names an :class:`Application`, or a callable returning one (or a
coroutine that returns one). A callable that takes a parameter receives the
command-line arguments left after the options, as a list.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import logging
from typing import TYPE_CHECKING, Any

from transom.web._application import Application
from transom.web._run_app import choose_loop_factory, run_app

if TYPE_CHECKING:
    from collections.abc import Awaitable, Sequence

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m transom.web",
        description="Serve a transom.web application.",
    )
    parser.add_argument(
        "entry_point",
        metavar="module:factory",
        help="an Application, or a callable returning one, e.g. 'examples.hello:create_app'",
    )
    parser.add_argument("-H", "--host", default="127.0.0.1", help="host to listen on")
    parser.add_argument("-P", "--port", type=int, default=8080, help="TCP port to listen on")
    parser.add_argument("-U", "--path", help="Unix socket path to listen on (instead of TCP)")
    parser.add_argument(
        "--reuse-port",
        action="store_true",
        help="set SO_REUSEPORT so several processes can serve the same port",
    )
    parser.add_argument(
        "--uvloop",
        action="store_true",
        help="run on uvloop when installed (also: TRANSOM_LOOP=uvloop)",
    )
    return parser


def _load(entry_point: str, argv: list[str]) -> Application | Awaitable[Application]:
    module_name, colon, attribute = entry_point.partition(":")
    if not colon or not module_name or not attribute:
        raise SystemExit(f"expected module:factory, got {entry_point!r}")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise SystemExit(f"cannot import {module_name!r}: {exc}") from None
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise SystemExit(f"{module_name!r} has no attribute {attribute!r}") from None
    if isinstance(target, Application):
        return target
    if not callable(target):
        raise SystemExit(f"{entry_point!r} is neither an Application nor callable")
    takes_argv = any(
        parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
        and parameter.default is parameter.empty
        for parameter in inspect.signature(target).parameters.values()
    )
    result = target(argv) if takes_argv else target()
    if isinstance(result, Application) or inspect.isawaitable(result):
        return result
    raise SystemExit(f"{entry_point!r} returned {type(result).__name__}, not an Application")


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    args, rest = _parser().parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = _load(args.entry_point, rest)
    run_app(
        app,
        host=None if args.path else args.host,
        port=None if args.path else args.port,
        path=args.path,
        reuse_port=args.reuse_port or None,
        loop_factory=choose_loop_factory("uvloop" if args.uvloop else None),
    )


if __name__ == "__main__":  # pragma: no cover - exercised through a subprocess
    main()
