"""The compiled head scanners accept exactly what the pure-Python path accepts.

``transom.protocol._speedups`` is an optional C extension. When it refuses a
head, the pure-Python path runs over the same bytes to name the broken rule,
so the two must agree on which heads are well-formed and on what they split
them into. Generated heads, well-formed ones with bytes flipped, dropped or
added where framing hinges, are scanned both ways and compared.

The rest of the suite runs once with the extension and, in CI, once more with
``TRANSOM_NO_EXTENSIONS=1`` (see ``noxfile.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from transom.protocol import RemoteProtocolError, _speedups
from transom.protocol.http1 import InformationalResponse, Request, Response, _head

SETTINGS = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NO_LIMITS = (1 << 30, 1 << 30, 1 << 30)

REQUESTS = [
    b"GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\nAccept: */*\r\n",
    b"POST /up?x=1 HTTP/1.0\r\nhost: a\r\nContent-Length: 5\r\nCONNECTION: close\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: h\r\nHost: i\r\nExpect: 100-continue\r\n",
    b"CONNECT h:443 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX-Empty:\r\nX-Pad: \t v \t\r\n",
    b"GET http://h/p HTTP/1.1\r\n",
]
RESPONSES = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nServer: s\r\n",
    b"HTTP/1.0 404 Not \xe9 Found \r\nX:\r\n",
    b"HTTP/1.1 204\r\n",
    b"HTTP/1.1 101 \r\nUpgrade: websocket\r\nConnection: Upgrade\r\n",
]
SPECIAL = b'\r\n\x00 \t:;,/.="0159-+HTP\x7f\x80\xff'


@st.composite
def mutated(draw: st.DrawFn, templates: list[bytes]) -> bytes:
    raw = bytearray(draw(st.sampled_from(templates)))
    for kind, position, byte in draw(
        st.lists(
            st.tuples(
                st.sampled_from(["insert", "delete", "replace"]),
                st.integers(min_value=0),
                st.one_of(st.sampled_from(list(SPECIAL)), st.integers(0, 255)),
            ),
            max_size=3,
        )
    ):
        at = position % (len(raw) + 1)
        if kind == "insert":
            raw[at:at] = bytes([byte])
        elif raw and at < len(raw):
            if kind == "delete":
                del raw[at]
            else:
                raw[at] = byte
    return bytes(raw)


def python_request(
    head: bytes, limits: tuple[int, int, int] = NO_LIMITS
) -> _head._RequestParts | None:
    """The pure-Python split, with the framing flags the scanner also reports."""
    try:
        method, target, version, pairs, *_ = _head._split_request(head, len(head), *limits)
    except RemoteProtocolError:
        return None
    flags, host = _head.framing_flags(CIMultiDict(pairs))
    return method, target, version, pairs, flags, host


def python_response(
    head: bytes, limits: tuple[int, int, int] = NO_LIMITS
) -> _head._ResponseParts | None:
    try:
        return _head._split_response(head, len(head), *limits)
    except RemoteProtocolError:
        return None


def assert_request_agrees(head: bytes, limits: tuple[int, int, int] = NO_LIMITS) -> None:
    scanned = _speedups.scan_request(head, len(head), *limits)
    expected = python_request(head, limits)
    if scanned is None and expected is not None:
        # The scanner leaves other target forms, and CONNECT, to Python.
        method, target = expected[:2]
        assert target[0] != "/" or method == "CONNECT"
    else:
        assert scanned == expected


def test_the_extension_is_in_use_unless_turned_off() -> None:
    # A build without the extension would run the pure path only and pass the
    # rest of the suite; the build must not fall back unnoticed.
    if os.environ.get("TRANSOM_NO_EXTENSIONS", "") not in ("", "0"):
        assert _head._scan_request is None
    else:
        assert _head._scan_request is _speedups.scan_request
        assert _head._scan_response is _speedups.scan_response


@given(mutated(REQUESTS))
@SETTINGS
def test_request_heads_split_the_same_both_ways(head: bytes) -> None:
    assert_request_agrees(head)
    padded = bytearray(head + b"\r\n")
    assert _speedups.scan_request(padded, len(head), *NO_LIMITS) == _speedups.scan_request(
        head, len(head), *NO_LIMITS
    )


@given(mutated(RESPONSES))
@SETTINGS
def test_response_heads_split_the_same_both_ways(head: bytes) -> None:
    assert _speedups.scan_response(head, len(head), *NO_LIMITS) == python_response(head)


@given(st.binary(max_size=64))
@SETTINGS
def test_arbitrary_bytes_split_the_same_both_ways(data: bytes) -> None:
    for head in (data, b"GET / HTTP/1.1\r\n" + data, b"HTTP/1.1 200 OK\r\n" + data):
        assert_request_agrees(head)
        assert _speedups.scan_response(head, len(head), *NO_LIMITS) == python_response(head)


@given(
    st.sampled_from(REQUESTS + RESPONSES),
    st.tuples(st.integers(0, 90), st.integers(0, 5), st.integers(0, 120)),
)
@SETTINGS
def test_limits_are_kept_the_same_both_ways(head: bytes, limits: tuple[int, int, int]) -> None:
    assert_request_agrees(head, limits)
    scanned = _speedups.scan_response(head, len(head), *limits)
    assert scanned == python_response(head, limits)


@pytest.mark.parametrize(
    ("head", "flags", "host"),
    [
        (b"GET / HTTP/1.1\r\nhOsT: a\r\n", _head.FIELD_HOST, "a"),
        (b"GET / HTTP/1.1\r\nHost: a\r\nHOST: b\r\n", 3, "b"),
        (b"GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: x\r\n", 12, None),
        (b"GET / HTTP/1.1\r\nconnection: x\r\nEXPECT: y\r\n", 48, None),
        (b"GET / HTTP/1.1\r\nHosts: a\r\nContent-Lengths: 1\r\nX-Expect: y\r\n", 0, None),
    ],
)
def test_framing_fields_are_flagged_case_insensitively(
    head: bytes, flags: int, host: str | None
) -> None:
    scanned = _speedups.scan_request(head, len(head), *NO_LIMITS)
    assert scanned is not None
    assert scanned[4:] == (flags, host)
    assert scanned == python_request(head)


def test_obs_text_in_values_and_reasons_decodes_as_latin1() -> None:
    head = b"HTTP/1.1 200 d\xe9j\xe0 vu\r\nX-Name: caf\xe9\r\n"
    scanned = _speedups.scan_response(head, len(head), *NO_LIMITS)
    assert scanned is not None
    assert scanned[2] == "d\xe9j\xe0 vu"
    assert scanned[3] == [("X-Name", "caf\xe9")]


@pytest.mark.parametrize("stop", [-1, 100])
def test_a_stop_outside_the_buffer_is_refused(stop: int) -> None:
    with pytest.raises(ValueError, match="outside the buffer"):
        _speedups.scan_request(b"GET / HTTP/1.1\r\n", stop, *NO_LIMITS)


def test_only_bytes_like_heads_are_scanned() -> None:
    with pytest.raises(TypeError):
        _speedups.scan_request("GET / HTTP/1.1\r\n", 16, *NO_LIMITS)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _speedups.scan_response(b"HTTP/1.1 200 OK\r\n")  # type: ignore[call-arg]


@contextmanager
def request_reader(valid_hosts: set[str]) -> Iterator[None]:
    """Point read_request at ``valid_hosts`` (set up here too when Python does not)."""
    fields = [getattr(Request, name) for name in Request._fields]
    _speedups.register_event(Request, fields)
    _speedups.configure_requests(Request, CIMultiDict, valid_hosts)
    try:
        yield
    finally:
        _speedups.configure_requests(Request, CIMultiDict, _head._VALID_HOSTS)


def response_reader() -> None:
    """Set up read_response (as Python does when the extension is in use)."""
    for cls in (Response, InformationalResponse):
        _speedups.register_event(cls, [getattr(cls, name) for name in cls._fields])
    _speedups.configure_responses(Response, InformationalResponse, CIMultiDict)


@given(mutated(RESPONSES), st.binary(max_size=8))
@SETTINGS
def test_read_response_takes_exactly_what_the_python_path_accepts(head: bytes, rest: bytes) -> None:
    response_reader()
    original = head + b"\r\n" + rest
    buffer = bytearray(original)
    read = _speedups.read_response(buffer, *NO_LIMITS)
    end = original.find(b"\r\n\r\n")
    expected = None if end < 0 else python_response(original[: end + 2])
    if read is None:
        # Left alone, for the Python path: which refuses it too.
        assert buffer == original
        assert expected is None
        return
    assert expected is not None
    version, status, reason, pairs = expected
    cls = InformationalResponse if status < 200 else Response
    assert read == cls(
        status_code=status, reason=reason, headers=CIMultiDict(pairs), http_version=version
    )
    assert type(read.headers) is CIMultiDict
    assert buffer == original[end + 4 :]


@pytest.mark.parametrize(
    ("head", "limits"),
    [
        (b"HTTP/1.1 200 OK\r\nServer: s\r\n", NO_LIMITS),  # unfinished
        (b"\r\nHTTP/1.1 200 OK\r\n\r\n", NO_LIMITS),  # a blank line first
        (b"HTTP/2.0 200 OK\r\n\r\n", NO_LIMITS),
        (b"HTTP/1.1 200 OK\r\nServer : s\r\n\r\n", NO_LIMITS),
        (b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n", (1 << 30, 1, 1 << 30)),
        (b"HTTP/1.1 200 A long reason\r\n\r\n", (10, 1 << 30, 1 << 30)),
    ],
)
def test_read_response_leaves_the_rest_untouched(head: bytes, limits: tuple[int, int, int]) -> None:
    response_reader()
    buffer = bytearray(head)
    assert _speedups.read_response(buffer, *limits) is None
    assert buffer == head


def test_read_response_takes_one_head_and_leaves_the_body() -> None:
    response_reader()
    buffer = bytearray(b"HTTP/1.1 103 Early\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n\r\nbody")
    first = _speedups.read_response(buffer, *NO_LIMITS)
    assert type(first) is InformationalResponse
    assert (first.status_code, first.reason, first.headers["Link"]) == (103, "Early", "</a>")
    second = _speedups.read_response(buffer, *NO_LIMITS)
    assert type(second) is Response
    assert second.status_code == 200
    assert buffer == b"body"
    with pytest.raises(TypeError):
        _speedups.read_response(b"HTTP/1.1 200 OK\r\n\r\n", *NO_LIMITS)  # type: ignore[arg-type]


@given(mutated(REQUESTS), st.binary(max_size=8))
@SETTINGS
def test_read_request_takes_exactly_what_the_python_path_accepts(head: bytes, rest: bytes) -> None:
    hosts = {"example.com", "a", "h"}
    original = head + b"\r\n" + rest
    buffer = bytearray(original)
    with request_reader(hosts):
        read = _speedups.read_request(buffer, *NO_LIMITS)
    if read is None:
        # Left alone: the buffer is untouched, for the Python path to read.
        assert buffer == original
        return
    end = original.find(b"\r\n\r\n")
    expected = python_request(original[: end + 2])
    assert expected is not None
    method, target, version, pairs, flags, host = expected
    request, read_flags = read
    assert request == Request(
        method=method, target=target, headers=CIMultiDict(pairs), http_version=version
    )
    assert type(request.headers) is CIMultiDict
    assert read_flags == flags
    # Only the plain Host cases: one known value, or none in HTTP/1.0.
    assert host in hosts if host is not None else version == (1, 0)
    assert not flags & _head.FIELD_HOST_REPEATED
    assert buffer == original[end + 4 :]


def test_read_request_leaves_a_new_host_to_python_until_it_is_checked() -> None:
    head = b"GET /p HTTP/1.1\r\nHost: fresh.example\r\n\r\nGET"
    hosts: set[str] = set()
    with request_reader(hosts):
        assert _speedups.read_request(bytearray(head), *NO_LIMITS) is None
        hosts.add("fresh.example")
        buffer = bytearray(head)
        read = _speedups.read_request(buffer, *NO_LIMITS)
    assert read is not None
    assert read[0].target == "/p"
    assert buffer == b"GET"


@pytest.mark.parametrize(
    "head",
    [
        b"GET / HTTP/1.1\r\nHost: h\r\n",  # unfinished
        b"\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",  # a blank line first
        b"GET / HTTP/1.1\r\n\r\n",  # HTTP/1.1 without Host
        b"GET / HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n",
        b"GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost : h\r\n\r\n",
    ],
)
def test_read_request_leaves_the_rest_untouched(head: bytes) -> None:
    buffer = bytearray(head)
    with request_reader({"h"}):
        assert _speedups.read_request(buffer, *NO_LIMITS) is None
    assert buffer == head


def test_read_request_wants_a_bytearray() -> None:
    with request_reader(set()), pytest.raises(TypeError):
        _speedups.read_request(b"GET / HTTP/1.0\r\n\r\n", *NO_LIMITS)  # type: ignore[arg-type]


@given(st.binary(max_size=300), st.binary(min_size=4, max_size=4))
@SETTINGS
def test_masking_is_the_same_both_ways(payload: bytes, key: bytes) -> None:
    from transom.protocol.websocket import _mask

    masked = _speedups.apply_mask(payload, key)
    assert masked == _mask._apply_mask(payload, key)
    assert _speedups.apply_mask(bytearray(masked), bytearray(key)) == payload


def test_masking_wants_a_four_byte_key() -> None:
    with pytest.raises(ValueError, match="4 bytes"):
        _speedups.apply_mask(b"payload", b"key")


field_text = st.text(
    alphabet=st.sampled_from(list("aZ0-_ :;\t\r\n\x00\x7f\x80\xff\u0100é")), max_size=8
)


# What the writers put in ``extra``: framing lines they formatted themselves.
extra_lines = st.sampled_from(["", "Content-Length: 5\r\n", "Date: x\r\nConnection: close\r\n"])


@given(st.lists(st.tuples(field_text, field_text), max_size=5), extra_lines)
@SETTINGS
def test_fields_encode_the_same_both_ways(pairs: list[tuple[str, str]], extra: str) -> None:
    from transom.protocol import LocalProtocolError
    from transom.protocol.http1 import _writers

    _speedups.set_fields_fallback(_writers._encode_fields)
    headers = CIMultiDict(pairs)
    try:
        expected: bytes | str = _writers._encode_fields(headers, extra)
    except LocalProtocolError as error:
        expected = str(error)
    try:
        got: bytes | str = _speedups.encode_fields(headers, extra)
    except LocalProtocolError as error:
        got = str(error)
    assert got == expected


@pytest.mark.parametrize("sizes", [(500, 600), (3000,), (900, 100, 20, 8000), (1019,)])
def test_long_fields_encode_the_same_both_ways(sizes: tuple[int, ...]) -> None:
    # Heads past the encoder's first buffer, growing it once or several times.
    from transom.protocol.http1 import _writers

    headers = CIMultiDict((f"X-{index}", "v" * size) for index, size in enumerate(sizes))
    extra = "Content-Length: 5\r\n" * 3
    assert _speedups.encode_fields(headers, extra) == _writers._encode_fields(headers, extra)


def test_fields_encode_without_extra_and_from_non_str_values() -> None:
    from transom.protocol.http1 import _writers

    _speedups.set_fields_fallback(_writers._encode_fields)
    headers: CIMultiDict[str] = CIMultiDict([("A", "1"), ("b", "x y")])
    assert _speedups.encode_fields(headers) == b"A: 1\r\nb: x y\r\n\r\n"
    assert _speedups.encode_fields(CIMultiDict()) == b"\r\n"
    numbers = CIMultiDict([("Content-Length", 5)])
    assert _speedups.encode_fields(numbers, "") == b"Content-Length: 5\r\n\r\n"
