"""Compiled scanners for HTTP/1.1 message heads (see ``_speedups.c``)."""

def scan_request(
    head: bytes | bytearray | memoryview, stop: int, /
) -> tuple[str, str, str, list[tuple[str, str]], int, int, str | None] | None: ...
def scan_response(
    head: bytes | bytearray | memoryview, stop: int, /
) -> tuple[str, int, str, list[tuple[str, str]], int, int] | None: ...
