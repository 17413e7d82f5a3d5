"""Child side of the FastAPI/Starlette driver: Starlette's TestClient calls the ASGI application
in process (no socket), after running its lifespan startup once."""

from __future__ import annotations

import base64
from typing import Any

from . import _runner
from ._guard import Guard
from ._protocol import Json


def run(job: dict[str, Any], guard: Guard, channel: _runner.Channel) -> None:
    def build() -> Any:
        app = _runner.import_target(job["root"], job["app"])
        from starlette.testclient import TestClient

        client = TestClient(app, base_url="http://127.0.0.1:5000")
        client.__enter__()  # lifespan startup, once: a warm application
        return app, client

    started, built = _runner.start(guard, channel, build)
    if not started:
        return
    app, client = built
    _runner.ready(guard, channel, list(_routes(getattr(app, "routes", []), "")))
    _runner.serve(job, guard, channel, lambda request: _send(client, request))


def _routes(routes: Any, prefix: str) -> Any:
    for route in routes:
        path = prefix + str(getattr(route, "path", ""))
        nested = getattr(route, "routes", None)
        if nested and not hasattr(route, "endpoint"):
            yield from _routes(nested, path)
            continue
        methods: list[Json] = sorted(getattr(route, "methods", None) or ())
        endpoint = getattr(route, "endpoint", None)
        yield {"rule": path, "handler": _runner.handler_name(endpoint), "methods": methods}


def _send(client: Any, request: dict[str, Any]) -> dict[str, Json]:
    body = base64.b64decode(request["body"]) if request.get("body") is not None else None
    response = client.request(
        request["method"],
        request["path"],
        headers=[(str(name), str(value)) for name, value in request["headers"]],
        content=body,
        follow_redirects=False,
    )
    return _runner.response(response.status_code, list(response.headers.multi_items()), response.content)
