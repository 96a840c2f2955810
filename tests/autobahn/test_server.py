"""transom.web's WebSocket server under the Autobahn cases, driven by kosoku's fuzzing client."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final

import kosoku

from transom import web

if TYPE_CHECKING:
    from tests.autobahn.conftest import Verdict

# Seconds one section may take; section 9's largest messages take the longest.
SECTION_TIMEOUT: Final = 900.0


async def echo(request: web.Request) -> web.WebSocketResponse:
    """Send every text and binary message back; permessage-deflate on, no size limit."""
    ws = web.WebSocketResponse(compress=True, max_msg_size=0)
    # kosoku names the server under test after this header in its reports.
    ws.headers["Server"] = "transom"
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is web.WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type is web.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


async def test_server_section(autobahn_section: str, autobahn_verdict: Verdict) -> None:
    app = web.Application()
    app.router.add_get("/", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with asyncio.timeout(SECTION_TIMEOUT):
                results = await kosoku.run_fuzzingclient(
                    f"ws://127.0.0.1:{port}/", [f"{autobahn_section}.*"]
                )
        except kosoku.FailureError as failure:
            results = failure.results
    finally:
        await runner.cleanup()
    autobahn_verdict("server", results, [])
