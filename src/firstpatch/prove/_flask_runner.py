"""Child side of the Flask driver: import the application once, replay each request through
`app.test_client()`, and report what the guard recorded for each request.

Requests arrive fully built (method, path with query, headers, body bytes) so that the request
replayed here, the reproducer script and the curl command are byte for byte the same.
"""

from __future__ import annotations

import base64
from typing import Any

from . import _runner
from ._guard import Guard
from ._protocol import Json


def load_app(root: str, locator: dict[str, Any]) -> Any:
    """Build the application the way its entry point does: module object or factory call."""
    return _runner.import_target(root, locator)


def run(job: dict[str, Any], guard: Guard, channel: _runner.Channel) -> None:
    started, app = _runner.start(guard, channel, lambda: load_app(job["root"], job["app"]))
    if not started:
        return
    if not hasattr(app, "test_client") or not hasattr(app, "url_map"):
        message = f"{type(app).__name__} is not a Flask app"
        channel.send({"type": "error", "kind": "start", "message": message})
        return
    # Let exceptions reach us instead of becoming a 500 page, so they can be reported by type.
    app.config["PROPAGATE_EXCEPTIONS"] = True
    _watch_session(app, guard)
    routes: list[dict[str, Json]] = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        methods: list[Json] = sorted(rule.methods or ())
        routes.append({"rule": rule.rule, "handler": _runner.handler_name(view), "methods": methods})
    _runner.ready(guard, channel, routes)
    _runner.serve(job, guard, channel, lambda request: _send(app, request))


def _watch_session(app: Any, guard: Guard) -> None:
    # request_finished is sent after the session was saved, while the request is still active.
    from flask import request_finished, session

    def finished(_sender: Any, **_extra: Any) -> None:
        _runner.note_session(guard, session.items())

    request_finished.connect(finished, app, weak=False)


def _send(app: Any, request: dict[str, Any]) -> dict[str, Json]:
    body = base64.b64decode(request["body"]) if request.get("body") is not None else None
    # use_cookies=False: the client would otherwise replace the Cookie header we send.
    response = app.test_client(use_cookies=False).open(
        request["path"],
        method=request["method"],
        headers=[(str(name), str(value)) for name, value in request["headers"]],
        data=body,
    )
    return _runner.response(response.status_code, list(response.headers.items()), response.get_data())
