"""Class-based views: dispatch on the request method."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from transom.web import (
    HTTPMethodNotAllowed,
    Response,
    View,
)

if TYPE_CHECKING:
    from transom.web import Request

from .conftest import make_request


def request(method: str) -> Request:
    return make_request(method, "/")


class Items(View):
    async def get(self) -> Response:
        return Response(text=f"list via {self.request.method}")

    async def post(self) -> Response:
        return Response(text="created", status=201)


def answer(view: type[View], method: str) -> Response:
    async def run() -> Response:
        response = await view(request(method))
        assert isinstance(response, Response)
        return response

    return asyncio.run(run())


def test_a_view_dispatches_to_the_method_of_the_same_name() -> None:
    assert answer(Items, "GET").text == "list via GET"
    created = answer(Items, "POST")
    assert (created.status, created.text) == (201, "created")


def test_head_falls_back_to_get() -> None:
    assert answer(Items, "HEAD").text == "list via HEAD"


def test_an_undefined_method_is_405_listing_the_defined_ones() -> None:
    with pytest.raises(HTTPMethodNotAllowed) as info:
        answer(Items, "DELETE")
    assert info.value.allowed_methods == {"GET", "HEAD", "POST"}
    assert info.value.headers["Allow"] == "GET, HEAD, POST"


def test_an_unknown_method_is_405_even_if_an_attribute_has_its_name() -> None:
    class Odd(View):
        async def brew(self) -> Response:
            return Response()

    with pytest.raises(HTTPMethodNotAllowed):
        answer(Odd, "BREW")


def test_the_view_keeps_its_request() -> None:
    incoming = request("GET")
    assert Items(incoming).request is incoming
