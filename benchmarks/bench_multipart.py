"""Stream one large multipart upload through transom's parser and aiohttp's reader.

Usage::

    python benchmarks/bench_multipart.py [--quick] [--rounds N]

The body is one ``multipart/form-data`` part holding a file of random bytes
(50 MiB, or 8 MiB with ``--quick``), generated on the fly in 64 KiB chunks:
the script never holds the whole body, so a parser that buffers the part
shows up in its memory figure. Both parsers get the same chunk objects.

- transom: ``MultipartParser.feed()`` per chunk, counting ``PartData`` bytes.
- aiohttp: ``MultipartReader`` over an ``aiohttp.StreamReader`` fed by a task
  with aiohttp's own flow control (pause above 2 x 64 KiB buffered, the
  server's default read buffer), reading the part with ``read_chunk(64 KiB)``.
- control: no parsing, the chunks appended to one buffer; it shows what the
  memory columns report for code that holds the whole body.

Each measurement runs in a fresh subprocess. Throughput rounds alternate
between the parsers; a round parses the body as many times as fit in a
quarter second, and the table shows the median round. Memory is the growth
of peak RSS (``ru_maxrss``) over the process's baseline after setup, and the
``tracemalloc`` peak in a separate run. Results print as a markdown table.
Nothing is asserted about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

MIB = 1024 * 1024
CHUNK_SIZE = 64 * 1024
FULL_SIZE = 50 * MIB
QUICK_SIZE = 8 * MIB
BOUNDARY = "a7d3f2c8e1b04c6d9e8f7a6b5c4d3e2f"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
PARSERS = ("transom", "aiohttp", "control: buffer the body")

_HEAD = (
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="upload"; filename="data.bin"\r\n'
    "Content-Type: application/octet-stream\r\n"
    "\r\n"
).encode()
_TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


class Body:
    """A single-file multipart body of *size* content bytes, as 64 KiB chunks.

    The content repeats a 1 MiB random block, so every chunk in the middle of
    the body is one of 16 objects, made on first use like the first and last
    chunks. Memory stays at a few MiB whatever the size.
    """

    def __init__(self, size: int) -> None:
        if size % MIB:
            raise ValueError("size must be a whole number of MiB")
        self.content_size = size
        block = os.urandom(MIB)
        # Random data holding the delimiter would end the part early.
        assert f"\r\n--{BOUNDARY}".encode() not in block + block
        self._window = block + block[:CHUNK_SIZE]
        self._pool: dict[int, bytes] = {}
        self._edges: dict[int, bytes] = {}
        self.total = len(_HEAD) + size + len(_TAIL)

    def _stream_bytes(self, start: int, stop: int) -> bytes:
        # Bytes [start, stop) of the whole body; used for the edge chunks.
        out = bytearray()
        for offset in range(start, stop):
            if offset < len(_HEAD):
                out.append(_HEAD[offset])
            elif offset < len(_HEAD) + self.content_size:
                out.append(self._window[(offset - len(_HEAD)) % MIB])
            else:
                out.append(_TAIL[offset - len(_HEAD) - self.content_size])
        return bytes(out)

    def chunks(self) -> Iterator[bytes]:
        content_end = len(_HEAD) + self.content_size
        for start in range(0, self.total, CHUNK_SIZE):
            stop = min(start + CHUNK_SIZE, self.total)
            if start >= len(_HEAD) and stop <= content_end:
                offset = (start - len(_HEAD)) % MIB
                chunk = self._pool.get(offset)
                if chunk is None:
                    chunk = self._pool[offset] = self._window[offset : offset + CHUNK_SIZE]
                yield chunk
            else:
                chunk = self._edges.get(start)
                if chunk is None:
                    chunk = self._edges[start] = self._stream_bytes(start, stop)
                yield chunk


def parse_with_transom(body: Body) -> int:
    from transom.protocol.multipart import MultipartParser, PartData

    parser = MultipartParser(BOUNDARY)
    received = 0
    for chunk in body.chunks():
        for event in parser.feed(chunk):
            if type(event) is PartData:
                received += len(event.data)
    parser.feed_eof()
    return received


def parse_with_aiohttp(body: Body) -> int:
    return asyncio.run(_parse_with_aiohttp(body))


async def _parse_with_aiohttp(body: Body) -> int:
    from aiohttp import BodyPartReader, MultipartReader, StreamReader
    from aiohttp.base_protocol import BaseProtocol

    class FeederProtocol(BaseProtocol):
        # StreamReader pauses its protocol above its high-water mark and
        # resumes it once drained; here that gates the feeding task.
        def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
            super().__init__(loop)
            self.resumed = asyncio.Event()

        @property
        def connected(self) -> bool:
            return True  # no transport: the feeding task plays the peer

        def pause_reading(self) -> None:
            self._reading_paused = True
            self.resumed.clear()

        def resume_reading(self, resume_parser: bool = True) -> None:
            self._reading_paused = False
            self.resumed.set()

    loop = asyncio.get_running_loop()
    protocol = FeederProtocol(loop)
    stream = StreamReader(protocol, CHUNK_SIZE, loop=loop)

    async def feed() -> None:
        for chunk in body.chunks():
            stream.feed_data(chunk)
            if protocol._reading_paused:
                await protocol.resumed.wait()
        stream.feed_eof()

    feeder = asyncio.create_task(feed())
    reader = MultipartReader({"Content-Type": CONTENT_TYPE}, stream)
    received = 0
    async for part in reader:
        assert isinstance(part, BodyPartReader)
        while chunk := await part.read_chunk(CHUNK_SIZE):
            received += len(chunk)
    await feeder
    return received


def buffer_whole_body(body: Body) -> int:
    # Control row: what holding the body costs, to show the memory columns
    # would catch a parser that buffers the part.
    buffer = bytearray()
    for chunk in body.chunks():
        buffer += chunk
    return len(buffer) - len(_HEAD) - len(_TAIL)


RUNNERS: dict[str, Callable[[Body], int]] = {
    "transom": parse_with_transom,
    "aiohttp": parse_with_aiohttp,
    "control: buffer the body": buffer_whole_body,
}


# A timed round repeats the body until it lasts this long, so that one
# scheduler hiccup on a shared machine moves the figure little.
MIN_ROUND_SECONDS = 0.25


def worker(parser: str, mode: str, size: int) -> dict[str, float]:
    """Run inside a fresh subprocess; return this measurement as a dict."""
    run = RUNNERS[parser]
    body = Body(size)
    # Warm up imports, caches and the chunk pool on a small body first, so
    # the baseline below includes them.
    run(Body(MIB))
    for _ in body.chunks():
        pass
    if mode == "throughput":
        started = time.perf_counter()
        assert run(body) == size, parser
        passes = max(1, math.ceil(MIN_ROUND_SECONDS / (time.perf_counter() - started)))
        started = time.perf_counter()
        for _ in range(passes):
            run(body)
        elapsed = time.perf_counter() - started
        return {"rate": passes * size / MIB / elapsed}
    if mode == "rss":
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        received = run(body)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert received == size
        return {"rss_growth_kib": float(peak - baseline)}  # ru_maxrss is KiB on Linux
    tracemalloc.start()
    received = run(body)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert received == size
    return {"traced_peak_kib": peak / 1024}


def measure(parser: str, mode: str, size: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--worker", parser, mode, str(size)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if completed.returncode != 0:
        sys.exit(f"{parser} {mode} measurement failed:\n{completed.stderr}")
    result: dict[str, float] = json.loads(completed.stdout)
    return result


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--quick", action="store_true", help="8 MiB body, 3 rounds")
    arguments.add_argument("--rounds", type=int, default=None)
    arguments.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    options = arguments.parse_args()
    if options.worker:
        parser, mode, size = options.worker
        print(json.dumps(worker(parser, mode, int(size))))
        return

    size = QUICK_SIZE if options.quick else FULL_SIZE
    rounds = options.rounds or (3 if options.quick else 7)
    # Rounds alternate between the parsers, each in a fresh process, so a
    # slow spell on the machine hits them alike.
    rates: dict[str, list[float]] = {parser: [] for parser in PARSERS}
    for _ in range(rounds):
        for parser in PARSERS:
            rates[parser].append(measure(parser, "throughput", size)["rate"])
    memory = {
        parser: {**measure(parser, "rss", size), **measure(parser, "tracemalloc", size)}
        for parser in PARSERS
    }
    import aiohttp

    print(
        f"One {size // MIB} MiB file part in {CHUNK_SIZE // 1024} KiB chunks, "
        f"median of {rounds} rounds; Python {sys.version.split()[0]}, aiohttp {aiohttp.__version__}"
    )
    print()
    print(
        "| parser | MiB/s (median) | MiB/s (min-max) | vs aiohttp "
        "| peak RSS growth | tracemalloc peak |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    reference = statistics.median(rates["aiohttp"])
    for parser in PARSERS:
        median = statistics.median(rates[parser])
        ratio = "-" if parser.startswith("control") else f"{median / reference:.2f}x"
        print(
            f"| {parser} | {median:.0f} | {min(rates[parser]):.0f}-{max(rates[parser]):.0f} "
            f"| {ratio} "
            f"| {memory[parser]['rss_growth_kib'] / 1024:.2f} MiB "
            f"| {memory[parser]['traced_peak_kib']:.0f} KiB |"
        )


if __name__ == "__main__":
    main()
