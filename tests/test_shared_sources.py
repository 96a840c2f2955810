"""Modules that two distributions carry in identical copies.

``transom-web`` and ``transom-client`` depend on ``transom-protocol`` only,
and that package has no asyncio code, so the asyncio driver of a WebSocket
(``_websocket_channel.py``) ships in both. The copies must not drift: a fix
to one is a fix to both.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SHARED = [
    (
        "packages/transom-web/src/transom/web/_websocket_channel.py",
        "packages/transom-client/src/transom/client/_websocket_channel.py",
    ),
]


@pytest.mark.parametrize(("first", "second"), SHARED)
def test_copies_are_identical(first: str, second: str) -> None:
    assert (ROOT / first).read_text() == (ROOT / second).read_text(), (
        f"{first} and {second} differ: change both"
    )
