"""A storage that keeps the session in the cookie, encrypted and authenticated with Fernet."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from transom.sessions._storage import AbstractStorage, logger

if TYPE_CHECKING:
    from cryptography.fernet import Fernet, MultiFernet

    from transom.sessions._session import Session
    from transom.web import Request, StreamResponse

__all__ = ["EncryptedCookieStorage"]

_RAW_KEY_SIZE = 32


class EncryptedCookieStorage(AbstractStorage):
    """Keep the session in the cookie, encrypted and signed with Fernet.

    The client holds its own session but can neither read nor change it: any
    change breaks the signature. A cookie that does not decrypt (tampered,
    written with a key no longer listed, or garbage) or is older than
    ``max_age`` gives a new, empty session and a log line on the
    ``transom.sessions`` logger, never an error response. The whole session
    travels with every request, so keep it small; a cookie over 4096 characters
    raises :class:`~transom.sessions.SessionTooLargeError` (use
    :class:`~transom.sessions.RedisStorage` for more).

    Needs the ``encrypted`` extra: ``pip install 'transom-sessions[encrypted]'``.

    Args:
        secret_key: The key, or several keys newest first for rotation: the first
            encrypts, every one decrypts, and a cookie read with an older key is
            rewritten with the newest. A key is 32 random bytes, or a Fernet key
            (those 32 bytes in URL-safe base64, as ``Fernet.generate_key()``
            returns; bytes or str), or a ``Fernet``; a ``MultiFernet`` is taken as
            the whole key list.
        **kwargs: The cookie and session options of
            :class:`~transom.sessions.AbstractStorage`. ``max_age`` is also the
            Fernet TTL: a cookie not rewritten for that long is refused.

    Raises:
        ImportError: The ``cryptography`` package is not installed.
        ValueError: A key is neither 32 raw bytes nor a Fernet key, or no key is given.
    """

    def __init__(
        self,
        secret_key: bytes | str | Fernet | MultiFernet | Sequence[bytes | str | Fernet],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        try:
            from cryptography.fernet import Fernet, InvalidToken, MultiFernet
        except ImportError:
            raise ImportError(
                "EncryptedCookieStorage needs the cryptography package: "
                "pip install 'transom-sessions[encrypted]'"
            ) from None
        self._invalid_token: type[Exception] = InvalidToken
        if isinstance(secret_key, MultiFernet):
            self._encrypter: Fernet | MultiFernet = secret_key
            self._decrypters: tuple[Fernet | MultiFernet, ...] = (secret_key,)
            return
        if isinstance(secret_key, (bytes, bytearray, str, Fernet)):
            keys: list[bytes | bytearray | str | Fernet] = [secret_key]
        else:
            keys = list(secret_key)
        if not keys:
            raise ValueError("EncryptedCookieStorage needs at least one key")
        fernets = tuple(_as_fernet(Fernet, key) for key in keys)
        self._encrypter = fernets[0]
        self._decrypters = fernets

    async def load_session(self, request: Request) -> Session:
        """Return the session in the request's cookie, or a new one.

        A cookie that does not decrypt with any key, or is older than
        ``max_age``, gives a new session (logged at WARNING or INFO).
        """
        cookie = self.load_cookie(request)
        if cookie is None:
            return self.new_session()
        token = cookie.encode("ascii", "replace")
        now = self.now()
        decrypted = self._decrypt(token, now)
        if decrypted is None:
            if self._expired(token, now):
                logger.info("session cookie expired; starting a new session")
            else:
                logger.warning("session cookie rejected: it does not decrypt with any key")
            return self.new_session()
        plaintext, key_index = decrypted
        try:
            text = plaintext.decode("utf-8")
        except UnicodeDecodeError:
            logger.warning("session cookie rejected: not UTF-8 text")
            return self.new_session()
        session = self.decode_session(text)
        if key_index > 0 and not session.new:
            # Rewrite it with the newest key, so that an old key can be retired
            # once every active session has been seen once.
            session.changed()
        return session

    async def save_session(
        self, request: Request, response: StreamResponse, session: Session
    ) -> None:
        """Encrypt the session into the cookie, or expire the cookie when it is empty.

        Raises:
            SessionTooLargeError: The cookie would be larger than browsers keep.
        """
        if session.empty:
            self.delete_cookie(request, response)
            return
        if session.identity is None:
            session.set_new_identity(self.new_identity())
        plaintext = self.encode_session(session).encode("utf-8")
        token = self._encrypter.encrypt_at_time(plaintext, self.now())
        self.save_cookie(request, response, token.decode("ascii"), max_age=session.max_age)

    def _decrypt(self, token: bytes, now: int) -> tuple[bytes, int] | None:
        # Returns the plaintext and the index of the key that opened it.
        for index, fernet in enumerate(self._decrypters):
            try:
                if self.max_age is None:
                    return fernet.decrypt(token), index
                return fernet.decrypt_at_time(token, self.max_age, now), index
            except self._invalid_token:
                continue
        return None

    def _expired(self, token: bytes, now: int) -> bool:
        # Tell an expired cookie (routine) from a forged one (worth a warning):
        # the timestamp is read only once the signature checks out.
        if self.max_age is None:
            return False
        for fernet in self._decrypters:
            try:
                timestamp = fernet.extract_timestamp(token)
            except self._invalid_token:
                continue
            return timestamp + self.max_age < now
        return False


def _as_fernet(fernet_class: type[Fernet], key: bytes | bytearray | str | Fernet) -> Fernet:
    if isinstance(key, str):
        raw = key.encode("ascii", "replace")
    elif isinstance(key, (bytes, bytearray)):
        raw = bytes(key)
    elif isinstance(key, fernet_class):
        return key
    else:
        raise TypeError(f"a session key must be bytes, str or Fernet, not {type(key).__name__}")
    if len(raw) == _RAW_KEY_SIZE:
        return fernet_class(base64.urlsafe_b64encode(raw))
    try:
        decoded = base64.urlsafe_b64decode(raw)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) != _RAW_KEY_SIZE:
        raise ValueError(
            "a session key must be 32 random bytes or a Fernet key "
            "(Fernet.generate_key(): those bytes in URL-safe base64)"
        )
    return fernet_class(raw)
