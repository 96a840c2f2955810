"""Resources (a path or pattern) and the routes (a method and handler) they hold.

Resources match against the request's ``rel_url.path_safe``: the path with every
percent-escape decoded except ``%2F`` and ``%25``, so an encoded slash never
splits a path segment. Route paths are written in that decoded form (``/café``,
``/a b``); a literal ``%`` in a route path matches ``%25`` on the wire.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Collection, Iterator
from typing import TYPE_CHECKING, Any, Final

from yarl import URL

from transom.web._compiler_hints import mypyc_attr
from transom.web._match_info import UrlMappingMatchInfo
from transom.web._views import View

if TYPE_CHECKING:
    from transom.web._application import Application
    from transom.web._request import Request
    from transom.web._response import StreamResponse

__all__ = [
    "AbstractResource",
    "AbstractRoute",
    "DynamicResource",
    "Handler",
    "PlainResource",
    "PrefixResource",
    "Resource",
    "ResourceRoute",
    "SystemRoute",
]

Handler = Callable[["Request"], Awaitable["StreamResponse"]]
Resolved = tuple[UrlMappingMatchInfo | None, Collection[str]]

METH_ANY: Final = "*"
NO_METHODS: frozenset[str] = frozenset()
# RFC 9110 §9.1: a method is a token (RFC 9110 §5.6.2).
_METHOD: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VARIABLE_NAME: Final = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
# One path segment: what a ``{name}`` without a regex matches.
DEFAULT_VARIABLE_PATTERN: Final = r"[^/]+"


def _check_handler(handler: object) -> None:
    if isinstance(handler, type):
        if issubclass(handler, View):
            return
        raise TypeError(f"handler class {handler.__name__} must subclass transom.web.View")
    if inspect.isfunction(handler) and not inspect.iscoroutinefunction(handler):
        raise TypeError(f"handler {handler.__qualname__} must be an async function (async def)")
    if not callable(handler):
        raise TypeError(f"handler {handler!r} is not callable")


def unquote_path_safe(value: str) -> str:
    """Decode the two escapes ``path_safe`` keeps (``%2F`` and ``%25``)."""
    if "%" not in value:
        return value
    return value.replace("%2F", "/").replace("%25", "%")


# Applications may derive their own from it.
@mypyc_attr(allow_interpreted_subclasses=True)
class AbstractRoute:
    """One handler bound to one method (or ``*``) of a resource.

    ``_apps`` and ``_chain`` are filled when the owning application freezes: the
    application chain the route belongs to and the handler wrapped in every
    middleware of that chain.
    """

    __slots__ = ("_apps", "_chain", "_handler", "_method", "_resource")

    def __init__(self, method: str, handler: Handler, resource: AbstractResource | None) -> None:
        method = method.upper()
        if method != METH_ANY and not _METHOD.fullmatch(method):
            raise ValueError(f"{method!r} is not a valid HTTP method")
        _check_handler(handler)
        self._method = method
        self._handler = handler
        self._resource = resource
        self._apps: tuple[Application, ...] = ()
        self._chain: Handler = handler

    @property
    def method(self) -> str:
        """The upper-case method, or ``*`` for any method."""
        return self._method

    @property
    def handler(self) -> Handler:
        """The handler (an async function or a `View` subclass)."""
        return self._handler

    @property
    def resource(self) -> AbstractResource | None:
        """The resource holding this route."""
        return self._resource

    @property
    def name(self) -> str | None:
        """The resource's name."""
        return None if self._resource is None else self._resource.name

    def url_for(self, *args: str, **kwargs: Any) -> URL:
        """Build the URL of this route's resource; see the resource's ``url_for``."""
        if self._resource is None:
            raise RuntimeError("this route has no resource to build a URL for")
        url_for: Callable[..., URL] = self._resource.url_for
        return url_for(*args, **kwargs)

    def get_info(self) -> dict[str, Any]:
        """Describe the resource (path, pattern or prefix)."""
        return {} if self._resource is None else self._resource.get_info()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} [{self._method}] {self._resource!r} -> {self._handler!r}>"


class ResourceRoute(AbstractRoute):
    """A route registered on a resource."""

    __slots__ = ()


async def _raise_routing_error(request: Request) -> StreamResponse:
    raise request.match_info.http_exception  # type: ignore[misc]


class SystemRoute(AbstractRoute):
    """The route of a request no resource accepted; its handler raises the 404/405."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(METH_ANY, _raise_routing_error, None)

    def url_for(self, *args: str, **kwargs: Any) -> URL:
        """Refuse: a failed match has no URL."""
        raise RuntimeError("url_for() is not available for a failed match")


# Applications may derive their own from it.
@mypyc_attr(allow_interpreted_subclasses=True)
class AbstractResource:
    """A path, pattern or prefix that routes requests to its routes.

    Args:
        name: a name for `UrlDispatcher` lookups and ``url_for``.
    """

    __slots__ = ("_name",)

    def __init__(self, *, name: str | None = None) -> None:
        self._name = name

    @property
    def name(self) -> str | None:
        """The resource's name, or ``None``."""
        return self._name

    @property
    def canonical(self) -> str:
        """The path, pattern or prefix as registered (with any sub-app prefix)."""
        raise NotImplementedError

    def url_for(self, **kwargs: Any) -> URL:
        """Build a URL that this resource matches."""
        raise NotImplementedError

    def get_info(self) -> dict[str, Any]:
        """Describe the resource for introspection."""
        raise NotImplementedError

    def add_prefix(self, prefix: str) -> None:
        """Prepend a sub-application's prefix (``/admin``) to the resource's path."""
        raise NotImplementedError

    def freeze(self) -> None:
        """Called once when the router freezes."""

    def raw_match(self, path: str) -> bool:
        """Whether the resource was registered with exactly `path`."""
        return False

    def _resolve(self, request: Request, path: str, method: str) -> Resolved:
        """Match `path` and `method`; the method set explains a 405."""
        raise NotImplementedError

    def __len__(self) -> int:
        return len(list(self))

    def __iter__(self) -> Iterator[AbstractRoute]:
        raise NotImplementedError


# Applications may derive their own from it.
@mypyc_attr(allow_interpreted_subclasses=True)
class Resource(AbstractResource):
    """A resource holding at most one route per method."""

    __slots__ = ("_any_route", "_routes")

    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._routes: dict[str, AbstractRoute] = {}
        self._any_route: AbstractRoute | None = None

    def add_route(self, method: str, handler: Handler) -> ResourceRoute:
        """Register `handler` for `method` (``*`` for every method).

        Raises:
            RuntimeError: the method (or ``*``) already has a route here, so the
                new one could never run.
            ValueError: the method is not a valid token.
            TypeError: the handler is neither an async callable nor a `View`.
        """
        route = ResourceRoute(method, handler, self)
        existing = self._routes.get(route.method, self._any_route)
        if existing is not None:
            raise RuntimeError(
                f"route {route.method} {self.canonical} would never run: "
                f"method {existing.method} is already registered"
            )
        self.register_route(route)
        return route

    def register_route(self, route: AbstractRoute) -> None:
        """Attach an already built route."""
        if route.method == METH_ANY:
            self._any_route = route
        self._routes[route.method] = route

    def _match(self, path: str) -> dict[str, str] | None:
        raise NotImplementedError

    def _resolve(self, request: Request, path: str, method: str) -> Resolved:
        match_dict = self._match(path)
        if match_dict is None:
            return None, NO_METHODS
        route = self._routes.get(method, self._any_route)
        if route is None:
            return None, self._routes.keys()
        return UrlMappingMatchInfo(match_dict, route), NO_METHODS

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._routes.values())

    def __len__(self) -> int:
        return len(self._routes)


# Applications may derive their own from it.
@mypyc_attr(allow_interpreted_subclasses=True)
class PlainResource(Resource):
    """A resource with a fixed path, matched by string equality.

    Args:
        path: the path, starting with ``/`` (or empty for a sub-app's root).
    """

    __slots__ = ("_match_path", "_path")

    def __init__(self, path: str, *, name: str | None = None) -> None:
        super().__init__(name=name)
        if path and not path.startswith("/"):
            raise ValueError(f"route path {path!r} must start with '/'")
        self._path = path
        self._match_path = path.replace("%", "%25")

    @property
    def canonical(self) -> str:
        """The path."""
        return self._path or "/"

    @property
    def match_path(self) -> str:
        """The path in ``path_safe`` form, the key the router indexes it under."""
        return self._match_path or "/"

    def add_prefix(self, prefix: str) -> None:
        """Prepend a sub-application's prefix."""
        self._path = prefix + self._path
        self._match_path = self._path.replace("%", "%25")

    def raw_match(self, path: str) -> bool:
        """Whether the resource was registered with exactly `path`."""
        return self._path == path

    def _match(self, path: str) -> dict[str, str] | None:
        return {} if path == self.match_path else None

    def url_for(self, *, query: Any = None) -> URL:  # type: ignore[override]
        """Build the resource's URL.

        Args:
            query: an optional query (a mapping, a sequence of pairs or a string).
        """
        url = URL.build(path=self.canonical)
        return url if query is None else url.with_query(query)

    def get_info(self) -> dict[str, Any]:
        """``{"path": ...}``."""
        return {"path": self.canonical}

    def __repr__(self) -> str:
        name = f" {self._name!r}" if self._name is not None else ""
        return f"<PlainResource{name} {self.canonical}>"


# Applications may derive their own from it.
@mypyc_attr(allow_interpreted_subclasses=True)
class DynamicResource(Resource):
    """A resource whose path holds ``{name}`` or ``{name:regex}`` variables.

    ``{name}`` matches one path segment; ``{name:regex}`` matches the regex (so
    ``{tail:.*}`` matches the rest of the path, slashes included; ``.`` matches
    any character, a decoded newline too). Values in the match info are
    percent-decoded. The whole path compiles to one regex.

    Args:
        path: the pattern, starting with ``/``.

    Raises:
        ValueError: unbalanced braces, an invalid variable name, a repeated
            variable, an empty or invalid regex.
    """

    __slots__ = ("_formatter", "_original", "_pattern", "_variables")

    def __init__(self, path: str, *, name: str | None = None) -> None:
        super().__init__(name=name)
        if not path.startswith("/"):
            raise ValueError(f"route path {path!r} must start with '/'")
        self._original = path
        self._formatter: list[str | tuple[str, str]] = _parse_pattern(path)
        self._variables: dict[str, re.Pattern[str]] = {
            part[0]: re.compile(part[1], re.DOTALL)
            for part in self._formatter
            if isinstance(part, tuple)
        }
        self._pattern = _compile(self._formatter, path)

    @property
    def canonical(self) -> str:
        """The pattern with regexes dropped: ``/users/{id}``."""
        return "".join(
            part if isinstance(part, str) else "{" + part[0] + "}" for part in self._formatter
        )

    def add_prefix(self, prefix: str) -> None:
        """Prepend a sub-application's prefix."""
        self._formatter.insert(0, prefix)
        self._original = prefix + self._original
        self._pattern = _compile(self._formatter, self._original)

    def raw_match(self, path: str) -> bool:
        """Whether the resource was registered with exactly `path`."""
        return self._original == path

    def _match(self, path: str) -> dict[str, str] | None:
        match = self._pattern.fullmatch(path)
        if match is None:
            return None
        return {key: unquote_path_safe(value) for key, value in match.groupdict().items()}

    def url_for(self, *, query: Any = None, **parts: str) -> URL:
        """Build a URL from variable values.

        Args:
            query: an optional query; a route variable named ``query`` takes
                precedence and receives the value instead.
            parts: one value per variable, percent-encoded as needed (a ``/`` in
                a one-segment variable is encoded as ``%2F``).

        Raises:
            KeyError: a variable has no value.
            ValueError: a value does not match its variable's pattern.
        """
        if query is not None and "query" in self._variables:
            parts["query"], query = query, None
        pieces: list[str] = []
        for part in self._formatter:
            if isinstance(part, str):
                pieces.append(_quote(part, safe="/"))
                continue
            var, regex = part
            if var not in parts:
                raise KeyError(f"url_for() of {self.canonical} needs a value for {var!r}")
            value = str(parts[var])
            one_segment = regex == DEFAULT_VARIABLE_PATTERN
            # Check the value as it will look to the matcher (path_safe form).
            as_matched = value.replace("%", "%25")
            if one_segment:
                as_matched = as_matched.replace("/", "%2F")
            if not self._variables[var].fullmatch(as_matched):
                raise ValueError(f"value {value!r} for {var!r} does not match {regex!r}")
            pieces.append(_quote(value, safe="" if one_segment else "/"))
        url = URL.build(path="".join(pieces), encoded=True)
        return url if query is None else url.with_query(query)

    def get_info(self) -> dict[str, Any]:
        """``{"formatter": ..., "pattern": ...}``."""
        return {"formatter": self.canonical, "pattern": self._pattern}

    def __repr__(self) -> str:
        name = f" {self._name!r}" if self._name is not None else ""
        return f"<DynamicResource{name} {self.canonical}>"


# Applications may derive their own from it.
@mypyc_attr(allow_interpreted_subclasses=True)
class PrefixResource(AbstractResource):
    """A resource that owns every path under a prefix (static files, sub-apps).

    Args:
        prefix: the prefix, starting with ``/`` and without a trailing ``/``.
    """

    __slots__ = ("_prefix",)

    def __init__(self, prefix: str, *, name: str | None = None) -> None:
        super().__init__(name=name)
        if not prefix.startswith("/") or (prefix != "/" and prefix.endswith("/")):
            raise ValueError(f"prefix {prefix!r} must start with '/' and not end with '/'")
        self._prefix = prefix.rstrip("/")

    @property
    def canonical(self) -> str:
        """The prefix."""
        return self._prefix or "/"

    def add_prefix(self, prefix: str) -> None:
        """Prepend a sub-application's prefix."""
        self._prefix = prefix + self._prefix

    def _owns(self, path: str) -> bool:
        prefix = self._prefix.replace("%", "%25")
        return path == prefix or path.startswith(prefix + "/")


def _quote(value: str, *, safe: str) -> str:
    raw = URL.build(path="/" + value).raw_path[1:]
    return raw if "/" in safe else raw.replace("/", "%2F")


def is_dynamic(path: str) -> bool:
    """Whether `path` holds a variable (or a stray brace, reported when parsed)."""
    return "{" in path or "}" in path


def _parse_pattern(path: str) -> list[str | tuple[str, str]]:
    """Split a route pattern into literal text and ``(name, regex)`` variables."""
    parts: list[str | tuple[str, str]] = []
    seen: set[str] = set()
    literal_start = index = 0
    while index < len(path):
        char = path[index]
        if char == "}":
            raise ValueError(f"invalid route path {path!r}: '}}' without '{{'")
        if char != "{":
            index += 1
            continue
        end, depth = index + 1, 1
        while end < len(path) and depth:
            depth += {"{": 1, "}": -1}.get(path[end], 0)
            end += 1
        if depth:
            raise ValueError(f"invalid route path {path!r}: '{{' is never closed")
        name, colon, regex = path[index + 1 : end - 1].partition(":")
        if not _VARIABLE_NAME.fullmatch(name):
            raise ValueError(f"invalid route path {path!r}: bad variable name {name!r}")
        if colon and not regex:
            raise ValueError(f"invalid route path {path!r}: empty regex for {name!r}")
        if name in seen:
            raise ValueError(f"invalid route path {path!r}: variable {name!r} repeated")
        seen.add(name)
        try:
            re.compile(regex)
        except re.error as exc:
            raise ValueError(
                f"invalid route path {path!r}: bad regex for {name!r}: {exc}"
            ) from None
        if index > literal_start:
            parts.append(path[literal_start:index])
        parts.append((name, regex or DEFAULT_VARIABLE_PATTERN))
        literal_start = index = end
    if literal_start < len(path):
        parts.append(path[literal_start:])
    return parts


def _compile(parts: list[str | tuple[str, str]], path: str) -> re.Pattern[str]:
    pattern = "".join(
        re.escape(part.replace("%", "%25"))
        if isinstance(part, str)
        else f"(?P<{part[0]}>{part[1]})"
        for part in parts
    )
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error as exc:
        raise ValueError(f"invalid route path {path!r}: {exc}") from None


def index_key(resource: AbstractResource) -> str:
    """The literal path prefix (up to a ``/``) the router files `resource` under."""
    key = resource.canonical
    if "{" in key:
        key = key.partition("{")[0].rpartition("/")[0]
    return key.rstrip("/") or "/"
