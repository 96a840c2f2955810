"""AsyncResolver against a real DNS server: dnsmasq on 127.0.0.1, answering from a hosts file.

The module starts one ``dnsmasq`` for all its tests: bound to 127.0.0.1 only,
on a free port (UDP and TCP), with no upstream servers, no ``/etc/hosts`` and
no configuration file, so it answers only from the hosts file written here and
says NXDOMAIN for every other name under ``transom.test``. Its query log shows
which questions really reached the server.

``dnsmasq`` (Debian: ``dnsmasq-base``) must be installed; ``tools/test-all``
installs it. Without it these tests fail: they do not skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import pwd
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pycares
import pytest
from aiohttp import web
from yarl import URL

from transom.client import (
    AsyncResolver,
    ClientConnectorDNSError,
    ClientSession,
    ResolveResult,
    TCPConnector,
    TraceConfig,
)

Server = Callable[..., contextlib.AbstractAsyncContextManager[URL]]

HOSTS = """\
127.0.0.1 web.transom.test
::1 web.transom.test
127.0.0.2 pair.transom.test
127.0.0.3 pair.transom.test
127.0.0.1 cached.transom.test
127.0.0.1 expiring.transom.test
"""
NUMERIC = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
_markers = itertools.count()


@dataclass(frozen=True)
class Dnsmasq:
    """A running dnsmasq: where it listens and where it logs its queries."""

    port: int
    log: Path

    @property
    def nameserver(self) -> str:
        """The ``host:port`` form c-ares takes for a server on a non-default port."""
        return f"127.0.0.1:{self.port}"

    def queries(self, name: str, since: int = 0) -> list[str]:
        """The record types asked for ``name`` in the log after byte offset ``since``."""
        text = self.log.read_bytes()[since:].decode()
        types = []
        for line in text.splitlines():
            _, found, rest = line.partition(": query[")
            if found and rest.split("]", 1)[1].split()[0] == name:
                types.append(rest.split("]", 1)[0])
        return types

    def log_size(self) -> int:
        """The current size of the query log (a ``since`` for :meth:`queries`)."""
        return self.log.stat().st_size


def _dnsmasq_binary() -> str:
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    binary = shutil.which("dnsmasq", path=search)
    if binary is None:
        who = "CI must install it" if os.environ.get("CI") == "true" else "Install it"
        pytest.fail(
            "dnsmasq is not installed, and these tests run it as a real DNS server. "
            f"{who}: apt-get install dnsmasq-base (Debian), as tools/test-all does as root.",
            pytrace=False,
        )
    return binary


def _free_port() -> int:
    """A port free on 127.0.0.1 for both TCP and UDP (at the time of asking)."""
    while True:
        with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def _answers(port: int) -> bool:
    """Whether a DNS server on ``port`` answers a query for ``web.transom.test``."""
    name = b"".join(bytes([len(label)]) + label for label in b"web.transom.test".split(b"."))
    query = struct.pack("!6H", 0x7473, 0x0100, 1, 0, 0, 0) + name + b"\0" + struct.pack("!2H", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.2)
        try:
            sock.sendto(query, ("127.0.0.1", port))
            reply = sock.recv(512)
        except OSError:
            return False
    return reply[:2] == query[:2]


def _start(binary: str, directory: Path, port: int) -> subprocess.Popen[bytes]:
    hosts = directory / "hosts"
    with (directory / "stderr").open("wb") as stderr:
        return subprocess.Popen(
            [
                binary,
                "--keep-in-foreground",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                f"--addn-hosts={hosts}",
                "--local=/transom.test/",
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                f"--port={port}",
                "--pid-file=",
                f"--user={pwd.getpwuid(os.getuid()).pw_name}",
                "--log-queries",
                f"--log-facility={directory / 'queries.log'}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def dnsmasq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dnsmasq]:
    """A dnsmasq answering from :data:`HOSTS`, stopped (by its PID) after the module."""
    binary = _dnsmasq_binary()
    directory = tmp_path_factory.mktemp("dnsmasq")
    (directory / "hosts").write_text(HOSTS)
    failures = []
    for _ in range(5):
        port = _free_port()
        process = _start(binary, directory, port)
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            if _answers(port):
                try:
                    yield Dnsmasq(port, directory / "queries.log")
                finally:
                    _stop(process)
                return
        _stop(process)
        # Lost the port to another process between choosing and binding: try another.
        failures.append((directory / "stderr").read_text())
    pytest.fail(f"dnsmasq did not start: {failures}", pytrace=False)


def make_resolver(server: Dnsmasq, **options: Any) -> AsyncResolver:
    """An AsyncResolver asking only ``server``: no hosts file, no search domains."""
    return AsyncResolver(
        nameservers=[server.nameserver],
        lookups="b",
        flags=pycares.ARES_FLAG_NOSEARCH | options.pop("flags", 0),
        **options,
    )


@contextlib.asynccontextmanager
async def resolver_for(server: Dnsmasq, **options: Any) -> AsyncIterator[AsyncResolver]:
    resolver = make_resolver(server, **options)
    try:
        yield resolver
    finally:
        await resolver.close()


async def settle(server: Dnsmasq) -> None:
    """Wait until every earlier query is in the log: ask a fresh name and wait for it."""
    name = f"marker-{os.getpid()}-{next(_markers)}.transom.test"
    async with resolver_for(server) as resolver:
        with pytest.raises(OSError, match=name):
            await resolver.resolve(name)
    deadline = time.monotonic() + 10
    while not server.queries(name):
        assert time.monotonic() < deadline, f"{name} never reached the query log"
        await asyncio.sleep(0.01)


def result(host: str, name: str, port: int, family: socket.AddressFamily) -> ResolveResult:
    return ResolveResult(
        hostname=name, host=host, port=port, family=family, proto=socket.IPPROTO_TCP, flags=NUMERIC
    )


@pytest.mark.parametrize("transport_flags", [0, pycares.ARES_FLAG_USEVC], ids=["udp", "tcp"])
def test_resolve_answers_from_the_server(dnsmasq: Dnsmasq, transport_flags: int) -> None:
    async def main() -> None:
        since = dnsmasq.log_size()
        async with resolver_for(dnsmasq, flags=transport_flags) as resolver:
            answer = await resolver.resolve("web.transom.test", 8080)
        assert answer == [result("127.0.0.1", "web.transom.test", 8080, socket.AF_INET)]
        await settle(dnsmasq)
        assert dnsmasq.queries("web.transom.test", since) == ["A"]

    asyncio.run(main())


def test_resolve_ipv6_and_either_family(dnsmasq: Dnsmasq) -> None:
    async def main() -> None:
        async with resolver_for(dnsmasq) as resolver:
            v6 = await resolver.resolve("web.transom.test", 443, family=socket.AF_INET6)
            either = await resolver.resolve("web.transom.test", 443, family=socket.AF_UNSPEC)
        assert v6 == [result("::1", "web.transom.test", 443, socket.AF_INET6)]
        assert sorted(either, key=lambda r: r["family"]) == [
            result("127.0.0.1", "web.transom.test", 443, socket.AF_INET),
            result("::1", "web.transom.test", 443, socket.AF_INET6),
        ]

    asyncio.run(main())


def test_resolve_returns_every_address_of_a_name(dnsmasq: Dnsmasq) -> None:
    async def main() -> None:
        async with resolver_for(dnsmasq) as resolver:
            answer = await resolver.resolve("pair.transom.test", 80)
        assert sorted(answer, key=lambda r: r["host"]) == [
            result("127.0.0.2", "pair.transom.test", 80, socket.AF_INET),
            result("127.0.0.3", "pair.transom.test", 80, socket.AF_INET),
        ]

    asyncio.run(main())


def test_nxdomain_raises_gaierror_naming_the_host(dnsmasq: Dnsmasq) -> None:
    async def main() -> None:
        async with resolver_for(dnsmasq) as resolver:
            with pytest.raises(socket.gaierror, match=r"nope\.transom\.test") as info:
                await resolver.resolve("nope.transom.test", 80)
        assert info.value.errno == socket.EAI_NONAME
        await settle(dnsmasq)
        assert "A" in dnsmasq.queries("nope.transom.test")

    asyncio.run(main())


def hello_app() -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"hello {request.host}")

    app = web.Application()
    app.router.add_get("/", hello)
    return app


def test_session_fetches_by_name_through_the_dns_server(
    dnsmasq: Dnsmasq, web_server: Server
) -> None:
    async def main() -> None:
        async with web_server(hello_app()) as base, resolver_for(dnsmasq) as resolver:
            connector = TCPConnector(resolver=resolver, family=socket.AF_INET)
            async with ClientSession(connector=connector) as session:
                url = base.with_host("web.transom.test")
                async with session.get(url) as response:
                    assert await response.text() == f"hello web.transom.test:{base.port}"
                with pytest.raises(ClientConnectorDNSError) as info:
                    await session.get(url.with_host("nope.transom.test"))
        assert isinstance(info.value.os_error, socket.gaierror)
        assert str(info.value).startswith(f"Cannot resolve host nope.transom.test:{base.port}")

    asyncio.run(main())


def dns_trace() -> tuple[TraceConfig, list[str]]:
    events: list[str] = []
    config = TraceConfig()
    for hook in ("on_dns_cache_hit", "on_dns_cache_miss", "on_dns_resolvehost_start"):

        async def record(session: Any, ctx: SimpleNamespace, params: Any, hook: str = hook) -> None:
            events.append(hook)

        getattr(config, hook).append(record)
    return config, events


def test_dns_cache_spares_the_second_query(dnsmasq: Dnsmasq, web_server: Server) -> None:
    async def main() -> None:
        config, events = dns_trace()
        since = dnsmasq.log_size()
        async with web_server(hello_app()) as base, resolver_for(dnsmasq) as resolver:
            connector = TCPConnector(
                resolver=resolver, ttl_dns_cache=60, force_close=True, family=socket.AF_INET
            )
            async with ClientSession(connector=connector, trace_configs=[config]) as session:
                for _ in range(3):
                    async with session.get(base.with_host("cached.transom.test")) as response:
                        assert response.status == 200
        await settle(dnsmasq)
        assert events == [
            "on_dns_cache_miss",
            "on_dns_resolvehost_start",
            "on_dns_cache_hit",
            "on_dns_cache_hit",
        ]
        assert dnsmasq.queries("cached.transom.test", since) == ["A"]

    asyncio.run(main())


def test_expired_dns_answers_are_asked_again(dnsmasq: Dnsmasq, web_server: Server) -> None:
    async def main() -> None:
        config, events = dns_trace()
        since = dnsmasq.log_size()
        async with web_server(hello_app()) as base, resolver_for(dnsmasq) as resolver:
            connector = TCPConnector(
                resolver=resolver, ttl_dns_cache=0, force_close=True, family=socket.AF_INET
            )
            async with ClientSession(connector=connector, trace_configs=[config]) as session:
                for _ in range(2):
                    async with session.get(base.with_host("expiring.transom.test")) as response:
                        assert response.status == 200
        await settle(dnsmasq)
        assert events == ["on_dns_cache_miss", "on_dns_resolvehost_start"] * 2
        assert dnsmasq.queries("expiring.transom.test", since) == ["A", "A"]

    asyncio.run(main())


def test_resolve_asks_c_ares_for_configured_families_only(dnsmasq: Dnsmasq) -> None:
    # c-ares has its own flag values: socket.AI_ADDRCONFIG (0x20) would be
    # its ARES_AI_ALL, while its ARES_AI_ADDRCONFIG is 1 << 6.
    asked: list[int] = []

    async def main() -> None:
        async with resolver_for(dnsmasq) as resolver:
            channel = resolver._resolver
            getaddrinfo = channel.getaddrinfo

            def spy(*args: Any, **kwargs: Any) -> Any:
                asked.append(kwargs["flags"])
                return getaddrinfo(*args, **kwargs)

            channel.getaddrinfo = spy  # type: ignore[method-assign]
            answer = await resolver.resolve("web.transom.test", 80)
        assert answer == [result("127.0.0.1", "web.transom.test", 80, socket.AF_INET)]

    asyncio.run(main())
    assert asked == [1 << 6]
