"""Hello, world: the smallest transom.web application.

Run it from the repository root::

    python -m transom.web examples.hello:create_app

then open http://127.0.0.1:8080/ (or /json). Ctrl-C stops the server gracefully.
"""

from __future__ import annotations

from transom.web import Application, Request, Response, json_response, run_app


async def hello(request: Request) -> Response:
    """Plain text."""
    return Response(text="Hello, world!")


async def hello_json(request: Request) -> Response:
    """The same greeting as JSON."""
    return json_response({"message": "Hello, world!"})


def create_app() -> Application:
    """Build the application: ``/`` and ``/json``."""
    app = Application()
    app.router.add_get("/", hello)
    app.router.add_get("/json", hello_json)
    return app


if __name__ == "__main__":
    run_app(create_app(), host="127.0.0.1", port=8080)
