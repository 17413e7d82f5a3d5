"""What every sandbox runner shares: building the target, the request loop, and the messages.

Runs inside the child (stdlib only). A runner supplies two functions: one that builds the
application (or program) as its entry point does, and one that delivers one prepared request and
returns what came back as data. Everything the target raises is data for the parent.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from ._guard import Guard
from ._protocol import Json, safe

MAX_BODY = 64 * 1024
MAX_HEADERS = 64


class Channel(Protocol):
    def send(self, message: dict[str, Json]) -> None: ...


Send = Callable[[dict[str, Any]], dict[str, Json]]


def on_path(root: str, path_entry: str) -> None:
    """Put the target's import root (and the tree itself) first on sys.path."""
    for path in dict.fromkeys((str(Path(root, path_entry)), root)):
        if path not in sys.path:
            sys.path.insert(0, path)


def import_target(root: str, locator: dict[str, Any]) -> Any:
    """The module-level object or the factory's result that the locator names."""
    on_path(root, locator.get("path_entry", ""))
    module = importlib.import_module(locator["module"])
    if locator.get("factory"):
        return getattr(module, locator["factory"])()
    return getattr(module, locator["attribute"])


def start(guard: Guard, channel: Channel, build: Callable[[], Any]) -> tuple[bool, Any]:
    """Run `build`; on failure send the error message and return (False, None)."""
    guard.watch(None)  # during startup only refusals are recorded
    try:
        return True, build()
    except MemoryError:
        channel.send({"type": "error", "kind": "memory", "message": "MemoryError while starting"})
    except ModuleNotFoundError as exc:
        channel.send({"type": "error", "kind": "import", "message": describe(exc), "module": exc.name})
    except BaseException as exc:  # noqa: BLE001 - whatever the target raises is data for the parent
        records: list[Json] = list(guard.collect())
        channel.send({"type": "error", "kind": "start", "message": describe(exc), "records": records})
    return False, None


def ready(guard: Guard, channel: Channel, routes: Sequence[dict[str, Json]] | None, **extra: Json) -> None:
    """The application is up; `routes` lists what it serves ({"rule", "handler", "methods"})."""
    message: dict[str, Json] = {"type": "ready", "records": list(guard.collect()), **extra}
    if routes is not None:
        message["routes"] = [route["rule"] for route in routes]
        message["handlers"] = [dict(route) for route in routes]
    channel.send(message)


def serve(job: dict[str, Any], guard: Guard, channel: Channel, send: Send) -> None:
    """Deliver every request of every item, reporting what the guard recorded for each."""
    for item in job["items"]:
        channel.send({"type": "begin", "item": item["id"]})
        started = time.monotonic()
        for index, request in enumerate(item["requests"]):
            guard.watch(request["canary"])
            try:
                outcome = send(request)
            except MemoryError:
                outcome = {"error": "MemoryError", "error_kind": "memory"}
            except BaseException as exc:  # noqa: BLE001 - SystemExit and refusals too: all are data
                outcome = {"error": describe(exc), "error_kind": "exception"}
            records: list[Json] = list(guard.collect())
            outcome.update({"type": "request", "item": item["id"], "index": index, "records": records})
            guard.watch(None)
            channel.send(outcome)
        channel.send({"type": "end", "item": item["id"], "seconds": round(time.monotonic() - started, 4)})


def response(status: int, headers: Sequence[tuple[str, str]], body: bytes) -> dict[str, Json]:
    content_type = next((value for name, value in headers if name.lower() == "content-type"), "")
    return {
        "status": status,
        "content_type": content_type,
        "headers": [[str(name), str(safe(value))] for name, value in list(headers)[:MAX_HEADERS]],
        "body": body[:MAX_BODY].decode("utf-8", "replace"),
    }


def note_session(guard: Guard, items: Any) -> None:
    """Record session entries that carry the canary (the trust-boundary oracle reads them)."""
    canary = guard.canary
    if canary is None:
        return
    for key, value in list(items)[:64]:
        if canary in repr(key) or canary in repr(value):
            guard.note("session", [key, value])


def describe(exc: BaseException) -> str:
    text = safe(f"{type(exc).__name__}: {exc}")
    return text if isinstance(text, str) else type(exc).__name__


def handler_name(function: Any) -> str:
    """`module.qualname` of a view, without `<locals>` parts (matched against the analysis)."""
    function = getattr(function, "__wrapped__", function)
    module = getattr(function, "__module__", "") or ""
    qualname = getattr(function, "__qualname__", getattr(function, "__name__", "")) or ""
    name = f"{module}.{qualname}" if module else qualname
    return name.replace(".<locals>", "")
