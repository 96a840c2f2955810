"""Running one request's handler and sending its answer.

This is the task side of a server connection: it calls the handler, turns
what the handler raises into a response, prepares and finishes the response,
writes the access log line, and hands the connection back.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Any, Final

from transom.protocol import ProtocolError, RemoteProtocolError
from transom.web._access_log import server_logger
from transom.web._http_exceptions import HTTPException
from transom.web._response import Response, StreamResponse

if TYPE_CHECKING:
    from collections.abc import Awaitable, Coroutine

    from transom.web._access_log import AbstractAccessLogger
    from transom.web._connection_writer import ConnectionWriter
    from transom.web._request import Request
    from transom.web._server_connection import ServerConnection

__all__ = ["ASYNCIO_TASKS", "LOOP_TASKS", "UVLOOP_TASKS", "respond", "start_task", "task_maker"]

_PREPARE: Final = StreamResponse.prepare
_RESPONSE_WRITE_EOF: Final = Response.write_eof


async def respond(connection: ServerConnection, request: Request, writer: ConnectionWriter) -> None:
    """Answer ``request`` through ``writer``, whatever the handler does, then release
    the connection."""
    access_logger = connection._server.access_logger
    if access_logger is not None and not access_logger.enabled:
        access_logger = None
    started = 0.0 if access_logger is None else connection.loop.time()
    try:
        try:
            # The handler is called here rather than in a coroutine of its own:
            # one coroutine less per request.
            response: StreamResponse | None
            try:
                # Typed as what it may be, not as what it should be: compiled
                # code checks a value against its declared type.
                answer: Awaitable[object] = connection._server.handler(request)
                returned = await answer
            except asyncio.CancelledError:
                connection.abort()
                raise
            except Exception as exc:
                response = _handler_error(connection, request, exc)
            else:
                if type(returned) is Response or isinstance(returned, StreamResponse):
                    response = returned
                else:
                    response = _not_a_response(request, returned)
            if response is not None:
                response = await _send(connection, request, writer, response)
        except Exception:
            server_logger.exception("error answering %s %s", request.method, request.path)
            connection.abort()
            response = None
        if response is not None and access_logger is not None:
            _log_access(access_logger, request, response, connection.loop.time() - started)
    finally:
        connection.finish(request)


def _handler_error(
    connection: ServerConnection, request: Request, exc: Exception
) -> StreamResponse | None:
    """The response to send when the handler raised ``exc``, or None to send none."""
    if isinstance(exc, HTTPException):
        return exc.response
    if isinstance(exc, ProtocolError):
        # A body that broke the protocol, an oversized cookie header, a
        # malformed form: the client's fault, answered with its status.
        if isinstance(exc, RemoteProtocolError):
            connection.close_after_answer()
        return _error_response(exc.status_code, exc.reason)
    if connection.lost and isinstance(exc, ConnectionError):
        server_logger.debug("client went away during %r", request)
        return None
    server_logger.exception("error handling %s %s", request.method, request.path, exc_info=exc)
    return _error_response(500, "")


def _not_a_response(request: Request, returned: object) -> Response:
    """The response for a handler's return value that is not a response.

    A returned `HTTPException` answers with its response, as a raised one
    does; anything else is a 500.
    """
    if isinstance(returned, HTTPException):
        return returned.response
    # The annotation promises a response; applications break promises.
    server_logger.error(
        "handler for %s %s returned %s, not a response",
        request.method,
        request.path,
        type(returned).__name__,
    )
    return _error_response(500, "")


async def _send(
    connection: ServerConnection,
    request: Request,
    writer: ConnectionWriter,
    response: StreamResponse,
) -> StreamResponse | None:
    """Prepare (if the handler did not) and finish ``response``."""
    if response._request is not request and writer.started:
        # The handler began another response, then failed or returned this one.
        if writer.committed:
            # Part of it is on the wire: the answer cannot be replaced.
            connection.abort()
            return None
        writer.reset()
    try:
        if response._request is not request:
            if connection.body_pending or connection.closing:
                # The body is still arriving (unread) or the server is
                # stopping: this connection closes after the answer.
                response.force_close()
            if type(response).prepare is not _PREPARE or not response._prepare_now(request):
                await response.prepare(request)
        if type(response).write_eof is _RESPONSE_WRITE_EOF and response._writer is writer:
            # Response.write_eof, through the connection's own writer, without
            # its two coroutines: this runs for nearly every response.
            whole: Response = response  # type: ignore[assignment]  # write_eof is Response's
            if not whole._eof_sent and writer.finish(whole._final_bytes(), hold=True):
                await connection.drain()
        else:
            await response.write_eof()
        return response
    except asyncio.CancelledError:
        connection.abort()
        raise
    except Exception as exc:
        if connection.lost and isinstance(exc, ConnectionError):
            return None
        server_logger.exception("error sending the response to %s %s", request.method, request.path)
        if writer.committed:
            connection.abort()
            return None
        writer.reset()
        fallback = _error_response(500, "")
        fallback.force_close()
        await fallback.prepare(request)
        await fallback.write_eof()
        return fallback


def _log_access(
    access_logger: AbstractAccessLogger, request: Request, response: StreamResponse, elapsed: float
) -> None:
    try:
        access_logger.log(request, response, elapsed)
    except Exception:
        server_logger.exception("the access logger failed")


def _error_response(status: int, detail: str) -> Response:
    response = Response(status=status)
    reason = response.reason
    response.text = f"{status} {reason}: {detail}\n" if detail else f"{status} {reason}\n"
    return response


# How a connection's loop makes the handler tasks (see task_maker()).
LOOP_TASKS: Final = 0  # call loop.create_task()
ASYNCIO_TASKS: Final = 1  # asyncio's create_task: a plain Task unless a factory is set
UVLOOP_TASKS: Final = 2  # uvloop's create_task: the same

_STOCK_CREATE_TASK: Final = asyncio.BaseEventLoop.create_task
_TASK: Final = asyncio.Task
_EAGER: Final = sys.version_info >= (3, 12)


def task_maker(loop: asyncio.AbstractEventLoop) -> int:
    """Which way :func:`start_task` makes tasks on ``loop``, found once per connection.

    asyncio's and uvloop's ``create_task`` make a plain ``asyncio.Task`` when no
    task factory is set; the task is then made directly, without the method
    around it (a per-request cost). Any other loop's ``create_task`` is called.
    """
    create = type(loop).create_task
    if create is _STOCK_CREATE_TASK:
        return ASYNCIO_TASKS
    # A uvloop loop exists only once uvloop is imported.
    uvloop_class = getattr(sys.modules.get("uvloop"), "Loop", None)
    if uvloop_class is not None and create is uvloop_class.create_task:
        return UVLOOP_TASKS
    return LOOP_TASKS


def start_task(
    coro: Coroutine[Any, Any, None], loop: asyncio.AbstractEventLoop, maker: int
) -> asyncio.Task[None]:
    """Run ``coro`` as a task of ``loop``; ``maker`` is :func:`task_maker`'s answer for it.

    On Python 3.12 and later the task starts eagerly: it runs the handler inside
    ``data_received`` and finishes there when the handler never suspends (no
    trip through the event loop for simple handlers), while ``current_task()``
    and ``asyncio.timeout()`` still work. A task factory set on the loop is
    always used.
    """
    if maker == ASYNCIO_TASKS:
        plain = getattr(loop, "_task_factory", None) is None
    else:
        plain = maker == UVLOOP_TASKS and loop.get_task_factory() is None
    if plain:
        if _EAGER:
            return _TASK(coro, loop=loop, eager_start=True)  # type: ignore[call-arg,unused-ignore]
        return _TASK(coro, loop=loop)
    return loop.create_task(coro)
