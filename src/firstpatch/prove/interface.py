"""The prove seam: drivers that run a target in the sandbox and oracles that watch its sinks.

A driver turns findings into requests, runs them in the sandbox and hands what the sandbox saw
(`Observation`s) to the oracle of the finding's CWE. Oracles are pure functions of observations:
they run on the trusted side, after the untrusted child has exited, and only they confirm.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from firstpatch.errors import ExitCode, FirstpatchError
from firstpatch.model import Evidence, Finding, Fingerprint, Location, OracleEvent
from firstpatch.prove._protocol import Json


class ProveError(FirstpatchError):
    """The prover itself failed (not the target: a target that crashes is evidence)."""


class EnvironmentUnavailable(ProveError):
    """The target's own environment cannot be had: the interpreter given does not run (or is
    older than 3.11), or the target's requirements do not install. An input error (exit 2)."""

    exit_code = ExitCode.USAGE


class Driver(ABC):
    """Starts one kind of entry point in the sandbox and delivers inputs to it."""

    framework: str

    @abstractmethod
    def prove(self, root: Path, findings: Sequence[Finding]) -> Mapping[Fingerprint, Evidence]:
        """Evidence for each finding whose entry point is of this driver's framework.

        `root` is the target's tree; the driver works on a temporary copy of it and leaves
        `root` untouched.
        """


@dataclass(frozen=True, slots=True)
class Payload:
    """One input to deliver; `canary` is unique to it so its effects can be told apart."""

    canary: str
    value: str | bytes
    label: str  # a short name for reports, e.g. "semicolon"
    content_type: str = "text/plain; charset=utf-8"
    expect: str | None = None  # text only an evaluated payload produces (template arithmetic)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit event the sandbox recorded, with JSON-safe arguments."""

    event: str
    args: tuple[Json, ...]
    refused: bool = False


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    content_type: str
    body: str  # decoded as UTF-8 with replacement, truncated by the child
    headers: tuple[tuple[str, str], ...] = ()  # in the order sent; Set-Cookie may repeat

    def header(self, name: str) -> list[str]:
        """Every value of the header `name` (case-insensitive)."""
        return [value for key, value in self.headers if key.lower() == name.lower()]


@dataclass(frozen=True, slots=True)
class Observation:
    """What happened while the target handled one payload."""

    payload: Payload
    records: tuple[AuditRecord, ...]
    response: Response | None  # None when the target raised instead of answering
    error: str | None  # the exception the target raised, as "Type: message"
    root: str  # the sandbox copy of the target, as the child saw it (real path)
    sink: Location | None = None  # where the finding says the sink is (for call-site oracles)
    steps: tuple[Location, ...] = ()  # where its trace passes before that (a generator's call)


class Oracle(ABC):
    """Decides from what a sink received whether one CWE's payload took effect."""

    cwe: int
    name: str
    # Audit events the reproducer script should print when they mention the canary;
    # "response" means the oracle reads the HTTP response instead.
    watched: frozenset[str]

    @abstractmethod
    def judge(self, observation: Observation) -> OracleEvent | None:
        """The event that proves the payload reached its sink unneutralised, if any."""
