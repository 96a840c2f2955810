"""The ClientError tree: hierarchy, standard bases and messages."""

from __future__ import annotations

import errno
import pickle
import ssl

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from transom.client import (
    ClientConnectionError,
    ClientConnectorCertificateError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientError,
    ClientOSError,
    ClientPayloadError,
    ClientResponseError,
    ClientSSLError,
    ConnectionKey,
    ConnectionTimeoutError,
    ContentTypeError,
    InvalidURL,
    RequestInfo,
    ServerConnectionError,
    ServerDisconnectedError,
    ServerFingerprintMismatch,
    ServerTimeoutError,
    SocketTimeoutError,
    TooManyRedirects,
)

KEY = ConnectionKey("example.test", 8443, True, True, None, None, None)


@pytest.mark.parametrize(
    ("error", "bases"),
    [
        (ClientConnectorError, (ClientOSError, ClientConnectionError, OSError)),
        (ClientConnectorDNSError, (ClientConnectorError,)),
        (ClientSSLError, (ClientConnectorError,)),
        (ClientConnectorCertificateError, (ClientSSLError, ssl.CertificateError)),
        (ServerDisconnectedError, (ServerConnectionError, ClientConnectionError)),
        (ServerTimeoutError, (ServerConnectionError, TimeoutError)),
        (ConnectionTimeoutError, (ServerTimeoutError,)),
        (SocketTimeoutError, (ServerTimeoutError,)),
        (ServerFingerprintMismatch, (ServerConnectionError,)),
        (ContentTypeError, (ClientResponseError,)),
        (TooManyRedirects, (ClientResponseError,)),
        (ClientPayloadError, (ClientError,)),
        (InvalidURL, (ClientError, ValueError)),
    ],
)
def test_error_hierarchy(error: type[Exception], bases: tuple[type[Exception], ...]) -> None:
    assert issubclass(error, ClientError)
    for base in bases:
        assert issubclass(error, base)


def test_connector_error_names_host_port_and_cause() -> None:
    error = ClientConnectorError(KEY, ConnectionRefusedError(errno.ECONNREFUSED, "x"))
    assert error.host == "example.test"
    assert error.port == 8443
    assert error.errno == errno.ECONNREFUSED
    assert str(error) == "Cannot connect to host example.test:8443 ssl:default [Connection refused]"


def test_dns_error_says_the_name_did_not_resolve() -> None:
    error = ClientConnectorDNSError(KEY, OSError("Name or service not known"))
    assert str(error) == "Cannot resolve host example.test:8443 [Name or service not known]"


def test_certificate_error_names_the_host_and_reason() -> None:
    cause = ssl.SSLCertVerificationError(1, "verify failed")
    cause.verify_message = "self-signed certificate"
    error = ClientConnectorCertificateError(KEY, cause)
    assert "example.test:8443" in str(error)
    assert "self-signed certificate" in str(error)
    assert error.certificate_error is cause


def test_response_error_carries_status_and_url() -> None:
    url = URL("http://h.test/x")
    info = RequestInfo(url, "GET", CIMultiDictProxy(CIMultiDict()), url)
    error = ClientResponseError(info, (), status=418, message="teapot")
    assert error.status == 418
    assert str(error) == "418, message='teapot', url='http://h.test/x'"


def test_fingerprint_mismatch_shows_both_digests() -> None:
    error = ServerFingerprintMismatch(b"\1" * 32, b"\2" * 32, "h.test", 443)
    assert "h.test:443" in str(error)
    assert ("01" * 32) in str(error)
    assert ("02" * 32) in str(error)


def test_connector_error_survives_pickling() -> None:
    error = ClientConnectorError(KEY, ConnectionRefusedError(errno.ECONNREFUSED, "refused"))
    copy = pickle.loads(pickle.dumps(error))
    assert copy.host == "example.test"
    assert str(copy) == str(error)
