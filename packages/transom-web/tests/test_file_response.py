"""FileResponse over a socket: validators, conditional requests, ranges, siblings."""

from __future__ import annotations

import gzip
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from transom.protocol.dates import format_http_date
from transom.web import FileResponse, Request

if TYPE_CHECKING:
    from tests.conftest import RunningServer, Serve

CONTENT = bytes(range(256)) * 40  # 10240 bytes


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "data.bin").write_bytes(CONTENT)
    (tmp_path / "page.html").write_text("<p>hello</p>")
    (tmp_path / "app.js").write_text("console.log('plain')")
    (tmp_path / "app.js.gz").write_bytes(gzip.compress(b"console.log('gzip')"))
    (tmp_path / "app.js.br").write_bytes(b"brotli bytes")
    (tmp_path / "archive.tar.gz").write_bytes(gzip.compress(b"tar"))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    return tmp_path


@pytest.fixture
def server(serve: Serve, files: Path) -> RunningServer:
    async def handler(request: Request) -> FileResponse:
        return FileResponse(files / request.path.lstrip("/"), chunk_size=1000)

    return serve(handler)


def test_a_file_is_sent_with_validators(server: RunningServer, files: Path) -> None:
    response = httpx.get(server.url("/data.bin"))
    assert response.status_code == 200
    assert response.content == CONTENT
    assert response.headers["content-length"] == str(len(CONTENT))
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"].startswith('"')
    mtime = os.stat(files / "data.bin").st_mtime
    assert response.headers["last-modified"] == format_http_date(mtime)


def test_the_content_type_is_guessed_from_the_name(server: RunningServer) -> None:
    assert httpx.get(server.url("/page.html")).headers["content-type"].startswith("text/html")
    archive = httpx.get(server.url("/archive.tar.gz"))
    assert archive.headers["content-type"] == "application/gzip"
    assert "content-encoding" not in archive.headers


def test_an_empty_file(server: RunningServer) -> None:
    response = httpx.get(server.url("/empty.txt"))
    assert (response.status_code, response.content) == (200, b"")


@pytest.mark.parametrize(("path", "status"), [("/missing", 404), ("/sub", 404)])
def test_missing_files_and_directories_are_404(
    server: RunningServer, path: str, status: int
) -> None:
    assert httpx.get(server.url(path)).status_code == status


def test_a_matching_if_none_match_is_304(server: RunningServer) -> None:
    etag = httpx.get(server.url("/data.bin")).headers["etag"]
    response = httpx.get(server.url("/data.bin"), headers={"If-None-Match": f'W/{etag}, "x"'})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


def test_if_modified_since_at_or_after_the_mtime_is_304(server: RunningServer) -> None:
    last_modified = httpx.get(server.url("/data.bin")).headers["last-modified"]
    response = httpx.get(server.url("/data.bin"), headers={"If-Modified-Since": last_modified})
    assert response.status_code == 304
    older = httpx.get(
        server.url("/data.bin"), headers={"If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"}
    )
    assert older.status_code == 200


def test_if_none_match_wins_over_if_modified_since(server: RunningServer) -> None:
    last_modified = httpx.get(server.url("/data.bin")).headers["last-modified"]
    response = httpx.get(
        server.url("/data.bin"),
        headers={"If-None-Match": '"other"', "If-Modified-Since": last_modified},
    )
    assert response.status_code == 200


def test_a_failing_if_match_is_412(server: RunningServer) -> None:
    response = httpx.get(server.url("/data.bin"), headers={"If-Match": '"nope"'})
    assert response.status_code == 412
    etag = httpx.get(server.url("/data.bin")).headers["etag"]
    assert httpx.get(server.url("/data.bin"), headers={"If-Match": etag}).status_code == 200


def test_a_failing_if_unmodified_since_is_412(server: RunningServer) -> None:
    response = httpx.get(
        server.url("/data.bin"), headers={"If-Unmodified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"}
    )
    assert response.status_code == 412


@pytest.mark.parametrize(
    ("range_value", "start", "end"),
    [("bytes=0-99", 0, 99), ("bytes=10000-", 10000, 10239), ("bytes=-40", 10200, 10239)],
)
def test_a_satisfiable_range_is_206(
    server: RunningServer, range_value: str, start: int, end: int
) -> None:
    response = httpx.get(server.url("/data.bin"), headers={"Range": range_value})
    assert response.status_code == 206
    assert response.content == CONTENT[start : end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(CONTENT)}"


@pytest.mark.parametrize("range_value", ["bytes=20000-", "bytes=5-2", "bytes=-0"])
def test_an_unsatisfiable_range_is_416(server: RunningServer, range_value: str) -> None:
    response = httpx.get(server.url("/data.bin"), headers={"Range": range_value})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(CONTENT)}"


def test_several_ranges_get_the_whole_file(server: RunningServer) -> None:
    response = httpx.get(server.url("/data.bin"), headers={"Range": "bytes=0-1, 5-6"})
    assert (response.status_code, len(response.content)) == (200, len(CONTENT))


def test_if_range_with_a_stale_validator_gets_the_whole_file(server: RunningServer) -> None:
    first = httpx.get(server.url("/data.bin"))
    current = httpx.get(
        server.url("/data.bin"), headers={"Range": "bytes=0-9", "If-Range": first.headers["etag"]}
    )
    assert current.status_code == 206
    by_date = httpx.get(
        server.url("/data.bin"),
        headers={"Range": "bytes=0-9", "If-Range": first.headers["last-modified"]},
    )
    assert by_date.status_code == 206
    stale = httpx.get(server.url("/data.bin"), headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert (stale.status_code, len(stale.content)) == (200, len(CONTENT))


def test_head_sends_the_fields_without_the_file(server: RunningServer) -> None:
    raw = server.raw()
    try:
        raw.request("HEAD", "/data.bin")
        response = raw.read_response()
    finally:
        raw.close()
    assert response.body == b""
    assert response.headers["content-length"] == str(len(CONTENT))


def test_a_gzip_sibling_is_served_to_clients_that_accept_it(server: RunningServer) -> None:
    response = httpx.get(server.url("/app.js"), headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.text == "console.log('gzip')"
    assert response.headers["content-type"].split(";")[0] in (
        "text/javascript",
        "application/javascript",
    )


def test_a_brotli_sibling_is_preferred(server: RunningServer) -> None:
    raw = server.raw()
    try:
        raw.request("GET", "/app.js", headers=[("Accept-Encoding", "gzip, br")])
        response = raw.read_response()
    finally:
        raw.close()
    assert response.headers["content-encoding"] == "br"
    assert response.body == b"brotli bytes"


def test_the_plain_file_goes_to_clients_without_the_coding(server: RunningServer) -> None:
    response = httpx.get(server.url("/app.js"), headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in response.headers
    assert response.text == "console.log('plain')"
    assert response.headers["vary"] == "Accept-Encoding"


def test_curl_resumes_a_download_with_a_range(server: RunningServer, tmp_path: Path) -> None:
    target = tmp_path / "download.bin"
    target.write_bytes(CONTENT[:4000])
    subprocess.run(
        ["curl", "-sS", "--max-time", "10", "-C", "-", "-o", str(target), server.url("/data.bin")],
        check=True,
    )
    assert target.read_bytes() == CONTENT


def test_a_large_file_streams_to_the_end(serve: Serve, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    block = os.urandom(1 << 16)
    big.write_bytes(block * 64)  # 4 MiB

    async def handler(request: Request) -> FileResponse:
        return FileResponse(big)

    server = serve(handler)
    with httpx.stream("GET", server.url("/")) as response:
        received = b"".join(response.iter_bytes())
    assert received == block * 64
