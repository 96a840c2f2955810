"""The result of routing one request: path variables, route and application chain."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from transom.web._application import Application
    from transom.web._http_exceptions import HTTPException
    from transom.web._resources import AbstractRoute, Handler

__all__ = ["MatchInfoError", "UrlMappingMatchInfo"]


class UrlMappingMatchInfo(dict[str, str]):
    """The path variables of a matched route, plus the route and its applications.

    The mapping holds the percent-decoded value of every ``{variable}`` in the
    route's path. ``apps`` lists the applications the route belongs to, outermost
    first; ``current_app`` is the one whose code runs right now (the route's own
    application inside its handler, a parent while the parent's middlewares run).

    Args:
        match_dict: the decoded path variables.
        route: the matched route.
    """

    __slots__ = ("_apps", "_current_app", "_frozen", "_route")

    def __init__(self, match_dict: dict[str, str], route: AbstractRoute) -> None:
        # No super().__init__(): compiled, it is a lookup of super and a call
        # through Python, a cost for every routed request.
        if match_dict:
            self.update(match_dict)
        apps = route._apps
        self._route = route
        self._apps: tuple[Application, ...] = apps
        self._current_app: Application | None = apps[-1] if apps else None
        self._frozen = False

    @property
    def route(self) -> AbstractRoute:
        """The matched route."""
        return self._route

    @property
    def handler(self) -> Handler:
        """The route's own handler, without middlewares."""
        return self._route.handler

    @property
    def http_exception(self) -> HTTPException | None:
        """The 404/405 answer when routing failed, else ``None``."""
        return None

    @property
    def apps(self) -> tuple[Application, ...]:
        """The applications the route belongs to, outermost first."""
        return self._apps

    def add_app(self, app: Application) -> None:
        """Push `app` as the new outermost application.

        The first application added becomes ``current_app``.

        Raises:
            RuntimeError: the match info was frozen.
        """
        if self._frozen:
            raise RuntimeError("cannot change the application chain of a frozen match info")
        if self._current_app is None:
            self._current_app = app
        self._apps = (app, *self._apps)

    @property
    def current_app(self) -> Application:
        """The application whose middleware or handler is running.

        Raises:
            RuntimeError: the route belongs to no application (a bare router).
        """
        app = self._current_app
        if app is None:
            raise RuntimeError("this match info belongs to no application")
        return app

    @current_app.setter
    def current_app(self, app: Application) -> None:
        self._current_app = app

    def freeze(self) -> None:
        """Refuse later `add_app` calls."""
        self._frozen = True

    def get_info(self) -> dict[str, Any]:
        """Describe the matched resource (its path or pattern)."""
        return self._route.get_info()

    def __repr__(self) -> str:
        return f"<UrlMappingMatchInfo {dict(self)!r}: {self._route!r}>"


class MatchInfoError(UrlMappingMatchInfo):
    """The match info of a request no route accepted (404 or 405).

    Its handler raises `http_exception`, so middlewares see the error as they would
    see one raised by a handler.

    Args:
        http_exception: the answer to give (`HTTPNotFound` or `HTTPMethodNotAllowed`).
        route: the system route of the router that gave up, carrying its app chain.
    """

    __slots__ = ("_exception",)

    def __init__(self, http_exception: HTTPException, route: AbstractRoute) -> None:
        super().__init__({}, route)
        self._exception = http_exception

    @property
    def http_exception(self) -> HTTPException:
        """The 404/405 answer."""
        return self._exception

    def __repr__(self) -> str:
        return f"<MatchInfoError {self._exception.status}: {self._exception.reason}>"
