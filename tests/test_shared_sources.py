"""Modules that two distributions carry in identical copies.

``transom-web`` and ``transom-client`` depend on ``transom-protocol`` only,
and that package has no asyncio code, so the asyncio driver of a WebSocket
(``_websocket_channel.py``), the message API both ends build on it
(``_websocket_api.py``), its message waiter and heartbeat
(``_message_waiter.py``, ``_websocket_heartbeat.py``) and the batch that
writes small messages after each loop pass (``_output_batch.py``) ship in
both; the shared modules import each other relatively. Each distribution that compiles
modules builds them with the same hook (``hatch_build.py``). The copies must
not drift: a fix to one is a fix to both.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from transom.client import ClientWebSocketResponse
from transom.client._websocket_api import WebSocketAPI as ClientWebSocketAPI
from transom.web import WebSocketResponse
from transom.web._websocket_api import WebSocketAPI

ROOT = Path(__file__).resolve().parent.parent

SHARED = [
    (
        "packages/transom-web/src/transom/web/_websocket_channel.py",
        "packages/transom-client/src/transom/client/_websocket_channel.py",
    ),
    (
        "packages/transom-web/src/transom/web/_websocket_api.py",
        "packages/transom-client/src/transom/client/_websocket_api.py",
    ),
    (
        "packages/transom-web/src/transom/web/_output_batch.py",
        "packages/transom-client/src/transom/client/_output_batch.py",
    ),
    (
        "packages/transom-web/src/transom/web/_message_waiter.py",
        "packages/transom-client/src/transom/client/_message_waiter.py",
    ),
    (
        "packages/transom-web/src/transom/web/_websocket_heartbeat.py",
        "packages/transom-client/src/transom/client/_websocket_heartbeat.py",
    ),
    ("packages/transom-protocol/hatch_build.py", "packages/transom-web/hatch_build.py"),
    ("packages/transom-protocol/hatch_build.py", "packages/transom-client/hatch_build.py"),
]

# The reference pages list the inherited members they render.
_INHERITED_MEMBERS = re.compile(r"^ +inherited_members:\n((?: +- \w+\n)+)", re.MULTILINE)


@pytest.mark.parametrize(("first", "second"), SHARED)
def test_copies_are_identical(first: str, second: str) -> None:
    assert (ROOT / first).read_text() == (ROOT / second).read_text(), (
        f"{first} and {second} differ: change both"
    )


@pytest.mark.parametrize(
    ("page", "cls", "api"),
    [
        ("docs/reference/web.md", WebSocketResponse, WebSocketAPI),
        ("docs/reference/client.md", ClientWebSocketResponse, ClientWebSocketAPI),
    ],
)
def test_reference_renders_the_shared_websocket_api(page: str, cls: type, api: type) -> None:
    assert issubclass(cls, api)
    inherited = {name for name in vars(api) if not name.startswith("_") and name not in vars(cls)}
    match = _INHERITED_MEMBERS.search((ROOT / page).read_text())
    assert match is not None, f"{page} renders no inherited members"
    listed = set(re.findall(r"- (\w+)", match.group(1)))
    assert listed == inherited, f"{page}: list exactly {sorted(inherited)} in inherited_members"
