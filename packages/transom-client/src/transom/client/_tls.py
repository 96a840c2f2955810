"""TLS settings: the verifying default context, opting out, and certificate pinning."""

from __future__ import annotations

import functools
import hashlib
import ssl
from typing import TYPE_CHECKING

from transom.client._errors import ServerFingerprintMismatch

if TYPE_CHECKING:
    import asyncio

__all__ = ["Fingerprint", "SSLSetting", "context_for", "verify_fingerprint"]

# SHA-256 is the only digest accepted for pinning: MD5 and SHA-1 collisions
# are practical, so a pin on them would not pin anything.
_SHA256_LENGTH = 32


class Fingerprint:
    """Pin the server certificate to a SHA-256 digest of its DER encoding.

    A request made with ``ssl=Fingerprint(digest)`` skips chain and host name
    verification and instead accepts exactly the certificate whose digest is
    ``digest``; any other raises :class:`ServerFingerprintMismatch`.

    Args:
        fingerprint: The 32-byte SHA-256 digest.

    Raises:
        ValueError: The digest is not 32 bytes long (MD5 and SHA-1 pins are
            refused as insecure).
    """

    __slots__ = ("_fingerprint",)

    def __init__(self, fingerprint: bytes) -> None:
        if len(fingerprint) != _SHA256_LENGTH:
            if len(fingerprint) in (16, 20):
                raise ValueError("md5 and sha1 fingerprints are insecure; use sha256")
            raise ValueError("A fingerprint must be a 32-byte SHA-256 digest")
        self._fingerprint = fingerprint

    @property
    def fingerprint(self) -> bytes:
        """The pinned digest."""
        return self._fingerprint

    def check(self, der_certificate: bytes | None, host: str, port: int | None) -> None:
        """Accept ``der_certificate`` only if its digest is the pinned one.

        Raises:
            ServerFingerprintMismatch: It is not (or there is no certificate).
        """
        got = hashlib.sha256(der_certificate or b"").digest()
        if got != self._fingerprint:
            raise ServerFingerprintMismatch(self._fingerprint, got, host, port)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fingerprint) and other._fingerprint == self._fingerprint

    def __hash__(self) -> int:
        return hash(self._fingerprint)

    def __repr__(self) -> str:
        return f"<Fingerprint {self._fingerprint.hex()}>"


SSLSetting = ssl.SSLContext | bool | Fingerprint


@functools.cache
def _verified_context() -> ssl.SSLContext:
    # Building a context loads the system trust store: do it once.
    return ssl.create_default_context()


@functools.cache
def _unverified_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def context_for(setting: SSLSetting) -> ssl.SSLContext:
    """The context to open a TLS connection with for a request's ``ssl`` setting.

    ``True`` verifies the chain and host name against the system trust store;
    ``False`` and a :class:`Fingerprint` skip verification (the fingerprint is
    checked after the handshake); a context is used as given.
    """
    if isinstance(setting, ssl.SSLContext):
        return setting
    if setting is True:
        return _verified_context()
    return _unverified_context()


def verify_fingerprint(
    setting: SSLSetting, transport: asyncio.BaseTransport, host: str, port: int | None
) -> None:
    """Check a pinned fingerprint on a freshly opened TLS transport.

    Raises:
        ServerFingerprintMismatch: The certificate is not the pinned one.
    """
    if not isinstance(setting, Fingerprint):
        return
    ssl_object = transport.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    setting.check(der, host, port)
