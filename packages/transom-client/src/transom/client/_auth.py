"""HTTP Basic authentication credentials (RFC 7617)."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from yarl import URL

__all__ = ["BasicAuth"]


class _Credentials(NamedTuple):
    login: str
    password: str
    encoding: str


class BasicAuth(_Credentials):
    """A user name and password for the ``Authorization: Basic`` scheme.

    Create with ``BasicAuth(login, password="", encoding="latin1")``.

    Raises:
        ValueError: From the constructor, when ``login`` contains a colon
            (RFC 7617 §2 forbids it: the colon separates the two parts).
    """

    __slots__ = ()

    def __new__(cls, login: str, password: str = "", encoding: str = "latin1") -> BasicAuth:
        if login is None:
            raise ValueError("None is not allowed as the login value")
        if password is None:
            raise ValueError("None is not allowed as the password value")
        if ":" in login:
            raise ValueError('A ":" is not allowed in the login (RFC 7617 §2)')
        return super().__new__(cls, login, password, encoding)

    @classmethod
    def decode(cls, auth_header: str, encoding: str = "latin1") -> BasicAuth:
        """Parse an ``Authorization`` header value.

        Raises:
            ValueError: The value is not a well-formed Basic credential.
        """
        try:
            scheme, encoded = auth_header.split(" ", 1)
        except ValueError:
            raise ValueError("Could not parse the authorization header") from None
        if scheme.lower() != "basic":
            raise ValueError(f"Unknown authorization scheme {scheme[:20]!r}")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode(encoding)
        except (binascii.Error, UnicodeDecodeError):
            raise ValueError("Invalid base64 in the authorization header") from None
        login, sep, password = decoded.partition(":")
        if not sep:
            raise ValueError("Invalid credentials: no colon")
        return cls(login, password, encoding=encoding)

    @classmethod
    def from_url(cls, url: URL, *, encoding: str = "latin1") -> BasicAuth | None:
        """The credentials in ``url``'s user-info part, or ``None`` when it has none."""
        if url.raw_user is None and url.raw_password is None:
            return None
        return cls(url.user or "", url.password or "", encoding=encoding)

    def encode(self) -> str:
        """The ``Authorization`` header value for these credentials."""
        creds = f"{self.login}:{self.password}".encode(self.encoding)
        return "Basic " + base64.b64encode(creds).decode("ascii")
