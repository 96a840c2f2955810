from __future__ import annotations

import subprocess
import sys

import pytest

from transom.protocol import LocalProtocolError, RemoteProtocolError, multipart


def test_public_names_are_exactly_the_curated_list() -> None:
    assert multipart.__all__ == [
        "DEFAULT_MAX_PARTS",
        "DEFAULT_MAX_PART_HEADER_SIZE",
        "DEFAULT_MAX_TOTAL_SIZE",
        "MAX_BOUNDARY_LENGTH",
        "ContentDisposition",
        "EndOfBody",
        "MultipartEncodeError",
        "MultipartEncoder",
        "MultipartError",
        "MultipartEvent",
        "MultipartParser",
        "Part",
        "PartData",
        "PartEnd",
        "PartStart",
    ]
    for name in multipart.__all__:
        assert getattr(multipart, name) is not None


@pytest.mark.parametrize(
    "module",
    [
        "_boundary",
        "_content_disposition",
        "_encoder",
        "_errors",
        "_events",
        "_limits",
        "_parser",
        "_part_headers",
    ],
)
def test_each_private_module_imports_alone(module: str) -> None:
    name = f"transom.protocol.multipart.{module}"
    subprocess.run([sys.executable, "-c", f"import {name}"], check=True, timeout=60)


def test_errors_say_which_side_misbehaved() -> None:
    assert issubclass(multipart.MultipartError, RemoteProtocolError)
    assert issubclass(multipart.MultipartEncodeError, LocalProtocolError)


def test_limit_defaults_match_the_documentation() -> None:
    assert multipart.DEFAULT_MAX_PARTS == 1000
    assert multipart.DEFAULT_MAX_PART_HEADER_SIZE == 8 * 1024
    assert multipart.DEFAULT_MAX_TOTAL_SIZE == 1024**3
