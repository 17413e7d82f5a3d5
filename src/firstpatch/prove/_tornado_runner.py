"""Child side of the Tornado driver: the application behind an HTTPServer on a loopback port that
Tornado's testing helper picks, and AsyncHTTPClient on the same IOLoop."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from . import _runner
from ._guard import Guard
from ._protocol import Json


def run(job: dict[str, Any], guard: Guard, channel: _runner.Channel) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def build() -> Any:
        app = _runner.import_target(job["root"], job["app"])
        from tornado.httpclient import AsyncHTTPClient
        from tornado.httpserver import HTTPServer
        from tornado.testing import bind_unused_port

        sock, port = bind_unused_port()  # 127.0.0.1
        server = HTTPServer(app)
        server.add_sockets([sock])
        return app, AsyncHTTPClient(), port

    started, built = _runner.start(guard, channel, build)
    if not started:
        return
    app, client, port = built
    routes: list[dict[str, Json]] = []
    for router in (getattr(app, "default_router", None), getattr(app, "wildcard_router", None)):
        for rule in getattr(router, "rules", []):
            regex = getattr(rule.matcher, "regex", None)
            if regex is not None:
                routes.append(
                    {"rule": regex.pattern, "handler": _runner.handler_name(rule.target), "methods": []}
                )
    _runner.ready(guard, channel, routes)
    _runner.serve(job, guard, channel, lambda request: loop.run_until_complete(_send(client, port, request)))


async def _send(client: Any, port: int, request: dict[str, Any]) -> dict[str, Json]:
    body = base64.b64decode(request["body"]) if request.get("body") is not None else None
    method = request["method"]
    response = await client.fetch(
        f"http://127.0.0.1:{port}{request['path']}",
        method=method,
        headers=[(str(name), str(value)) for name, value in request["headers"]],
        # Tornado wants a body (possibly empty) exactly for the methods that carry one.
        body=(body or b"") if method in ("POST", "PUT", "PATCH") else body,
        follow_redirects=False,
        raise_error=False,
        allow_nonstandard_methods=True,
    )
    return _runner.response(response.code, list(response.headers.get_all()), response.body or b"")
