"""Cookie matching rules of RFC 6265 §5.1, as pure functions."""

from __future__ import annotations

import ipaddress
from http.cookies import Morsel
from typing import Any, cast

__all__ = ["default_path", "domain_match", "is_ip_address", "make_morsel", "path_match"]


def is_ip_address(host: str) -> bool:
    """Whether ``host`` is an IPv4 or IPv6 literal (brackets allowed)."""
    try:
        ipaddress.ip_address(host.strip("[]").partition("%")[0])
    except ValueError:
        return False
    return True


def domain_match(host: str, domain: str) -> bool:
    """RFC 6265 §5.1.3: whether ``host`` domain-matches ``domain``.

    Both are canonical (lower case). An IP address matches only itself.
    """
    if host == domain:
        return True
    if not host.endswith(domain) or is_ip_address(host):
        return False
    return host[-len(domain) - 1] == "."


def path_match(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 §5.1.4: whether ``request_path`` path-matches ``cookie_path``."""
    if request_path == cookie_path:
        return True
    if not request_path.startswith(cookie_path):
        return False
    return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"


def default_path(request_path: str) -> str:
    """RFC 6265 §5.1.4: the default cookie path for a request URI's path."""
    if not request_path.startswith("/"):
        return "/"
    directory = request_path[: request_path.rfind("/")]
    return directory or "/"


def make_morsel(name: str, value: str, coded_value: str, **attributes: Any) -> Morsel[str]:
    """A ``http.cookies.Morsel`` holding a cookie, whatever characters its name has.

    ``Morsel.set`` refuses names outside Python's own legal set, but a jar
    must hand back every cookie the server set; the state is assigned
    directly instead.
    """
    morsel: Morsel[str] = Morsel()
    cast(Any, morsel).__setstate__({"key": name, "value": value, "coded_value": coded_value})
    for attribute, attribute_value in attributes.items():
        if attribute_value not in (None, "", False):
            dict.__setitem__(morsel, attribute, attribute_value)
    return morsel
