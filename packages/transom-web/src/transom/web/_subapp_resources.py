"""Resources that hand a request to a sub-application: by path prefix or by host."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from transom.web._compiler_hints import mypyc_attr
from transom.web._resources import NO_METHODS, AbstractRoute, PrefixResource, Resolved

if TYPE_CHECKING:
    from yarl import URL

    from transom.web._application import Application
    from transom.web._request import Request

__all__ = ["Domain", "MaskDomain", "MatchedSubAppResource", "PrefixedSubAppResource"]

# RFC 1123 §2.1 host name label: letters, digits, hyphens, not at either end.
_LABEL: Final = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_MASK_LABEL: Final = re.compile(r"(?!-)[a-z0-9*-]{1,63}(?<!-)")


# Applications may derive their own from it.
@mypyc_attr(allow_interpreted_subclasses=True)
class PrefixedSubAppResource(PrefixResource):
    """Routes every path under `prefix` to a sub-application's router.

    The sub-application's resources get the prefix prepended, so its own
    ``router["name"].url_for()`` builds full URLs. Once the prefix matches, the
    sub-application's answer is final, including its 404 or 405.

    Args:
        prefix: the URL prefix, starting with ``/``.
        app: the sub-application.
    """

    __slots__ = ("_app",)

    def __init__(self, prefix: str, app: Application) -> None:
        super().__init__(prefix)
        self._app = app
        self._prefix_app_resources(self._prefix)

    @property
    def app(self) -> Application:
        """The sub-application."""
        return self._app

    def add_prefix(self, prefix: str) -> None:
        """Prepend an outer application's prefix, here and in the sub-app."""
        super().add_prefix(prefix)
        self._prefix_app_resources(prefix)

    def _prefix_app_resources(self, prefix: str) -> None:
        router = self._app.router
        for resource in router.resources():
            resource.add_prefix(prefix)
        router._reindex()

    def url_for(self, **kwargs: Any) -> URL:
        """Refuse: build URLs with the sub-application's own named resources."""
        raise RuntimeError("url_for() is not available for a sub-application's root")

    def get_info(self) -> dict[str, Any]:
        """``{"app": ..., "prefix": ...}``."""
        return {"app": self._app, "prefix": self.canonical}

    def _resolve(self, request: Request, path: str, method: str) -> Resolved:
        if not self._owns(path):
            return None, NO_METHODS
        return self._app.router._resolve(request, path, method), NO_METHODS

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._app.router.routes())

    def __len__(self) -> int:
        return len(self._app.router.routes())

    def __repr__(self) -> str:
        return f"<PrefixedSubAppResource {self.canonical} -> {self._app!r}>"


def _split_host(host: str) -> tuple[str, str]:
    """Split ``name[:port]`` (or ``[v6]:port``) into a lower-case name and a port."""
    host = host.lower()
    if host.endswith("]") or ":" not in host:
        return host.rstrip("."), ""
    name, _, port = host.rpartition(":")
    return name.rstrip("."), port


# Applications may derive their own from it.
@mypyc_attr(allow_interpreted_subclasses=True)
class Domain:
    """Matches one host name, with any port unless a port is given.

    Args:
        domain: ``example.com`` or ``example.com:8080``.

    Raises:
        ValueError: empty, a scheme given, a bad label or a bad port.
    """

    __slots__ = ("_name", "_port")

    _label = _LABEL

    def __init__(self, domain: str) -> None:
        if not isinstance(domain, str):
            raise TypeError("domain must be a str")
        if "://" in domain:
            raise ValueError(f"domain {domain!r} must not include a scheme")
        name, port = _split_host(domain)
        if not name:
            raise ValueError("domain must not be empty")
        if port and not port.isdigit():
            raise ValueError(f"domain {domain!r} has an invalid port")
        if not all(self._label.fullmatch(label) for label in name.split(".")):
            raise ValueError(f"domain {domain!r} is not a valid host name")
        self._name = name
        self._port = port

    @property
    def canonical(self) -> str:
        """``name`` or ``name:port``."""
        return f"{self._name}:{self._port}" if self._port else self._name

    def match_domain(self, host: str) -> bool:
        """Whether a ``Host`` header value names this domain."""
        name, port = _split_host(host)
        if self._port and port != self._port:
            return False
        return self._match_name(name)

    def _match_name(self, name: str) -> bool:
        return name == self._name

    def get_info(self) -> dict[str, Any]:
        """``{"domain": ...}``."""
        return {"domain": self.canonical}


# Applications may derive their own from it.
@mypyc_attr(allow_interpreted_subclasses=True)
class MaskDomain(Domain):
    """Matches host names against a ``*`` wildcard (``*.example.com``).

    ``*`` stands for one or more labels: ``*.example.com`` matches
    ``api.example.com`` and ``a.b.example.com`` but not ``example.com``.
    """

    __slots__ = ("_mask",)

    _label = _MASK_LABEL

    def __init__(self, domain: str) -> None:
        super().__init__(domain)
        self._mask = re.compile(re.escape(self._name).replace(r"\*", r"[^:]+"))

    def _match_name(self, name: str) -> bool:
        return self._mask.fullmatch(name) is not None


# Applications may derive their own from it.
@mypyc_attr(allow_interpreted_subclasses=True)
class MatchedSubAppResource(PrefixedSubAppResource):
    """Routes requests whose host matches a rule to a sub-application.

    Args:
        rule: the `Domain` or `MaskDomain` to match.
        app: the sub-application.
    """

    __slots__ = ("_rule",)

    def __init__(self, rule: Domain, app: Application) -> None:
        PrefixResource.__init__(self, "/")
        self._app = app
        self._rule = rule

    @property
    def canonical(self) -> str:
        """The domain rule."""
        return self._rule.canonical

    def get_info(self) -> dict[str, Any]:
        """``{"app": ..., "rule": ...}``."""
        return {"app": self._app, "rule": self._rule}

    def _resolve(self, request: Request, path: str, method: str) -> Resolved:
        # ``request.host`` prefers an absolute-form target's authority over the
        # Host field, as RFC 9112 §3.2.2 requires.
        if not self._rule.match_domain(request.host):
            return None, NO_METHODS
        return self._app.router._resolve(request, path, method), NO_METHODS

    def __repr__(self) -> str:
        return f"<MatchedSubAppResource {self.canonical} -> {self._app!r}>"
