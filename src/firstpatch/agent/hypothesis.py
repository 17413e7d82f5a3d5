"""Hypotheses: what the model claims, the input it proposes, and what the sandbox made of it.

A hypothesis is never a finding by itself. It becomes one only when its test, run in the prove
sandbox, is judged confirmed by an oracle; otherwise it is kept as a `Hypothesis` record with
firstpatch's reason (shown with `--show-hypotheses`). Two kinds of test exist:

* `SinkTest`: requests that carry a canary to a sink; the prove oracle of the CWE judges.
* `AccessTest`: an owner plants a canary, and another principal reads it back through a route
  although a control route withholds it from them (see `access.py`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from firstpatch.agent.inputs import RequestSpec
from firstpatch.model import EntryPoint, Fingerprint, ProofStatus


class Weakness(enum.StrEnum):
    INJECTION = "injection"  # a sink the prove oracles know (CWE-22, 78, 79, 89, 94, 502)
    UNSAFE_UPLOAD = "unsafe-upload"
    MISSING_AUTHORIZATION = "missing-authorization"
    IDOR = "idor"
    AUTHENTICATION_BYPASS = "authentication-bypass"
    LOGIC_FLAW = "logic-flaw"


ACCESS_WEAKNESSES = frozenset(
    {Weakness.MISSING_AUTHORIZATION, Weakness.IDOR, Weakness.AUTHENTICATION_BYPASS, Weakness.LOGIC_FLAW}
)
SINK_WEAKNESSES = frozenset({Weakness.INJECTION, Weakness.UNSAFE_UPLOAD, Weakness.LOGIC_FLAW})


@dataclass(frozen=True, slots=True)
class Principal:
    """Whose request it is: credentials added to each of that principal's requests."""

    name: str
    headers: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()

    def values(self) -> tuple[str, ...]:
        return tuple(value for _, value in (*self.headers, *self.query) if value)

    def to_json(self) -> dict[str, Any]:
        return {"headers": dict(self.headers), "query": dict(self.query)}


@dataclass(frozen=True, slots=True)
class SinkTest:
    cwe: int  # the oracle that judges
    requests: tuple[RequestSpec, ...]

    def to_json(self) -> dict[str, Any]:
        return {"oracle_cwe": self.cwe, "requests": [r.to_json() for r in self.requests]}


@dataclass(frozen=True, slots=True)
class AccessTest:
    owner: Principal
    other: Principal
    setup: tuple[RequestSpec, ...]  # plants the canary (as the owner, or anyone)
    control: RequestSpec  # shows the owner the canary and withholds it from the other principal
    probe: RequestSpec  # hands the other principal the canary

    def to_json(self) -> dict[str, Any]:
        return {
            "owner": self.owner.to_json(),
            "other": self.other.to_json(),
            "setup": [r.to_json() for r in self.setup],
            "control": self.control.to_json(),
            "probe": self.probe.to_json(),
        }


Test = SinkTest | AccessTest


@dataclass(frozen=True, slots=True)
class Verdict:
    status: ProofStatus
    reason: str
    oracle: str = ""
    detail: str = ""  # the oracle event's detail when confirmed
    requests: tuple[str, ...] = ()  # curl commands of what was sent, in order
    log: str = ""
    seen: str = ""  # what the application answered, for the model


@dataclass(frozen=True, slots=True)
class Hypothesis:
    id: str
    task: str
    weakness: Weakness
    cwe: int
    claim: str  # the model's words: untrusted, shown as data
    entry_point: EntryPoint
    test: Test
    verdict: Verdict
    attempts: int = 1
    finding: Fingerprint | None = None  # the finding it became, when confirmed

    @property
    def status(self) -> ProofStatus:
        return self.verdict.status

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "task": self.task,
            "weakness": self.weakness.value,
            "cwe": self.cwe,
            "claim": self.claim,
            "entry_point": {
                "function": self.entry_point.function,
                "route": self.entry_point.route,
                "path": self.entry_point.location.path,
                "line": self.entry_point.location.line,
            },
            "test": self.test.to_json(),
            "status": self.verdict.status.value,
            "reason": self.verdict.reason,
            "requests": list(self.verdict.requests),
            "attempts": self.attempts,
            "finding": self.finding,
        }
