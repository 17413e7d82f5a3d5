"""Turn the child's messages back into typed observations, and summarise them for logs."""

from __future__ import annotations

from collections.abc import Sequence

from firstpatch.model import Location
from firstpatch.prove._protocol import Json
from firstpatch.prove.interface import AuditRecord, Observation, Payload, Response
from firstpatch.prove.sandbox import SandboxResult


def observations(
    run: SandboxResult,
    item: str,
    attempts: Sequence[tuple[Payload, object]] | Sequence[Payload],
    sink: Location | None = None,
    steps: tuple[Location, ...] = (),
) -> list[Observation]:
    """One observation per request of `item`, in the order they were sent."""
    found: list[Observation] = []
    for message in run.messages:
        if message.get("type") != "request" or message.get("item") != item:
            continue
        index = message.get("index")
        if not isinstance(index, int) or not 0 <= index < len(attempts):
            continue
        attempt = attempts[index]
        payload = attempt[0] if isinstance(attempt, tuple) else attempt
        records, response = _records(message.get("records")), _response(message)
        found.append(Observation(payload, records, response, _error(message), run.root, sink, steps))
    return found


def refusals(seen: list[Observation]) -> str:
    """Distinct refusals across the observations, e.g. "os.fork (), socket.connect ('8.8.8.8', 53)"."""
    described = dict.fromkeys(
        f"{record.event} {_short(record.args)}"
        for observation in seen
        for record in observation.records
        if record.refused
    )
    return ", ".join(list(described)[:8])


def render_log(seen: list[Observation], note: str) -> str:
    lines = [note]
    for observation in seen:
        outcome = (
            f"HTTP {observation.response.status} {observation.response.content_type}"
            if observation.response
            else f"raised {observation.error}"
        )
        lines.append(f"{observation.payload.label} ({observation.payload.canary}): {outcome}")
        for record in observation.records:
            mark = "refused " if record.refused else ""
            lines.append(f"  {mark}{record.event} {_short(record.args)}")
    return "\n".join(lines)


def _records(value: Json) -> tuple[AuditRecord, ...]:
    if not isinstance(value, list):
        return ()
    records = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("event"), str):
            args = item.get("args")
            records.append(
                AuditRecord(
                    str(item["event"]),
                    tuple(args) if isinstance(args, list) else (),
                    item.get("refused") is True,
                )
            )
    return tuple(records)


def _response(message: dict[str, Json]) -> Response | None:
    status, content_type, body = message.get("status"), message.get("content_type"), message.get("body")
    if not isinstance(status, int):
        return None
    headers = message.get("headers")
    pairs = tuple(
        (str(pair[0]), str(pair[1]))
        for pair in (headers if isinstance(headers, list) else [])
        if isinstance(pair, list) and len(pair) == 2
    )
    return Response(
        status,
        content_type if isinstance(content_type, str) else "",
        body if isinstance(body, str) else "",
        pairs,
    )


def _error(message: dict[str, Json]) -> str | None:
    error = message.get("error")
    return error if isinstance(error, str) else None


def _short(args: tuple[Json, ...]) -> str:
    text = repr(tuple(args))
    return text if len(text) <= 200 else text[:200] + "…"
