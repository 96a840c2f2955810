from __future__ import annotations

import re

import pytest

from transom.protocol import LocalProtocolError
from transom.protocol.mediatype import MediaType
from transom.protocol.multipart import (
    MAX_BOUNDARY_LENGTH,
    MultipartEncodeError,
    MultipartEncoder,
    Part,
)


def test_a_generated_boundary_is_random_and_safe() -> None:
    boundaries = {MultipartEncoder().boundary for _ in range(50)}
    assert len(boundaries) == 50
    for boundary in boundaries:
        # Hex digits: RFC 2046 bcharsnospace and RFC 9110 tchar alike.
        assert re.fullmatch(r"[0-9a-f]{32}", boundary)
        assert len(boundary) <= MAX_BOUNDARY_LENGTH


def test_content_type_carries_the_boundary() -> None:
    encoder = MultipartEncoder("abc")
    assert encoder.content_type == "multipart/form-data; boundary=abc"
    mixed = MultipartEncoder("a b:c", subtype="Mixed")
    assert mixed.content_type == 'multipart/mixed; boundary="a b:c"'
    assert MediaType.parse(mixed.content_type).boundary == "a b:c"


@pytest.mark.parametrize(
    ("boundary", "message"),
    [
        ("", "empty"),
        ("x" * 71, "longer than 70"),
        ("trailing ", "forbids"),
        ("semi;colon", "forbids"),
        ("line\r\nbreak", "forbids"),
        ("ünï", "forbids"),
    ],
)
def test_an_invalid_caller_boundary_is_refused(boundary: str, message: str) -> None:
    with pytest.raises(MultipartEncodeError, match=message) as raised:
        MultipartEncoder(boundary)
    assert isinstance(raised.value, LocalProtocolError)


def test_the_longest_valid_boundary_is_accepted() -> None:
    assert MultipartEncoder("'()+_,-./:=? " * 5 + "abcde").boundary.endswith("abcde")


def test_a_subtype_must_be_a_token() -> None:
    with pytest.raises(MultipartEncodeError, match="subtype"):
        MultipartEncoder(subtype="form data")


def test_in_memory_parts_encode_to_the_expected_body() -> None:
    encoder = MultipartEncoder("B")
    body = b"".join(
        encoder.encode(
            [
                Part("text", "Grüße"),
                Part("file", b"\x00\x01", filename="a.bin"),
                Part("doc", b"{}", filename="d.json", content_type="application/json"),
                Part("extra", b"x", headers={"X-Trace": " 1 "}),
            ]
        )
    )
    assert body == (
        b"--B\r\n"
        b'Content-Disposition: form-data; name="text"\r\n'
        b"\r\n"
        b"Gr\xc3\xbc\xc3\x9fe\r\n"
        b"--B\r\n"
        b'Content-Disposition: form-data; name="file"; filename="a.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n"
        b"\r\n"
        b"\x00\x01\r\n"
        b"--B\r\n"
        b'Content-Disposition: form-data; name="doc"; filename="d.json"\r\n'
        b"Content-Type: application/json\r\n"
        b"\r\n"
        b"{}\r\n"
        b"--B\r\n"
        b'Content-Disposition: form-data; name="extra"\r\n'
        b"X-Trace: 1\r\n"
        b"\r\n"
        b"x\r\n"
        b"--B--\r\n"
    )


def test_no_parts_encode_to_the_close_delimiter_alone() -> None:
    assert b"".join(MultipartEncoder("B").encode([])) == b"--B--\r\n"


def test_a_streamed_part_is_written_around_the_callers_chunks() -> None:
    encoder = MultipartEncoder("B")
    header = encoder.part_header(Part("upload", filename="big.bin"))
    assert header == (
        b"--B\r\n"
        b'Content-Disposition: form-data; name="upload"; filename="big.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n"
        b"\r\n"
    )
    assert encoder.part_end() == b"\r\n"
    assert encoder.close() == b"--B--\r\n"


def test_non_ascii_names_and_filenames_are_sent_as_utf8() -> None:
    header = MultipartEncoder("B").part_header(Part("имя", filename="файл.txt"))
    assert 'name="имя"; filename="файл.txt"'.encode() in header


def test_mixed_parts_need_no_name() -> None:
    encoder = MultipartEncoder("B", subtype="mixed")
    body = b"".join(
        encoder.encode(
            [
                Part(None, "plain", content_type="text/plain; charset=utf-8"),
                Part(None, b"%PDF", filename="é.pdf", content_type="application/pdf"),
            ]
        )
    )
    assert body == (
        b"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain\r\n"
        b'--B\r\nContent-Disposition: attachment; filename="e.pdf"; '
        b"filename*=UTF-8''%C3%A9.pdf\r\n"
        b"Content-Type: application/pdf\r\n\r\n%PDF\r\n"
        b"--B--\r\n"
    )


@pytest.mark.parametrize(
    ("part", "message"),
    [
        (Part(None, "x"), "needs a name"),
        (Part("a\r\nX-Injected: 1", "x"), "control character"),
        (Part("a", "x", filename="a\nb"), "control character"),
        (Part("a", "x", filename="a\x00b"), "control character"),
        (Part("a", "x", content_type="text"), "invalid media type"),
        (Part("a", "x", content_type="text/plain\r\nX: y"), "invalid media type"),
        (Part("a", "x", content_type='text/plain; x="é"'), "must be ASCII"),
        (Part("a", "x", headers={"Bad Name": "x"}), "not a token"),
        (Part("a", "x", headers={"X-A": "1\r\n2"}), "control character"),
        (Part("a", "x", headers={"content-disposition": "inline"}), "given twice"),
        (Part("a", "x", content_type="a/b", headers=[("Content-Type", "c/d")]), "given twice"),
    ],
)
def test_parts_that_cannot_be_written_are_refused(part: Part, message: str) -> None:
    with pytest.raises(MultipartEncodeError, match=message):
        MultipartEncoder("B").part_header(part)
    with pytest.raises(MultipartEncodeError, match=message):
        b"".join(MultipartEncoder("B").encode([part]))


def test_a_part_without_a_value_cannot_be_encoded_in_memory() -> None:
    with pytest.raises(MultipartEncodeError, match="has no value"):
        list(MultipartEncoder("B").encode([Part("f", filename="x")]))


@pytest.mark.parametrize("value", [b"a\r\n--B\r\nb", b"--B--", b"x\r\n--B"])
def test_a_value_containing_the_boundary_is_refused(value: bytes) -> None:
    with pytest.raises(MultipartEncodeError, match="contains the boundary"):
        list(MultipartEncoder("B").encode([Part("f", value)]))


def test_a_custom_content_disposition_can_be_given_for_an_unnamed_part() -> None:
    header = MultipartEncoder("B", subtype="mixed").part_header(
        Part(None, headers=[("Content-Disposition", "inline")])
    )
    assert header == b"--B\r\nContent-Disposition: inline\r\n\r\n"
