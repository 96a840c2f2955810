"""HTTP/1.1 request parsing: transom.protocol.http1 side by side with other parsers.

Usage: ``python benchmarks/bench_http1_parse.py [--quick]``

Each parser takes the same three requests, one message at a time, and must
hand over everything a server needs: method, target, version, header fields
and body bytes.

- (a) ``GET /`` with 3 header fields;
- (b) a browser-like GET with 10 header fields;
- (c) a POST with a 64 KiB chunked body (16 chunks of 4 KiB).

What is timed per message:

- transom and h11: feeding one message to a connection and taking events until
  it needs data. transom runs with its compiled scanners (the C extension of
  transom-protocol) when they are built; the "pure Python" row runs the same
  code in a child process with ``TRANSOM_NO_EXTENSIONS=1``. The connections
  are built before the clock starts (a server builds one per TCP connection,
  not per request), so only parsing is timed;
  a second transom row builds a new connection for every message.
- httptools (llhttp, C): ``feed_data`` on a parser that is reused, as it is on a
  keep-alive connection, with callbacks that only collect the raw bytes. The
  second httptools row also builds what transom hands over (header values
  decoded as latin-1 into a ``CIMultiDict``, the target as ``str``).
- aiohttp's Python and C parsers: ``feed_data`` on a reused parser, which builds
  a ``RawRequestMessage`` (with a ``yarl.URL``) and a payload stream.

Each measurement runs several rounds and reports the median. Nothing here
asserts on timings. The last column is how much faster transom is (above 1) or
slower (below 1) than the parser on that row.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import h11
import httptools
from aiohttp import http_parser
from aiohttp.base_protocol import BaseProtocol
from multidict import CIMultiDict

from transom.protocol.http1 import NEED_DATA, Connection, Role
from transom.protocol.http1 import _head as transom_head

try:
    from aiohttp._http_parser import (  # type: ignore[import-not-found]
        HttpRequestParser as AiohttpCParser,
    )
except ImportError:  # pragma: no cover - a pure-Python aiohttp install
    AiohttpCParser = None

MINIMAL = b"GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench/1.0\r\nAccept: */*\r\n\r\n"
BROWSER = (
    b"GET /articles/2024/http-parsing?ref=home&utm_source=feed HTTP/1.1\r\n"
    b"Host: www.example.com\r\n"
    b"Connection: keep-alive\r\n"
    b"Upgrade-Insecure-Requests: 1\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    b"Chrome/124.0.0.0 Safari/537.36\r\n"
    b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
    b"image/webp,*/*;q=0.8\r\n"
    b"Sec-Fetch-Site: same-origin\r\n"
    b"Sec-Fetch-Mode: navigate\r\n"
    b"Referer: https://www.example.com/\r\n"
    b"Accept-Encoding: gzip, deflate, br, zstd\r\n"
    b"Accept-Language: en-GB,en;q=0.9,fr;q=0.8\r\n"
    b"\r\n"
)
_CHUNK = b"x" * 4096
CHUNKED = (
    b"POST /upload HTTP/1.1\r\n"
    b"Host: example.com\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b"Transfer-Encoding: chunked\r\n"
    b"\r\n" + b"".join(b"1000\r\n" + _CHUNK + b"\r\n" for _ in range(16)) + b"0\r\n\r\n"
)
INPUTS = {
    "(a) minimal GET, 3 fields": MINIMAL,
    "(b) browser GET, 10 fields": BROWSER,
    "(c) POST, 64 KiB chunked": CHUNKED,
}

# A benchmark function gets a message and a count, and returns the seconds
# spent parsing ``count`` copies of it.
Bench = Callable[[bytes, int], float]


def bench_transom(message: bytes, count: int) -> float:
    connections = [Connection(Role.SERVER) for _ in range(count)]
    start = time.perf_counter()
    for conn in connections:
        conn.receive_data(message)
        next_event = conn.next_event
        while next_event() is not NEED_DATA:
            pass
    return time.perf_counter() - start


def bench_transom_new_connection(message: bytes, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        conn = Connection(Role.SERVER)
        conn.receive_data(message)
        next_event = conn.next_event
        while next_event() is not NEED_DATA:
            pass
    return time.perf_counter() - start


def bench_h11(message: bytes, count: int) -> float:
    connections = [h11.Connection(h11.SERVER) for _ in range(count)]
    need_data = h11.NEED_DATA
    start = time.perf_counter()
    for conn in connections:
        conn.receive_data(message)
        next_event = conn.next_event
        while next_event() is not need_data:
            pass
    return time.perf_counter() - start


class _RawCallbacks:
    """httptools callbacks that keep the raw bytes, as a minimal server would."""

    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.done = 0

    def on_message_begin(self) -> None:
        self.headers = []
        self.body = []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.url = b""
        self.done += 1


class _DecodingCallbacks(_RawCallbacks):
    """httptools callbacks that also build what transom hands over."""

    def __init__(self, parser_box: list[Any]) -> None:
        super().__init__()
        self._parser_box = parser_box
        self.request: tuple[str, str, str, CIMultiDict[str]] | None = None

    def on_headers_complete(self) -> None:
        parser = self._parser_box[0]
        headers = CIMultiDict(
            [(name.decode("latin-1"), value.decode("latin-1")) for name, value in self.headers]
        )
        self.request = (
            parser.get_method().decode("ascii"),
            self.url.decode("latin-1"),
            parser.get_http_version(),
            headers,
        )

    def on_message_complete(self) -> None:
        self.url = b""
        self.done += 1


def _bench_httptools(message: bytes, count: int, decoding: bool) -> float:
    box: list[Any] = []
    callbacks = _DecodingCallbacks(box) if decoding else _RawCallbacks()
    parser = httptools.HttpRequestParser(callbacks)
    box.append(parser)
    feed = parser.feed_data
    start = time.perf_counter()
    for _ in range(count):
        feed(message)
    elapsed = time.perf_counter() - start
    assert callbacks.done == count
    return elapsed


def bench_httptools(message: bytes, count: int) -> float:
    return _bench_httptools(message, count, decoding=False)


def bench_httptools_decoding(message: bytes, count: int) -> float:
    return _bench_httptools(message, count, decoding=True)


_LOOP = asyncio.new_event_loop()


def _bench_aiohttp(parser_class: Any, message: bytes, count: int) -> float:
    protocol = BaseProtocol(_LOOP)
    parser = parser_class(protocol, _LOOP, 2**22, max_line_size=8190, max_field_size=8190)
    feed = parser.feed_data
    done = 0
    start = time.perf_counter()
    for _ in range(count):
        messages, _upgraded, _tail = feed(message)
        done += len(messages)
    elapsed = time.perf_counter() - start
    assert done == count
    return elapsed


def bench_aiohttp_py(message: bytes, count: int) -> float:
    return _bench_aiohttp(http_parser.HttpRequestParserPy, message, count)


def bench_aiohttp_c(message: bytes, count: int) -> float:
    return _bench_aiohttp(AiohttpCParser, message, count)


PARSERS: dict[str, Bench] = {
    "transom": bench_transom,
    "transom (+ a new Connection each)": bench_transom_new_connection,
    "httptools (raw callbacks)": bench_httptools,
    "httptools (+ CIMultiDict[str])": bench_httptools_decoding,
    "h11": bench_h11,
    "aiohttp (Python)": bench_aiohttp_py,
}
if AiohttpCParser is not None:
    PARSERS["aiohttp (C)"] = bench_aiohttp_c


def measure(bench: Bench, message: bytes, rounds: int, round_seconds: float) -> float:
    """Median seconds per message over ``rounds`` rounds of about ``round_seconds``."""
    count = 16
    while True:  # calibrate: grow the count until a round is long enough to time
        if bench(message, count) >= round_seconds / 4 or count >= 1 << 22:
            break
        count *= 2
    count = max(count * 4, 1)
    per_message = []
    for _ in range(rounds):
        gc.collect()
        gc.disable()
        try:
            per_message.append(bench(message, count) / count)
        finally:
            gc.enable()
    return statistics.median(per_message)


# The targets: transom at least this many times h11's speed, and at least this
# fraction of raw httptools' speed, on inputs (a) and (b).
TARGET_OVER_H11 = 4.0
TARGET_OF_HTTPTOOLS = 0.5
TARGET_INPUTS = ("(a) minimal GET, 3 fields", "(b) browser GET, 10 fields")
PURE = "transom (pure Python)"


def measure_pure(rounds: int, round_seconds: float) -> dict[str, float]:
    """Seconds per message of transom without its compiled scanners, in a child process."""
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--pure-only",
            "--rounds",
            str(rounds),
            "--round-seconds",
            str(round_seconds),
        ],
        env={**os.environ, "TRANSOM_NO_EXTENSIONS": "1"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    results: dict[str, float] = json.loads(output)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (about 20 s)")
    parser.add_argument("--pure-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--round-seconds", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    rounds, round_seconds = (3, 0.08) if args.quick else (7, 0.4)
    rounds = args.rounds or rounds
    round_seconds = args.round_seconds or round_seconds
    if args.pure_only:
        print(
            json.dumps(
                {
                    name: measure(bench_transom, message, rounds, round_seconds)
                    for name, message in INPUTS.items()
                }
            )
        )
        return 0

    compiled = transom_head.read_request is not None
    pure = measure_pure(rounds, round_seconds)
    print(
        f"Python {platform.python_version()}, {platform.machine()} {platform.system()}, "
        f"{os.cpu_count()} CPUs; {rounds} rounds per measurement, median shown; "
        f"transom {'with' if compiled else 'WITHOUT'} its compiled scanners.\n"
    )
    print("| input | parser | µs / message | messages / s | transom speed-up |")
    print("|---|---|---:|---:|---:|")
    verdicts = []
    for input_name, message in INPUTS.items():
        results = {
            name: measure(bench, message, rounds, round_seconds) for name, bench in PARSERS.items()
        }
        results = {"transom": results.pop("transom"), PURE: pure[input_name], **results}
        ours = results["transom"]
        for name, seconds in results.items():
            ratio = "" if name.startswith("transom") else f"{seconds / ours:.2f}x"
            print(f"| {input_name} | {name} | {seconds * 1e6:.2f} | {1 / seconds:,.0f} | {ratio} |")
        sys.stdout.flush()
        if input_name in TARGET_INPUTS:
            over_h11 = results["h11"] / ours
            of_httptools = results["httptools (raw callbacks)"] / ours
            verdicts.append(
                f"- {input_name}: {over_h11:.2f}x h11 (target {TARGET_OVER_H11:g}x: "
                f"{'met' if over_h11 >= TARGET_OVER_H11 else 'NOT met'}), "
                f"{of_httptools:.2f}x raw httptools (target {TARGET_OF_HTTPTOOLS:g}x: "
                f"{'met' if of_httptools >= TARGET_OF_HTTPTOOLS else 'NOT met'})"
            )
    print()
    print("\n".join(verdicts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
