"""Child side of the aiohttp driver: aiohttp's own TestServer on 127.0.0.1 and TestClient, on one
event loop that lives as long as the child."""

from __future__ import annotations

import asyncio
import base64
import inspect
from typing import Any

from . import _runner
from ._guard import Guard
from ._protocol import Json


def run(job: dict[str, Any], guard: Guard, channel: _runner.Channel) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def build() -> Any:
        app = _runner.import_target(job["root"], job["app"])
        if inspect.isawaitable(app):  # an async factory
            app = loop.run_until_complete(app)
        from aiohttp.test_utils import TestClient, TestServer

        client = TestClient(TestServer(app, host="127.0.0.1"), loop=loop)
        loop.run_until_complete(client.start_server())
        return app, client

    started, built = _runner.start(guard, channel, build)
    if not started:
        return
    app, client = built
    routes: list[dict[str, Json]] = []
    for route in app.router.routes():
        resource = route.resource
        rule = resource.canonical if resource is not None else ""
        routes.append(
            {"rule": rule, "handler": _runner.handler_name(route.handler), "methods": [route.method]}
        )
    _runner.ready(guard, channel, routes)
    _runner.serve(job, guard, channel, lambda request: loop.run_until_complete(_send(client, request)))


async def _send(client: Any, request: dict[str, Any]) -> dict[str, Json]:
    body = base64.b64decode(request["body"]) if request.get("body") is not None else None
    response = await client.request(
        request["method"],
        request["path"],
        headers=[(str(name), str(value)) for name, value in request["headers"]],
        data=body,
        allow_redirects=False,
    )
    content = await response.read()
    return _runner.response(response.status, list(response.headers.items()), content)
