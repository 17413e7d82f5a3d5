"""Run a sequence of requests against the target in the prove sandbox, one warm application.

This is the only way the agent reaches the target's behaviour: the requests are built on the
trusted side, sent by the prove stage's Flask runner inside its sandbox (temporary copy, no
network, resource limits), and what came back is read here as `Observation`s for the oracles.

It uses the prove stage's application locator, request type and message decoding; those live in
private modules of `firstpatch.prove` today (`_applocate.AppFinder`, `_http.HttpRequest`,
`_observe.observations`) and this module is their one user outside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from firstpatch.errors import TargetError
from firstpatch.model import EntryPoint
from firstpatch.prove import Limits, Observation, Payload, sandbox
from firstpatch.prove._applocate import AppFinder
from firstpatch.prove._http import HttpRequest
from firstpatch.prove._observe import observations
from firstpatch.prove._protocol import Json

ITEM = "agent"


@dataclass(frozen=True, slots=True)
class Step:
    label: str  # e.g. "setup 1", "probe"
    request: HttpRequest


@dataclass(frozen=True, slots=True)
class TrialResult:
    observations: tuple[Observation, ...]  # one per step that ran, in order
    failure: str | None  # why the run stopped early or never started
    app: str  # the application that was built, e.g. "app.app"
    log: str


def run_steps(
    root: Path,
    entry: EntryPoint,
    steps: Sequence[Step],
    canary: str,
    payload: str | None,
    limits: Limits | None = None,
) -> TrialResult:
    """Send `steps` in order to one instance of the application that serves `entry`."""
    try:
        locator = AppFinder(root).find(entry)
    except TargetError as exc:
        return TrialResult((), str(exc), "", "")
    if locator is None:
        return TrialResult((), "no Flask application found (no Flask(...) object or app factory)", "", "")
    job: dict[str, Json] = {
        "runner": "flask",
        "app": {
            "path_entry": locator.path_entry,
            "module": locator.module,
            "attribute": locator.attribute,
            "factory": locator.factory,
        },
        "items": [{"id": ITEM, "requests": [step.request.to_json(canary) for step in steps]}],
    }
    run = sandbox.run(root, job, limits or Limits())
    value = payload if payload is not None else canary
    attempts = tuple((Payload(canary, value, step.label), step.request) for step in steps)
    seen = tuple(observations(run, ITEM, attempts))
    failure = None
    if run.error is not None:
        failure = f"{run.error.kind.value}: {run.error.message}"
    elif not any(message.get("type") == "ready" for message in run.messages):
        failure = f"the application {locator.describe()} did not start"
    return TrialResult(seen, failure, locator.describe(), run.log)


def describe(observation: Observation, limit: int = 600) -> str:
    """What one request got back, short enough to show the model."""
    label = observation.payload.label
    if observation.response is None:
        return f"{label}: the application raised {observation.error}"
    response = observation.response
    body = response.body if len(response.body) <= limit else response.body[:limit] + "…"
    return f"{label}: HTTP {response.status} {response.content_type}\n{body}"
