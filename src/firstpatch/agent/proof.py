"""Judge a hypothesis's test in the sandbox: the only place a model's claim can become a finding.

Sink tests are judged by the prove stage's oracle for the CWE, exactly as its own payloads are.
Access tests are judged by an enforcement-consistency oracle, in the spirit of differential
authorisation testers: one application instance receives, in order,

  1. the setup requests (the owner plants a value holding the canary),
  2. the control request with the owner's credentials: it must show the canary, so the control
     really reaches the owner's data,
  3. the same control request with the other principal's credentials: it must not show it, so
     the application itself withholds this data from that principal,
  4. the probe request with the other principal's credentials: if it shows the canary, the
     application hands over, on one route, data it protects on another.

The model chooses the requests and the credentials, but not the canary, and the other principal
may carry neither the canary nor any of the owner's credential values.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from firstpatch.agent.hypothesis import AccessTest, Principal, SinkTest, Test, Verdict
from firstpatch.agent.inputs import CANARY, Built, RequestSpec, build
from firstpatch.agent.redact import Redactor
from firstpatch.agent.trial import Step, TrialResult, describe, run_steps
from firstpatch.agent.workspace import Refused
from firstpatch.model import EntryPoint, ProofStatus
from firstpatch.prove import ORACLES, Limits, Observation, new_canary

ACCESS_ORACLE = "access-inconsistency"
MIN_CREDENTIAL = 4  # shorter credential values (ids, flags) may legitimately recur


def check(test: Test) -> None:
    """Refuse a test that could not prove anything, before the sandbox is started."""
    match test:
        case SinkTest(cwe, requests):
            if cwe not in ORACLES:
                known = ", ".join(f"CWE-{c}" for c in sorted(ORACLES))
                raise Refused(f"no oracle for CWE-{cwe}; sink tests are judged for {known}")
            if not any(request.mentions(CANARY) for request in requests):
                raise Refused("no request carries {canary}: the oracle needs it to see the input arrive")
        case AccessTest(owner, other, setup, control, probe):
            if not any(request.mentions(CANARY) for request in setup):
                raise Refused("no setup request plants {canary}: the owner's data must carry it")
            if control.mentions(CANARY) or probe.mentions(CANARY):
                raise Refused("control and probe may not carry {canary}: it must come from the application")
            if set(owner.values()) == set(other.values()):
                raise Refused("owner and other principal have the same credentials")
            leaked = _shared_credential(owner, other, (control, probe))
            if leaked:
                raise Refused(f"the other principal's requests carry the owner's credential {leaked!r}")


def evaluate(
    test: Test, entry: EntryPoint, root: Path, redactor: Redactor, limits: Limits | None = None
) -> Verdict:
    check(test)
    canary = new_canary()
    match test:
        case SinkTest():
            return _sink(test, entry, root, canary, redactor, limits)
        case AccessTest():
            return _access(test, entry, root, canary, redactor, limits)


def _sink(
    test: SinkTest, entry: EntryPoint, root: Path, canary: str, redactor: Redactor, limits: Limits | None
) -> Verdict:
    built = [build(spec, canary, redactor.restore) for spec in test.requests]
    payloads = {b.payload for b in built if b.payload is not None}
    if len(payloads) > 1:
        raise Refused("the canary sits in values that differ between requests; use one value")
    steps = [Step(f"request {n}", b.request) for n, b in enumerate(built, 1)]
    result = run_steps(root, entry, steps, canary, next(iter(payloads)), limits)
    oracle = ORACLES[test.cwe]
    curls = tuple(step.request.curl() for step in steps)
    seen = _seen(result)
    for observation in result.observations:
        event = oracle.judge(observation)
        if event is not None:
            reason = f"{event.detail} ({observation.payload.label})"
            return Verdict(ProofStatus.CONFIRMED, reason, event.oracle, event.detail, curls, result.log, seen)
    if not result.observations:
        return Verdict(
            ProofStatus.UNTESTABLE, result.failure or "nothing ran", oracle.name, "", curls, result.log, seen
        )
    reason = f"no {oracle.name} event after {len(result.observations)} request(s)"
    if result.failure:
        reason += f"; then {result.failure}"
    return Verdict(ProofStatus.NOT_CONFIRMED, reason, oracle.name, "", curls, result.log, seen)


def _access(
    test: AccessTest, entry: EntryPoint, root: Path, canary: str, redactor: Redactor, limits: Limits | None
) -> Verdict:
    principals = {
        "owner": test.owner,
        "other": test.other,
        test.owner.name: test.owner,
        test.other.name: test.other,
    }

    def as_(spec: RequestSpec, who: Principal | None) -> Built:
        return build(spec, canary, redactor.restore, who.headers if who else (), who.query if who else ())

    steps = [
        Step(f"setup {n}", as_(spec, principals.get(spec.principal)).request)
        for n, spec in enumerate(test.setup, 1)
    ]
    steps += [
        Step("control as owner", as_(test.control, test.owner).request),
        Step(f"control as {test.other.name}", as_(test.control, test.other).request),
        Step(f"probe as {test.other.name}", as_(test.probe, test.other).request),
    ]
    result = run_steps(root, entry, steps, canary, None, limits)
    curls = tuple(step.request.curl() for step in steps)
    seen = _seen(result)

    def verdict(status: ProofStatus, reason: str, detail: str = "") -> Verdict:
        return Verdict(status, reason, ACCESS_ORACLE, detail, curls, result.log, seen)

    observed = list(result.observations)
    if len(observed) < len(steps):
        missing = steps[len(observed)].label
        return verdict(
            ProofStatus.UNTESTABLE, f"the run stopped before {missing}: {result.failure or 'no answer'}"
        )
    setup, (control_owner, control_other, probe) = observed[: len(test.setup)], observed[len(test.setup) :]
    for observation in setup:
        if observation.response is None or observation.response.status >= 400:
            return verdict(ProofStatus.UNTESTABLE, f"{_outcome(observation)}: the canary was not planted")
    if not _shows(control_owner, canary):
        return verdict(
            ProofStatus.UNTESTABLE,
            f"{_outcome(control_owner)} without the planted data: "
            "the control does not reach the owner's data",
        )
    if _shows(control_other, canary):
        return verdict(
            ProofStatus.NOT_CONFIRMED,
            f"{_outcome(control_other)} shows the data to {test.other.name} too: nothing withholds it",
        )
    if not _shows(probe, canary):
        return verdict(ProofStatus.NOT_CONFIRMED, f"{_outcome(probe)} did not return the owner's data")
    detail = (
        f"the owner's data is withheld from {test.other.name} by {test.control.summary()} "
        f"({_outcome(control_other)}) but returned by {test.probe.summary()} ({_outcome(probe)})"
    )
    return verdict(ProofStatus.CONFIRMED, detail, detail)


def _shows(observation: Observation, canary: str) -> bool:
    return observation.response is not None and canary in observation.response.body


def _outcome(observation: Observation) -> str:
    label = observation.payload.label
    if observation.response is None:
        return f"{label} raised {observation.error}"
    return f"{label} answered HTTP {observation.response.status}"


def _seen(result: TrialResult) -> str:
    lines = [describe(observation) for observation in result.observations]
    if result.failure:
        lines.append(f"stopped: {result.failure}")
    return "\n".join(lines)


def _shared_credential(owner: Principal, other: Principal, requests: Sequence[RequestSpec]) -> str | None:
    carried = [*other.values(), *(leaf for request in requests for leaf in request.leaves())]
    for value in owner.values():
        if len(value) >= MIN_CREDENTIAL and any(value in leaf for leaf in carried):
            return value
        # "Bearer alice" and "alice" are the same credential: compare the last word too.
        word = value.split()[-1] if value.split() else ""
        if len(word) >= MIN_CREDENTIAL and any(word in leaf for leaf in carried):
            return word
    return None
