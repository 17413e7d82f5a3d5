"""The frozen value types that every stage passes on.

Stages never mutate a finding: a later stage returns a copy with its part filled in
(`dataclasses.replace(finding, evidence=...)`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import NewType

AdvisoryId = NewType("AdvisoryId", str)
Fingerprint = NewType("Fingerprint", str)
RuleId = NewType("RuleId", str)
RunId = NewType("RunId", str)


class Ecosystem(enum.StrEnum):
    """OSV ecosystem names, spelled as the OSV schema spells them."""

    PYPI = "PyPI"
    NPM = "npm"
    GO = "Go"
    CRATES_IO = "crates.io"
    RUBYGEMS = "RubyGems"
    PACKAGIST = "Packagist"
    MAVEN = "Maven"
    NUGET = "NuGet"
    DEBIAN = "Debian"
    UBUNTU = "Ubuntu"
    ALPINE = "Alpine"
    RED_HAT = "Red Hat"
    ROCKY_LINUX = "Rocky Linux"
    ALMALINUX = "AlmaLinux"


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"

    @property
    def rank(self) -> int:
        """Higher is worse; used by `--fail-on` and sorting."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.NONE: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class Confidence(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class FindingKind(enum.StrEnum):
    DEPENDENCY = "dependency"
    CODE = "code"


class ProofStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not-confirmed"
    UNTESTABLE = "untestable"


class PatchStatus(enum.StrEnum):
    VERIFIED = "verified"
    UNVERIFIED = "unverified"


class InputKind(enum.StrEnum):
    """Where untrusted input enters an entry point."""

    QUERY = "query"
    FORM = "form"
    JSON = "json"
    BODY = "body"
    COOKIE = "cookie"
    HEADER = "header"
    PATH = "path"
    FILE = "file"
    ARGV = "argv"
    ENV = "env"
    STDIN = "stdin"
    STORED = "stored"  # read back from a file or a socket: lower confidence


class StepKind(enum.StrEnum):
    SOURCE = "source"
    PROPAGATION = "propagation"
    CALL = "call"
    RETURN = "return"
    SINK = "sink"


@dataclass(frozen=True, slots=True)
class Location:
    """A place in the target, path relative to the target root with `/` separators.

    Lines and columns are 1-based; `line` 0 means the format has no lines.
    """

    path: str
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    snippet: str = ""


@dataclass(frozen=True, slots=True)
class Component:
    purl: str
    name: str
    version: str | None
    ecosystem: Ecosystem
    locations: tuple[Location, ...] = ()
    direct: bool = True
    dev: bool = False


@dataclass(frozen=True, slots=True)
class RangeEvent:
    """One OSV range event: `kind` is introduced, fixed, last_affected or limit."""

    kind: str
    version: str


@dataclass(frozen=True, slots=True)
class AffectedRange:
    type: str  # ECOSYSTEM, SEMVER or GIT
    events: tuple[RangeEvent, ...]


@dataclass(frozen=True, slots=True)
class Affected:
    ecosystem: str
    name: str
    ranges: tuple[AffectedRange, ...] = ()
    versions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SeverityVector:
    type: str  # CVSS_V3, CVSS_V4, ...
    score: str


@dataclass(frozen=True, slots=True)
class Advisory:
    id: AdvisoryId
    summary: str
    details: str = ""
    aliases: tuple[str, ...] = ()
    affected: tuple[Affected, ...] = ()
    severity: tuple[SeverityVector, ...] = ()
    references: tuple[str, ...] = ()
    published: datetime | None = None
    modified: datetime | None = None
    withdrawn: datetime | None = None


@dataclass(frozen=True, slots=True)
class Exploitation:
    """Evidence that attackers use a vulnerability: CISA KEV membership and the FIRST EPSS score."""

    in_kev: bool = False
    kev_ransomware: bool = False
    kev_due_date: str | None = None
    epss: float | None = None  # probability of exploitation in the next 30 days
    epss_percentile: float | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One hop of a source→sink trace."""

    kind: StepKind
    location: Location
    description: str


@dataclass(frozen=True, slots=True)
class EntryPoint:
    """How outside input reaches the finding: enough for the prove stage to drive it."""

    framework: str  # "flask"
    function: str  # qualified name of the handler, e.g. "app.ping"
    location: Location  # the handler's definition
    route: str = ""  # URL rule as declared, e.g. "/notes/<int:id>"
    methods: tuple[str, ...] = ("GET",)
    input_kind: InputKind | None = None
    parameter: str | None = None  # the query/form/header/... name, when known


@dataclass(frozen=True, slots=True)
class OracleEvent:
    """What an oracle saw at the sink while the reproducer ran."""

    oracle: str  # e.g. "audit:os.system", "sql-structure", "html-unescaped"
    detail: str


@dataclass(frozen=True, slots=True)
class Evidence:
    status: ProofStatus
    reason: str  # why this status: the event, what was tried, or why it could not be tested
    event: OracleEvent | None = None
    reproducer: str | None = None  # a standalone Python script
    request: str | None = None  # the equivalent HTTP request, as a curl command
    log: str = ""


@dataclass(frozen=True, slots=True)
class Check:
    name: str  # "reproducer", "rescan", "tests"
    passed: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Patch:
    diff: str  # unified diff, paths relative to the target root
    files: tuple[str, ...]
    status: PatchStatus
    description: str
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    kind: FindingKind
    rule_id: RuleId
    title: str
    severity: Severity
    confidence: Confidence
    location: Location
    fingerprint: Fingerprint
    cwe: int | None = None
    message: str = ""
    trace: tuple[Step, ...] = ()
    entry_point: EntryPoint | None = None
    # dependency findings
    component: Component | None = None
    advisory_ids: tuple[AdvisoryId, ...] = ()
    aliases: tuple[str, ...] = ()
    fix_version: str | None = None
    cvss_score: float | None = None
    cvss_vector: str | None = None
    exploitation: Exploitation | None = None
    reachable: bool | None = None  # does the project's own code use the affected module; None: unknown
    # later stages
    risk: float = 0.0
    risk_reasons: tuple[str, ...] = ()  # how `risk` was reached, in words every report repeats
    evidence: Evidence | None = None
    patch: Patch | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input the scan could not use, and why; the scan went on without it."""

    path: str
    reason: str
    line: int = 0


@dataclass(frozen=True, slots=True)
class Run:
    id: RunId
    target: str
    started: datetime
    finished: datetime
    tool_version: str
    findings: tuple[Finding, ...] = ()
    components: tuple[Component, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    stages: tuple[str, ...] = field(default=())  # stages that ran, in order
