"""Child side of the Django driver: the project's settings with a temporary SQLite database
(migrated, or created from the models), and Django's test Client."""

from __future__ import annotations

import base64
import importlib
import os
import sys
from pathlib import Path
from typing import Any

from . import _runner
from ._guard import Guard
from ._protocol import Json


def run(job: dict[str, Any], guard: Guard, channel: _runner.Channel) -> None:
    def build() -> Any:
        locator = job["app"]
        _runner.on_path(job["root"], locator.get("path_entry", ""))
        os.environ["DJANGO_SETTINGS_MODULE"] = locator["settings"]
        # Imported by name: the target's environment provides Django, not firstpatch's.
        django = importlib.import_module("django")
        settings = importlib.import_module("django.conf").settings

        settings.DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(Path(job["tmp"], "db.sqlite3")),
            }
        }
        settings.ALLOWED_HOSTS = ["*"]
        settings.DEBUG_PROPAGATE_EXCEPTIONS = True
        django.setup()
        call_command = importlib.import_module("django.core.management").call_command
        call_command("migrate", run_syncdb=True, verbosity=0, interactive=False, stdout=sys.stderr)
        return importlib.import_module("django.test").Client(raise_request_exception=True)

    started, client = _runner.start(guard, channel, build)
    if not started:
        return
    resolver = importlib.import_module("django.urls").get_resolver()
    _runner.ready(guard, channel, list(_routes(resolver.url_patterns, "")))
    _runner.serve(job, guard, channel, lambda request: _send(client, guard, request))


def _routes(patterns: Any, prefix: str) -> Any:
    for pattern in patterns:
        rule = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):  # an include(): its patterns under this prefix
            yield from _routes(pattern.url_patterns, rule)
            continue
        callback = pattern.callback
        view = getattr(callback, "view_class", None) or callback
        yield {"rule": rule, "handler": _runner.handler_name(view), "methods": []}


def _send(client: Any, guard: Guard, request: dict[str, Any]) -> dict[str, Json]:
    body = base64.b64decode(request["body"]) if request.get("body") is not None else b""
    headers = {str(name): str(value) for name, value in request["headers"]}
    content_type = headers.pop("Content-Type", "application/octet-stream")
    response = client.generic(request["method"], request["path"], body, content_type, headers=headers)
    session = getattr(getattr(response, "wsgi_request", None), "session", None)
    if session is not None:
        _runner.note_session(guard, session.items())
    pairs = list(response.items()) + [("Set-Cookie", m.OutputString()) for m in response.cookies.values()]
    return _runner.response(response.status_code, pairs, response.content)
