"""WebSocket frame parsing and serialization: transom against ``websockets``.

Both sides run their sans-I/O connection object (transom's
``WebSocketConnection``, websockets' ``Protocol``) in the OPEN state, one
frame per ``receive_data`` call as on an echo server's hot path. Parsing is
measured on the receiving role (a server reads masked frames, a client
unmasked ones), serialization on the sending role. transom also decodes and
validates text as UTF-8 while parsing; websockets' ``Protocol`` leaves that
to its asyncio layer, so the 32-byte text rows slightly favour it.

Usage: ``python benchmarks/bench_websocket_frames.py [--quick]``. Prints a
markdown table; the ratio is websockets' time over transom's, so above 1
means transom is faster.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from importlib.metadata import version

from websockets.protocol import Protocol, Side, State

from transom.protocol.websocket import NEED_DATA, Role, WebSocketConnection

TEXT_32 = "x" * 32
BINARY_64K = bytes(range(256)) * 256


def per_call(function: Callable[[], object], budget: float) -> float:
    """Best time per call in seconds, over repeats that fill ``budget`` seconds."""
    calls = 1
    while True:
        started = time.perf_counter()
        for _ in range(calls):
            function()
        elapsed = time.perf_counter() - started
        if elapsed > 0.05:
            break
        calls *= 2
    best = elapsed / calls
    deadline = time.perf_counter() + budget
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        for _ in range(calls):
            function()
        best = min(best, (time.perf_counter() - started) / calls)
    return best


def transom_parse(role: Role, frame: bytes) -> Callable[[], object]:
    connection = WebSocketConnection(role, max_message_size=None)

    def parse() -> object:
        connection.receive_data(frame)
        event = connection.next_event()
        assert event is not NEED_DATA
        return event

    return parse


def websockets_parse(side: Side, frame: bytes) -> Callable[[], object]:
    protocol = Protocol(side, state=State.OPEN, max_size=None)

    def parse() -> object:
        protocol.receive_data(frame)
        return protocol.events_received()

    return parse


def transom_serialize(role: Role, text: str | None, data: bytes) -> Callable[[], object]:
    connection = WebSocketConnection(role)
    if text is not None:
        return lambda: connection.send_text(text)
    return lambda: connection.send_bytes(data)


def websockets_serialize(side: Side, text: str | None, data: bytes) -> Callable[[], object]:
    protocol = Protocol(side, state=State.OPEN)

    def serialize() -> object:
        if text is not None:
            protocol.send_text(text.encode())
        else:
            protocol.send_binary(data)
        return protocol.data_to_send()

    return serialize


def cases() -> list[tuple[str, Callable[[], object], Callable[[], object]]]:
    client = WebSocketConnection(Role.CLIENT)
    server = WebSocketConnection(Role.SERVER)
    masked_text = client.send_text(TEXT_32)
    masked_binary = client.send_bytes(BINARY_64K)
    text = server.send_text(TEXT_32)
    binary = server.send_bytes(BINARY_64K)
    return [
        (
            "parse 32 B text, server (masked)",
            transom_parse(Role.SERVER, masked_text),
            websockets_parse(Side.SERVER, masked_text),
        ),
        (
            "parse 32 B text, client",
            transom_parse(Role.CLIENT, text),
            websockets_parse(Side.CLIENT, text),
        ),
        (
            "parse 64 KiB binary, server (masked)",
            transom_parse(Role.SERVER, masked_binary),
            websockets_parse(Side.SERVER, masked_binary),
        ),
        (
            "parse 64 KiB binary, client",
            transom_parse(Role.CLIENT, binary),
            websockets_parse(Side.CLIENT, binary),
        ),
        (
            "serialize 32 B text, server",
            transom_serialize(Role.SERVER, TEXT_32, b""),
            websockets_serialize(Side.SERVER, TEXT_32, b""),
        ),
        (
            "serialize 32 B text, client (masked)",
            transom_serialize(Role.CLIENT, TEXT_32, b""),
            websockets_serialize(Side.CLIENT, TEXT_32, b""),
        ),
        (
            "serialize 64 KiB binary, server",
            transom_serialize(Role.SERVER, None, BINARY_64K),
            websockets_serialize(Side.SERVER, None, BINARY_64K),
        ),
        (
            "serialize 64 KiB binary, client (masked)",
            transom_serialize(Role.CLIENT, None, BINARY_64K),
            websockets_serialize(Side.CLIENT, None, BINARY_64K),
        ),
    ]


def has_c_masking() -> bool:
    try:
        import websockets.speedups  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, for a smoke check")
    args = parser.parse_args()
    budget = 0.4 if args.quick else 2.0

    speedups = "with its C masking extension" if has_c_masking() else "pure Python"
    print(f"websockets {version('websockets')} ({speedups}); times per frame, best of repeats.\n")
    print("| case | transom | websockets | ratio |")
    print("|---|---:|---:|---:|")
    for name, ours, theirs in cases():
        our_time = per_call(ours, budget)
        their_time = per_call(theirs, budget)
        print(
            f"| {name} | {our_time * 1e6:.2f} µs | {their_time * 1e6:.2f} µs "
            f"| {their_time / our_time:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
