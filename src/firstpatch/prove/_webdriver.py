"""What the web drivers share: plan requests per finding, run them in one warm application per
sandbox child, follow a handler to its real route, and judge on the trusted side.

Per target, the application is located statically, then started once in a sandbox child that
replays every finding's requests (a warm app). If a request hangs or kills the child, that
finding becomes untestable and the remaining ones run in a fresh child. When the analysis named a
route the application does not serve under that rule (a blueprint prefix, an included URL conf, a
Tornado handler whose rule it could not read), the application's own route table, which the child
reports, is searched for the finding's handler and the finding is planned again on that rule.
"""

from __future__ import annotations

import dataclasses
import re
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from firstpatch.errors import TargetError
from firstpatch.model import EntryPoint, Evidence, Finding, Fingerprint, Location, ProofStatus
from firstpatch.prove import sandbox
from firstpatch.prove._applocate import AppFinder, AppLocator
from firstpatch.prove._hints import Hints, read_hints
from firstpatch.prove._http import build_request, deliverable
from firstpatch.prove._observe import observations, refusals, render_log
from firstpatch.prove._protocol import Json
from firstpatch.prove.interface import Driver, Observation, Oracle, Payload
from firstpatch.prove.oracles import NO_DYNAMIC_ORACLE, ORACLES, MissingCookieFlagOracle
from firstpatch.prove.oracles.cookie import cookies_set
from firstpatch.prove.payloads import Canaries, new_canary, payloads_for
from firstpatch.prove.reproducer import reproducer_script


class Deliverable(Protocol):
    """One prepared input: an HTTP request, or a program's argv/environment/stdin."""

    def to_json(self, canary: str) -> dict[str, Json]: ...

    def curl(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Plan:
    """One finding and the requests that will try to prove it, in order."""

    id: str
    finding: Finding
    oracle: Oracle
    attempts: tuple[tuple[Payload, Deliverable], ...]
    hints: Hints
    rerouted: bool = False

    def to_json(self) -> dict[str, Json]:
        return {"id": self.id, "requests": [request.to_json(p.canary) for p, request in self.attempts]}


def untestable(reason: str, log: str = "") -> Evidence:
    return Evidence(ProofStatus.UNTESTABLE, reason, log=log)


def oracle_for(finding: Finding) -> Oracle | str:
    """The oracle of the finding's CWE, or why there is none."""
    cwe = finding.cwe or 0
    oracle = ORACLES.get(cwe)
    if oracle is not None:
        return oracle
    return (
        f"no dynamic oracle for CWE-{cwe}: {NO_DYNAMIC_ORACLE[cwe]}"
        if cwe in NO_DYNAMIC_ORACLE
        else (f"no oracle for CWE-{cwe}")
    )


class WebDriver(Driver):
    """A driver for one web framework; subclasses say how its application is found and run."""

    framework: str
    runner: str  # the child runner that serves this framework
    label: str  # the framework's name in messages

    def __init__(
        self,
        limits: sandbox.Limits | None = None,
        canaries: Canaries = new_canary,
        python: str | None = None,
    ) -> None:
        self.limits = limits or sandbox.Limits()
        self._canaries = canaries
        self.python = python  # an interpreter with the target's dependencies (--install-deps)
        self._finders: dict[tuple[Path, str], AppFinder] = {}

    @abstractmethod
    def locate(self, root: Path, entry: EntryPoint) -> AppLocator | str:
        """How to build the application that serves `entry`, or why none was found."""

    def finder(self, root: Path, kind: str) -> AppFinder:
        key = (root, kind)
        if key not in self._finders:
            self._finders[key] = AppFinder(root, kind)
        return self._finders[key]

    def job_app(self, locator: AppLocator) -> dict[str, Json]:
        return locator.to_json()

    def plan(
        self, root: Path, index: int, finding: Finding, oracle: Oracle, route: str | None = None
    ) -> Plan:
        entry = finding.entry_point
        assert entry is not None  # noqa: S101 - callers filter findings without one
        if route is not None:
            entry = dataclasses.replace(entry, route=route)
            finding = dataclasses.replace(finding, entry_point=entry)
        hints = read_hints(root, finding)
        attempts = tuple(
            (payload, build_request(entry, payload, hints))
            for payload in payloads_for(oracle.cwe, self._canaries)
            if deliverable(entry, hints, payload)
        )
        return Plan(f"f{index}", finding, oracle, attempts, hints, rerouted=route is not None)

    def prove(self, root: Path, findings: Sequence[Finding]) -> dict[Fingerprint, Evidence]:
        results: dict[Fingerprint, Evidence] = {}
        groups: dict[AppLocator, list[Plan]] = {}
        for index, finding in enumerate(findings):
            entry = finding.entry_point
            oracle = oracle_for(finding)
            if entry is None:
                results[finding.fingerprint] = untestable("the finding has no entry point")
            elif entry.framework != self.framework:
                results[finding.fingerprint] = untestable(
                    f"not a {self.label} entry point ({entry.framework})"
                )
            elif isinstance(oracle, str):
                results[finding.fingerprint] = untestable(oracle)
            else:
                try:
                    located = self.locate(root, entry)
                except TargetError as exc:
                    located = str(exc)
                if isinstance(located, str):
                    results[finding.fingerprint] = untestable(located)
                else:
                    groups.setdefault(located, []).append(self.plan(root, index, finding, oracle))
        for locator, plans in groups.items():
            results.update(self._prove_app(root, locator, plans))
        return results

    def _prove_app(self, root: Path, locator: AppLocator, plans: list[Plan]) -> dict[Fingerprint, Evidence]:
        results: dict[Fingerprint, Evidence] = {}
        pending = plans
        while pending:
            job: dict[str, Json] = {
                "runner": self.runner,
                "app": self.job_app(locator),
                "items": [plan.to_json() for plan in pending],
            }
            run = sandbox.run(root, job, self.limits, python=self.python)
            ready = next((m for m in run.messages if m.get("type") == "ready"), None)
            if ready is None:
                why = _start_failure(run, locator)
                results.update({plan.finding.fingerprint: untestable(why, run.log) for plan in pending})
                break
            handlers = _handlers(ready)
            ends = {str(m.get("item")): m.get("seconds") for m in run.messages if m.get("type") == "end"}
            finished = set(ends)
            share = run.seconds / max(1, len(finished) + (run.error is not None))
            base_note = f"sandbox: {run.isolation}; about {share:.2f} s per finding with start-up"
            again: list[Plan] = []
            for plan in pending:
                entry = plan.finding.entry_point
                if entry is not None and handlers is not None and not _serves(handlers, entry):
                    rule = None if plan.rerouted else _rule_of_handler(handlers, entry)
                    if rule is not None:
                        again.append(self.plan(root, int(plan.id[1:]), plan.finding, plan.oracle, route=rule))
                        continue
                    results[plan.finding.fingerprint] = untestable(
                        f"route {entry.route} is not registered by {locator.describe()}"
                        if entry.route
                        else f"no route, and {locator.describe()} routes no {entry.function}"
                    )
                elif plan.id in finished:
                    seen = observations(run, plan.id, plan.attempts, *_where(plan.finding))
                    warm = ends.get(plan.id)
                    note = base_note + (
                        f"; {warm:.4f} s on the warm application" if isinstance(warm, float) else ""
                    )
                    results[plan.finding.fingerprint] = self._judge(root, locator, plan, seen, note)
            error = run.error
            failed = next((plan for plan in pending if error is not None and plan.id == error.item), None)
            if error is not None and failed is not None:
                # A payload sent before the failure may already have confirmed the finding.
                seen = observations(run, failed.id, failed.attempts, *_where(failed.finding))
                partial = self._judge(root, locator, failed, seen, base_note) if seen else None
                route = failed.finding.entry_point.route if failed.finding.entry_point else "?"
                results[failed.finding.fingerprint] = (
                    partial
                    if partial is not None and partial.status is ProofStatus.CONFIRMED
                    else untestable(f"{error.kind.value}: {error.message} (while handling {route})", run.log)
                )
            rerouted = {plan.finding.fingerprint for plan in again}
            pending = [
                p
                for p in pending
                if p.finding.fingerprint not in results and p.finding.fingerprint not in rerouted
            ]
            if pending and (error is None or failed is None):
                # Nothing identifiable went wrong, so a retry would fail the same way.
                why = f"{error.kind.value}: {error.message}" if error else "the sandbox stopped early"
                results.update({plan.finding.fingerprint: untestable(why, run.log) for plan in pending})
                pending = []
            pending += again
        return results

    def _judge(
        self, root: Path, locator: AppLocator, plan: Plan, seen: list[Observation], note: str
    ) -> Evidence:
        if not plan.attempts:
            where = (plan.hints.name_kind or "input").lower()
            return untestable(
                f"the input is the name of a {where}, which HTTP restricts to token characters:"
                f" no CWE-{plan.oracle.cwe} payload can be sent there"
            )
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
                    reproducer=reproducer_script(
                        root,
                        plan.finding,
                        self.runner,
                        self.job_app(locator),
                        request,
                        payload,
                        plan.oracle,
                        cookies_set(observation) if isinstance(plan.oracle, MissingCookieFlagOracle) else (),
                        self.python,
                    ),
                    request=request.curl(),
                    log=log,
                )
        memory = [o for o in seen if o.error == "MemoryError"]
        if memory and len(memory) == len(seen):
            return untestable("memory: the target exceeded the sandbox's memory limit on every payload", log)
        missing = {_MISSING.match(o.error or "") for o in seen}
        if seen and None not in missing:
            names = sorted({m.group(1) for m in missing if m is not None})
            return untestable(f"missing module {', '.join(names)} (imported while handling the input)", log)
        if seen and all((o.error or "").startswith("SyntaxError") for o in seen):
            return untestable(f"the target's code does not compile: {seen[0].error}{_NEWER}", log)
        tried = ", ".join(f"{p.label} {_show(p)}" for p, _ in plan.attempts)
        reason = f"no {plan.oracle.name} event after {len(seen)} payloads: {tried}"
        refused = refusals(seen)
        if refused:
            reason += f"; the sandbox refused: {refused}"
        return Evidence(ProofStatus.NOT_CONFIRMED, reason, log=log)


def _where(finding: Finding) -> tuple[Location, tuple[Location, ...]]:
    """The finding's sink, and the other places its trace names (call-site oracles read both)."""
    return finding.location, tuple(step.location for step in finding.trace)


_NEWER = " (code for a newer Python? --target-python, or --install-deps, which picks the Python it needs)"
_MISSING = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")


def _handlers(ready: dict[str, Json]) -> list[dict[str, Json]] | None:
    value = ready.get("handlers")
    if not isinstance(value, list):
        return None
    return [item for item in value if isinstance(item, dict)]


def _serves(handlers: list[dict[str, Json]], entry: EntryPoint) -> bool:
    return bool(entry.route) and any(_same_rule(str(h.get("rule")), entry.route) for h in handlers)


def _same_rule(served: str, declared: str) -> bool:
    # Django routes are declared without their leading slash; regex rules may carry anchors.
    def norm(rule: str) -> str:
        return rule.strip().removeprefix("^").removesuffix("$").lstrip("/")

    return norm(served) == norm(declared)


def _rule_of_handler(handlers: list[dict[str, Json]], entry: EntryPoint) -> str | None:
    """The rule under which the application serves the finding's handler function."""
    wanted = entry.function.replace(".<module>", "")
    candidates = {wanted}
    # Methods of handler classes (Tornado, class-based views) are routed by their class.
    if "." in wanted:
        candidates.add(wanted.rsplit(".", 1)[0])
    for handler in handlers:
        name = str(handler.get("handler", ""))
        if not name:
            continue
        for candidate in candidates:
            if name == candidate or candidate.endswith("." + name) or name.endswith("." + candidate):
                return str(handler.get("rule"))
    return None


def _start_failure(run: sandbox.SandboxResult, locator: AppLocator) -> str:
    error = run.error
    if error is None:
        return f"the application {locator.describe()} did not start"
    if error.kind is sandbox.Failure.IMPORT and error.module:
        return f"missing module {error.module} (importing {locator.describe()})"
    if error.kind is sandbox.Failure.START:
        newer = _NEWER if error.message.startswith("SyntaxError") else ""
        return f"the application does not start: {locator.describe()} raised {error.message}{newer}"
    return f"{error.kind.value} while starting {locator.describe()}: {error.message}"


def _show(payload: Payload) -> str:
    value = payload.value if isinstance(payload.value, str) else payload.value.decode("latin-1")
    return repr(value if len(value) <= 60 else value[:60] + "…")


class AppObjectDriver(WebDriver):
    """Frameworks whose application is an object built in a module or returned by a factory."""

    kinds: tuple[str, ...]  # `_applocate.KINDS` to look for, in order
    missing: str  # why nothing was found, for the finding's evidence

    def locate(self, root: Path, entry: EntryPoint) -> AppLocator | str:
        for kind in self.kinds:
            locator = self.finder(root, kind).find(entry)
            if locator is not None:
                return locator
        return self.missing
