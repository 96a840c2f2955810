"""The access log: format directives, custom loggers, and lines written by the server."""

from __future__ import annotations

import logging
import os
import re
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from transom.web import (
    AbstractAccessLogger,
    AccessLogger,
    BaseRequest,
    Request,
    Response,
    StreamResponse,
)

if TYPE_CHECKING:
    from tests.conftest import Serve


async def hello(request: Request) -> Response:
    return Response(text="hello", headers={"X-Out": "out-value"})


def fetch(url: str, **options: Any) -> httpx.Response:
    """GET ``url``, then once more on the same connection.

    The connection takes its next request only after the previous exchange is
    fully done, access log line included: once the second answer is in, the
    first line is written.
    """
    with httpx.Client() as client:
        response = client.get(url, **options)
        client.get(url.rsplit("/", 1)[0] + "/sync")
    return response


def access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "transom.web.access" and "/sync" not in r.getMessage()
    ]


def test_every_directive_is_written(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    log_format = '%a %t %P "%r" %s %b %T %Tf %D %{X-In}i %{X-Out}o %{X-Absent}i 100%%'
    server = serve(hello, access_log_format=log_format)
    with caplog.at_level(logging.INFO, logger="transom.web.access"):
        fetch(server.url("/path?q=1"), headers={"X-In": "in-value"})
    lines = access_lines(caplog)
    assert len(lines) == 1
    pattern = (
        r"127\.0\.0\.1 \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] <(\d+)> "
        r'"GET /path\?q=1 HTTP/1\.1" 200 (\d+) \d+ \d+\.\d{6} \d+ in-value out-value - 100%'
    )
    match = re.fullmatch(pattern, lines[0])
    assert match is not None, lines[0]
    assert int(match.group(1)) == os.getpid()
    assert int(match.group(2)) > len("hello")


def test_the_default_format(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    server = serve(hello)
    with caplog.at_level(logging.INFO, logger="transom.web.access"):
        fetch(server.url("/"), headers={"Referer": "http://ref/", "User-Agent": "agent/1"})
    [line] = access_lines(caplog)
    assert re.fullmatch(
        r'127\.0\.0\.1 \[.+\] "GET / HTTP/1\.1" 200 \d+ "http://ref/" "agent/1"', line
    )


def test_an_unknown_directive_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown access log directive"):
        AccessLogger(logging.getLogger("x"), "%a %Q")


def test_the_access_log_is_off_below_info(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    server = serve(hello)
    with caplog.at_level(logging.WARNING, logger="transom.web.access"):
        fetch(server.url("/"))
    assert access_lines(caplog) == []


def test_a_custom_access_logger_class(serve: Serve) -> None:
    seen: list[tuple[str, int, bool]] = []

    class Collecting(AbstractAccessLogger):
        def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
            seen.append((request.path, response.status, time >= 0))

    server = serve(hello, access_log_class=Collecting)
    fetch(server.url("/custom"))
    assert seen[0] == ("/custom", 200, True)


def test_access_log_none_turns_it_off(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    server = serve(hello, access_log=None)
    with caplog.at_level(logging.INFO, logger="transom.web.access"):
        fetch(server.url("/"))
    assert access_lines(caplog) == []


def test_a_failing_custom_logger_does_not_break_the_response(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(AbstractAccessLogger):
        def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
            raise RuntimeError("logger bug")

    server = serve(hello, access_log_class=Broken)
    with caplog.at_level(logging.ERROR, logger="transom.web.server"), httpx.Client() as client:
        assert client.get(server.url("/")).text == "hello"
        assert client.get(server.url("/")).text == "hello"
    assert "the access logger failed" in caplog.text
