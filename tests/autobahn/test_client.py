"""transom.client's WebSocket client under the Autobahn cases, served by kosoku's fuzzing server.

The client speaks the Autobahn client protocol: it asks ``/getCaseCount``,
then for each case connects to ``/runCase?case=N&agent=transom`` and echoes
every message until the close, then asks ``/updateReports`` to end the run.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final

import kosoku

from transom.client import ClientSession, WSMsgType
from transom.protocol.websocket import PerMessageDeflate

if TYPE_CHECKING:
    from tests.autobahn.conftest import Verdict

AGENT: Final = "transom"
# Seconds one case may take (a section 9 case moves up to 16 MiB each way).
CASE_TIMEOUT: Final = 120.0
# Seconds one section may take, its results included; section 12 takes the longest.
SECTION_TIMEOUT: Final = 900.0


async def case_count(session: ClientSession, base: str) -> int:
    """Ask the fuzzing server how many cases it serves."""
    async with session.ws_connect(f"{base}/getCaseCount") as ws:
        msg = await ws.receive()
        assert msg.type is WSMsgType.TEXT, msg
        return int(msg.data)


# What the client offers. Section 13's fuzzing server asks some cases for no
# context takeover on the client side, which it may only do when the offer
# says the client accepts it (client_no_context_takeover); the offer also
# names client_max_window_bits, so every case of sections 12 and 13 runs
# compressed.
OFFER: Final = PerMessageDeflate(client_no_context_takeover=True)


async def echo_case(session: ClientSession, base: str, case: int) -> None:
    """Run case ``case`` (1-based): echo every text and binary message until the close."""
    url = f"{base}/runCase?case={case}&agent={AGENT}"
    async with session.ws_connect(url, compress=OFFER, max_msg_size=0) as ws:
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type is WSMsgType.BINARY:
                await ws.send_bytes(msg.data)


async def update_reports(session: ClientSession, base: str) -> None:
    """Tell the fuzzing server the run is over."""
    async with session.ws_connect(f"{base}/updateReports?agent={AGENT}") as ws:
        await ws.receive()


async def test_client_section(autobahn_section: str, autobahn_verdict: Verdict) -> None:
    notes: dict[int, str] = {}
    async with (
        kosoku.run_fuzzingserver([f"{autobahn_section}.*"], port=0) as server,
        asyncio.timeout(SECTION_TIMEOUT),
    ):
        base = f"ws://{server.address}:{server.port}"
        async with ClientSession() as session:
            for case in range(1, await case_count(session, base) + 1):
                try:
                    async with asyncio.timeout(CASE_TIMEOUT):
                        await echo_case(session, base, case)
                except TimeoutError:
                    notes[case] = f"not finished within {CASE_TIMEOUT:.0f} s"
                except Exception as exc:
                    notes[case] = f"raised {exc!r}"
            await update_reports(session, base)
        try:
            results = await server.get_result()
        except kosoku.FailureError as failure:
            results = failure.results
    ids = {result.case_index: result.case_id for result in results}
    autobahn_verdict(
        "client",
        results,
        [f"case {ids.get(case, f'#{case}')}: {note}" for case, note in notes.items()],
    )
