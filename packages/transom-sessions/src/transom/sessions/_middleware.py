"""The session middleware and the functions handlers call to reach the session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from transom.web import HTTPException, middleware

if TYPE_CHECKING:
    from transom.sessions._session import Session
    from transom.sessions._storage import AbstractStorage
    from transom.web import Application, Handler, Middleware, Request, StreamResponse

__all__ = [
    "SESSION_KEY",
    "STORAGE_KEY",
    "get_session",
    "new_session",
    "session_middleware",
    "setup",
]

SESSION_KEY = "transom.sessions.session"
"""The request key holding the request's :class:`Session` once it has been loaded."""
STORAGE_KEY = "transom.sessions.storage"
"""The request key holding the :class:`AbstractStorage` the middleware installed."""


def session_middleware(storage: AbstractStorage) -> Middleware:
    """Return a middleware that gives handlers sessions kept in ``storage``.

    The middleware puts ``storage`` on each request under :data:`STORAGE_KEY`.
    The session itself is loaded only when a handler first asks for it
    (:func:`get_session`), so requests that never touch it cost nothing. After the
    handler, the session is saved when it changed or is new and holds data, also
    when the handler raised an HTTP exception (a redirect after login, say).

    The returned middleware raises ``RuntimeError`` when the session must be saved
    but the handler already sent the response's headers (a streamed response or a
    WebSocket): change sessions in handlers that return their response unprepared.

    Args:
        storage: Where sessions are kept.

    Returns:
        The middleware, for ``Application(middlewares=[...])``.
    """

    @middleware
    async def sessions(request: Request, handler: Handler) -> StreamResponse:
        request[STORAGE_KEY] = storage
        try:
            response = await handler(request)
        except HTTPException as exc:
            await _save(storage, request, exc.response)
            raise
        await _save(storage, request, response)
        return response

    return sessions


def setup(app: Application, storage: AbstractStorage) -> None:
    """Install the session middleware for ``storage`` on ``app``, after its others.

    Call it while building the application: its middleware list freezes at start-up.
    """
    app.middlewares.append(session_middleware(storage))


async def get_session(request: Request) -> Session:
    """Return the request's session, loading it from the storage the first time.

    Raises:
        RuntimeError: No session middleware handles this request.
        HTTPException: The storage cannot be reached (``HTTPServiceUnavailable``).
    """
    session: Session | None = request.get(SESSION_KEY)
    if session is None:
        session = await _storage(request).load_session(request)
        request[SESSION_KEY] = session
    return session


async def new_session(request: Request) -> Session:
    """Replace the request's session with a new, empty one under a new id.

    Call it when the user logs in, before storing who they are: the id the client
    had before (perhaps one an attacker planted, a session fixation) stops
    working, and its server-side data is deleted when the new session is saved.

    Returns:
        The new session, now also what :func:`get_session` returns.

    Raises:
        RuntimeError: No session middleware handles this request.
        HTTPException: The storage cannot be reached (``HTTPServiceUnavailable``).
    """
    storage = _storage(request)
    previous = await get_session(request)
    session = storage.new_session()
    session._replace(previous)
    request[SESSION_KEY] = session
    return session


def _storage(request: Request) -> AbstractStorage:
    storage: AbstractStorage | None = request.get(STORAGE_KEY)
    if storage is None:
        raise RuntimeError(
            "no session storage for this request: "
            "install it with transom.sessions.setup(app, storage)"
        )
    return storage


async def _save(storage: AbstractStorage, request: Request, response: StreamResponse) -> None:
    session: Session | None = request.get(SESSION_KEY)
    if session is None or not session.should_save:
        return
    if response.prepared:
        raise RuntimeError(
            "the session changed but the response's headers were already sent, "
            "so its cookie cannot be set; change sessions in handlers that return "
            "their response instead of preparing it"
        )
    await storage.save_session(request, response, session)
