"""The Flask driver: prove code findings by sending payloads to their routes in the sandbox.

Per target, the application is located statically (`_applocate`), then started once in one
sandbox child that replays every finding's requests through `app.test_client()` (a warm app).
If a request hangs or kills the child, that finding becomes untestable and the remaining ones
run in a fresh child. The oracles judge on this side, after the child has exited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from firstpatch.errors import TargetError
from firstpatch.model import Evidence, Finding, Fingerprint, ProofStatus
from firstpatch.prove import sandbox
from firstpatch.prove._applocate import AppFinder, AppLocator
from firstpatch.prove._http import HttpRequest, build_request
from firstpatch.prove._observe import observations, refusals, render_log
from firstpatch.prove._protocol import Json
from firstpatch.prove.interface import Driver, Observation, Oracle, Payload
from firstpatch.prove.oracles import ORACLES
from firstpatch.prove.payloads import Canaries, new_canary, payloads_for
from firstpatch.prove.reproducer import reproducer_script


@dataclass(frozen=True, slots=True)
class _Plan:
    """One finding and the requests that will try to prove it, in order."""

    id: str
    finding: Finding
    oracle: Oracle
    attempts: tuple[tuple[Payload, HttpRequest], ...]

    def to_json(self) -> dict[str, Json]:
        return {"id": self.id, "requests": [request.to_json(p.canary) for p, request in self.attempts]}


class FlaskDriver(Driver):
    framework = "flask"

    def __init__(self, limits: sandbox.Limits | None = None, canaries: Canaries = new_canary) -> None:
        self.limits = limits or sandbox.Limits()
        self._canaries = canaries

    def prove(self, root: Path, findings: Sequence[Finding]) -> dict[Fingerprint, Evidence]:
        results: dict[Fingerprint, Evidence] = {}
        groups: dict[AppLocator, list[_Plan]] = {}
        finder: AppFinder | None = None
        for index, finding in enumerate(findings):
            entry = finding.entry_point
            oracle = ORACLES.get(finding.cwe or 0)
            if entry is None:
                results[finding.fingerprint] = _untestable("the finding has no entry point")
                continue
            if entry.framework != self.framework:
                results[finding.fingerprint] = _untestable(f"not a Flask entry point ({entry.framework})")
                continue
            if oracle is None:
                results[finding.fingerprint] = _untestable(f"no oracle for CWE-{finding.cwe}")
                continue
            if finder is None:
                try:
                    finder = AppFinder(root)
                except TargetError as exc:
                    results[finding.fingerprint] = _untestable(str(exc))
                    continue
            locator = finder.find(entry)
            if locator is None:
                results[finding.fingerprint] = _untestable(
                    "no Flask application found: no module-level Flask(...), no create_app-style factory"
                )
                continue
            attempts = tuple(
                (payload, build_request(entry, payload))
                for payload in payloads_for(oracle.cwe, self._canaries)
            )
            groups.setdefault(locator, []).append(_Plan(f"f{index}", finding, oracle, attempts))
        for locator, plans in groups.items():
            results.update(self._prove_app(root, locator, plans))
        return results

    def _prove_app(self, root: Path, locator: AppLocator, plans: list[_Plan]) -> dict[Fingerprint, Evidence]:
        results: dict[Fingerprint, Evidence] = {}
        pending = plans
        while pending:
            job: dict[str, Json] = {
                "runner": "flask",
                "app": {
                    "path_entry": locator.path_entry,
                    "module": locator.module,
                    "attribute": locator.attribute,
                    "factory": locator.factory,
                },
                "items": [plan.to_json() for plan in pending],
            }
            run = sandbox.run(root, job, self.limits)
            ready = next((m for m in run.messages if m.get("type") == "ready"), None)
            if ready is None:
                why = _start_failure(run, locator)
                results.update({plan.finding.fingerprint: _untestable(why, run.log) for plan in pending})
                break
            routes = ready.get("routes")
            finished = {str(m.get("item")) for m in run.messages if m.get("type") == "end"}
            share = run.seconds / max(1, len(finished) + (run.error is not None))
            note = f"sandbox: {run.isolation}; about {share:.2f} s per finding"
            for plan in pending:
                entry = plan.finding.entry_point
                if entry is not None and isinstance(routes, list) and entry.route not in routes:
                    results[plan.finding.fingerprint] = _untestable(
                        f"route {entry.route} is not registered by {locator.describe()}"
                        if entry.route
                        else "the entry point has no route"
                    )
                elif plan.id in finished:
                    seen = observations(run, plan.id, plan.attempts)
                    results[plan.finding.fingerprint] = self._judge(root, locator, plan, seen, note)
            error = run.error
            failed = next((plan for plan in pending if error is not None and plan.id == error.item), None)
            if error is not None and failed is not None:
                # A payload sent before the failure may already have confirmed the finding.
                seen = observations(run, failed.id, failed.attempts)
                partial = self._judge(root, locator, failed, seen, note) if seen else None
                route = failed.finding.entry_point.route if failed.finding.entry_point else "?"
                results[failed.finding.fingerprint] = (
                    partial
                    if partial is not None and partial.status is ProofStatus.CONFIRMED
                    else _untestable(f"{error.kind.value}: {error.message} (while handling {route})", run.log)
                )
            pending = [plan for plan in pending if plan.finding.fingerprint not in results]
            if error is None or failed is None:
                # Nothing identifiable went wrong, so a retry would fail the same way.
                why = f"{error.kind.value}: {error.message}" if error else "the sandbox stopped early"
                results.update({plan.finding.fingerprint: _untestable(why, run.log) for plan in pending})
                break
        return results

    def _judge(
        self, root: Path, locator: AppLocator, plan: _Plan, seen: list[Observation], note: str
    ) -> Evidence:
        log = render_log(seen, note)
        requests = {payload.canary: request for payload, request in plan.attempts}
        for observation in seen:
            payload, request = observation.payload, requests[observation.payload.canary]
            event = plan.oracle.judge(observation)
            if event is not None:
                return Evidence(
                    ProofStatus.CONFIRMED,
                    f"{event.detail} (payload {payload.label}: {_show(payload)})",
                    event=event,
                    reproducer=reproducer_script(root, plan.finding, locator, request, payload, plan.oracle),
                    request=request.curl(),
                    log=log,
                )
        memory = [o for o in seen if o.error == "MemoryError"]
        if memory and len(memory) == len(seen):
            return _untestable("memory: the target exceeded the sandbox's memory limit on every payload", log)
        tried = ", ".join(f"{p.label} {_show(p)}" for p, _ in plan.attempts)
        refused = refusals(seen)
        reason = f"no {plan.oracle.name} event after {len(seen)} payloads: {tried}"
        if refused:
            reason += f"; the sandbox refused: {refused}"
        return Evidence(ProofStatus.NOT_CONFIRMED, reason, log=log)


def _start_failure(run: sandbox.SandboxResult, locator: AppLocator) -> str:
    error = run.error
    if error is None:
        return f"the application {locator.describe()} did not start"
    if error.kind is sandbox.Failure.IMPORT and error.module:
        return f"missing module {error.module} (importing {locator.describe()})"
    if error.kind is sandbox.Failure.START:
        return f"the application does not start: {locator.describe()} raised {error.message}"
    return f"{error.kind.value} while starting {locator.describe()}: {error.message}"


def _untestable(reason: str, log: str = "") -> Evidence:
    return Evidence(ProofStatus.UNTESTABLE, reason, log=log)


def _show(payload: Payload) -> str:
    value = payload.value if isinstance(payload.value, str) else payload.value.decode("latin-1")
    return repr(value if len(value) <= 60 else value[:60] + "…")
