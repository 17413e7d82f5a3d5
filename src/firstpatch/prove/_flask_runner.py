"""Child side of the Flask driver: import the application once, replay each request through
`app.test_client()`, and report what the guard recorded for each request.

Requests arrive fully built (method, path with query, headers, body bytes) so that the request
replayed here, the reproducer script and the curl command are byte for byte the same.
"""

from __future__ import annotations

import base64
import importlib
import sys
from pathlib import Path
from typing import Any

from firstpatch.prove._guard import Guard
from firstpatch.prove._protocol import Json, safe

MAX_BODY = 64 * 1024


def load_app(root: str, locator: dict[str, Any]) -> Any:
    """Build the application the way its entry point does: module object or factory call."""
    entry = str(Path(root, locator["path_entry"]))
    for path in dict.fromkeys((entry, root)):
        if path not in sys.path:
            sys.path.insert(0, path)
    module = importlib.import_module(locator["module"])
    if locator.get("factory"):
        return getattr(module, locator["factory"])()
    return getattr(module, locator["attribute"])


def run(job: dict[str, Any], guard: Guard, channel: Any) -> None:
    guard.watch(None)  # during startup only refusals are recorded
    try:
        app = load_app(job["root"], job["app"])
    except MemoryError:
        channel.send({"type": "error", "kind": "memory", "message": "MemoryError while starting"})
        return
    except ModuleNotFoundError as exc:
        channel.send({"type": "error", "kind": "import", "message": _describe(exc), "module": exc.name})
        return
    except BaseException as exc:  # noqa: BLE001 - whatever the target raises is data for the parent
        records: list[Json] = list(guard.collect())
        channel.send({"type": "error", "kind": "start", "message": _describe(exc), "records": records})
        return
    if not hasattr(app, "test_client") or not hasattr(app, "url_map"):
        message = f"{type(app).__name__} is not a Flask app"
        channel.send({"type": "error", "kind": "start", "message": message})
        return
    # Let exceptions reach us instead of becoming a 500 page, so they can be reported by type.
    app.config["PROPAGATE_EXCEPTIONS"] = True
    routes: list[Json] = [rule.rule for rule in app.url_map.iter_rules()]
    channel.send({"type": "ready", "routes": routes, "records": list(guard.collect())})
    for item in job["items"]:
        channel.send({"type": "begin", "item": item["id"]})
        for index, request in enumerate(item["requests"]):
            guard.watch(request["canary"])
            outcome = _send(app, request)
            records = list(guard.collect())
            outcome.update({"type": "request", "item": item["id"], "index": index, "records": records})
            guard.watch(None)
            channel.send(outcome)
        channel.send({"type": "end", "item": item["id"]})


def _send(app: Any, request: dict[str, Any]) -> dict[str, Json]:
    body = base64.b64decode(request["body"]) if request.get("body") is not None else None
    try:
        # use_cookies=False: the client would otherwise replace the Cookie header we send.
        response = app.test_client(use_cookies=False).open(
            request["path"],
            method=request["method"],
            headers=[(str(name), str(value)) for name, value in request["headers"]],
            data=body,
        )
        data = response.get_data()[:MAX_BODY]
        return {
            "status": response.status_code,
            "content_type": response.headers.get("Content-Type", ""),
            "body": data.decode("utf-8", "replace"),
        }
    except MemoryError:
        return {"error": "MemoryError", "error_kind": "memory"}
    except BaseException as exc:  # noqa: BLE001 - SystemExit and the guard's refusals too: all are data
        return {"error": _describe(exc), "error_kind": "exception"}


def _describe(exc: BaseException) -> str:
    text = safe(f"{type(exc).__name__}: {exc}")
    return text if isinstance(text, str) else type(exc).__name__
