"""The optional compiled speed-ups of transom.protocol (C sources in ``csrc/``)."""

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from transom.protocol.websocket._events import BytesMessage, TextMessage

_E = TypeVar("_E")

def scan_request(
    head: bytes | bytearray | memoryview,
    stop: int,
    max_line_size: int,
    max_count: int,
    max_block_size: int,
    /,
) -> tuple[str, str, tuple[int, int], list[tuple[str, str]], int, str | None] | None: ...
def scan_response(
    head: bytes | bytearray | memoryview,
    stop: int,
    max_line_size: int,
    max_count: int,
    max_block_size: int,
    /,
) -> tuple[tuple[int, int], int, str, list[tuple[str, str]]] | None: ...
def set_known_names(names: Iterable[str], /) -> None: ...
def register_event(cls: type, fields: Sequence[object], /) -> None: ...
def new_event(cls: type[_E], /, *values: object) -> _E: ...
def configure_requests(
    request_cls: type,
    headers_cls: Callable[[list[tuple[str, str]]], object],
    valid_hosts: set[str],
    /,
) -> None: ...
def read_request(
    buffer: bytearray, max_line_size: int, max_count: int, max_block_size: int, /
) -> tuple[Any, int] | None: ...
def configure_responses(
    response_cls: type,
    informational_cls: type,
    headers_cls: Callable[[list[tuple[str, str]]], object],
    /,
) -> None: ...
def read_response(
    buffer: bytearray, max_line_size: int, max_count: int, max_block_size: int, /
) -> Any | None: ...
def apply_mask(payload: bytes | bytearray | memoryview, key: bytes | bytearray, /) -> bytes: ...
def configure_messages(text_cls: type[TextMessage], bytes_cls: type[BytesMessage], /) -> None: ...
def read_message(
    buffer: bytearray, masked: bool, limit: int | None, /
) -> TextMessage | BytesMessage | None: ...
def decode_chunks(
    buffer: bytearray,
    phase: int,
    remaining: int,
    total: int,
    max_line: int,
    max_body: int,
    /,
) -> tuple[bytes | None, int, int, int, int, bool]: ...
def set_fields_fallback(function: Callable[..., bytes], /) -> None: ...
def encode_fields(headers: Any, extra: str = "", /) -> bytes: ...
