"""The store seam: where runs are kept and their findings' lifecycle is tracked.

StoreError              exit 2: a database that cannot be opened, read or written
├── NotFoundError       no run, project or finding by that name
├── TriageError         a status change the lifecycle does not allow
└── PolicyError         a deadline policy that cannot be read
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from firstpatch.errors import ExitCode, FirstpatchError
from firstpatch.model import Finding, Fingerprint, Run, RunId, Severity

if TYPE_CHECKING:
    from firstpatch.store.policy import DeadlinePolicy


class StoreError(FirstpatchError):
    """A database that cannot be opened, migrated or written."""

    exit_code = ExitCode.USAGE


class NotFoundError(StoreError):
    """No run, project or finding answers to the name given."""


class TriageError(StoreError):
    """A status change that the finding's current status does not allow."""


class PolicyError(StoreError):
    """A deadline policy file or option that cannot be read."""


class FindingStatus(enum.StrEnum):
    """Where a finding is in its life across the runs of one project."""

    NEW = "new"  # seen, not proved
    CONFIRMED = "confirmed"  # the sandbox proved it
    PATCHED = "patched"  # a verified patch exists; the project still has the flaw until it is applied
    FIXED = "fixed"  # gone from a later run that looked for its kind
    REOPENED = "reopened"  # seen again after it was fixed, or reopened by a person
    ACCEPTED_RISK = "accepted-risk"  # a person accepted it until a date, with a reason
    FALSE_POSITIVE = "false-positive"  # a person judged it not a vulnerability, with a reason

    @property
    def is_open(self) -> bool:
        """Open findings are the ones with a patch window and a deadline."""
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset(
    {FindingStatus.NEW, FindingStatus.CONFIRMED, FindingStatus.PATCHED, FindingStatus.REOPENED}
)


@dataclass(frozen=True, slots=True)
class LifecycleEvent:
    """One status change; events are only ever appended."""

    target: str
    fingerprint: Fingerprint
    at: datetime
    who: str
    before: FindingStatus | None  # None: the first sighting
    after: FindingStatus
    reason: str
    run: RunId | None  # the run whose result caused it; None for a person's decision


@dataclass(frozen=True, slots=True)
class PatchWindow:
    """How long an open finding has been exposed, against how long the policy allows."""

    opened_at: datetime  # first sighting, or the sighting that reopened it after a fix
    days_open: int
    days_allowed: int | None  # None: the policy sets no deadline for this severity
    due: datetime | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class TrackedFinding:
    """One finding across runs: its status, how it got there, and as it was last seen."""

    target: str
    fingerprint: Fingerprint
    status: FindingStatus
    first_seen: RunId
    first_seen_at: datetime
    last_seen: RunId
    last_seen_at: datetime
    status_at: datetime  # the newest status change: when, by whom, why
    status_by: str
    status_reason: str
    accepted_until: date | None  # the last day an accepted risk stays accepted
    window: PatchWindow | None  # open findings only
    finding: Finding


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A run without its findings: when, what ran, and counts."""

    id: RunId
    target: str
    started: datetime
    finished: datetime
    tool_version: str
    stages: tuple[str, ...]
    findings: int  # distinct fingerprints seen
    by_severity: Mapping[Severity, int]
    new: int  # first seen in this run
    fixed: int  # marked fixed because this run no longer saw them


@dataclass(frozen=True, slots=True)
class RunDiff:
    """What changed between two runs, by fingerprint."""

    base: RunSummary
    head: RunSummary
    new: tuple[Finding, ...]  # in head, not in base (as head saw them)
    fixed: tuple[Finding, ...]  # in base, not in head, and head looked for their kind (as base saw them)
    still_open: tuple[Finding, ...]  # in both (as head saw them)
    not_checked: tuple[Finding, ...]  # in base; head did not look for their kind


@dataclass(frozen=True, slots=True)
class OpenFindingAge:
    """An open finding's patch window, as the overview shows the oldest one."""

    target: str
    fingerprint: Fingerprint
    rule_id: str
    title: str
    severity: Severity
    in_kev: bool
    window: PatchWindow


@dataclass(frozen=True, slots=True)
class ProjectSummary:
    target: str
    runs: int
    last_run: RunSummary | None
    by_status: Mapping[FindingStatus, int]
    open_by_severity: Mapping[Severity, int]
    open_in_kev: int
    overdue: int
    oldest_open: OpenFindingAge | None


@dataclass(frozen=True, slots=True)
class Overview:
    """Every project at a glance, and the trend of the newest runs (oldest first)."""

    projects: tuple[ProjectSummary, ...]
    by_status: Mapping[FindingStatus, int]
    open_by_severity: Mapping[Severity, int]
    open_in_kev: int
    overdue: int
    oldest_open: OpenFindingAge | None
    trend: tuple[RunSummary, ...]


class Store(ABC):
    """Runs, and the lifecycle of their findings. Times default to now; `policy` to the defaults."""

    # Runs
    @abstractmethod
    def save_run(self, run: Run, now: datetime | None = None) -> None:
        """Keep the run, and move each of its project's findings along the lifecycle (first
        reopening the project's risk acceptances that have expired by `now`)."""

    @abstractmethod
    def runs(self, target: str | None = None) -> Sequence[Run]:
        """Runs, whole, newest first, optionally only those of one target."""

    @abstractmethod
    def load_run(self, run_id: RunId) -> Run:
        """One run, whole; `NotFoundError` when there is none with that id."""

    @abstractmethod
    def run_summaries(self, target: str | None = None, limit: int | None = None) -> Sequence[RunSummary]:
        """Runs with counts, newest first, optionally of one target and only the newest `limit`."""

    @abstractmethod
    def resolve_run(self, id_or_prefix: str) -> RunId:
        """The run whose id is, or uniquely starts with, `id_or_prefix`."""

    @abstractmethod
    def diff_runs(self, base: RunId, head: RunId) -> RunDiff:
        """New, fixed and still-open findings from `base` to `head`."""

    # Findings
    @abstractmethod
    def tracked_findings(
        self,
        target: str,
        statuses: frozenset[FindingStatus] | None = None,
        policy: DeadlinePolicy | None = None,
        now: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Sequence[TrackedFinding]:
        """A project's findings (optionally only some statuses), oldest first; `limit` and
        `offset` page through them (each finding decodes its whole findings-v1 payload)."""

    @abstractmethod
    def tracked_finding(
        self,
        target: str,
        fingerprint: Fingerprint,
        policy: DeadlinePolicy | None = None,
        now: datetime | None = None,
    ) -> TrackedFinding:
        """One finding of a project; `NotFoundError` when the project never had it."""

    @abstractmethod
    def events(self, target: str, fingerprint: Fingerprint) -> Sequence[LifecycleEvent]:
        """Every status change of one finding, in the order they were recorded."""

    @abstractmethod
    def locate(self, fingerprint_or_prefix: str, target: str | None = None) -> tuple[str, Fingerprint]:
        """The (target, fingerprint) that a whole or unique leading part of a fingerprint names."""

    # Triage: a person's decisions, each recorded as an event with who and why
    @abstractmethod
    def accept_risk(
        self,
        target: str,
        fingerprint: Fingerprint,
        *,
        reason: str,
        who: str,
        expires: date,
        now: datetime | None = None,
    ) -> TrackedFinding:
        """Accept an open finding's risk through `expires` (inclusive); it reopens the day after."""

    @abstractmethod
    def mark_false_positive(
        self, target: str, fingerprint: Fingerprint, *, reason: str, who: str, now: datetime | None = None
    ) -> TrackedFinding:
        """Record that the finding is not a vulnerability; later runs leave it so."""

    @abstractmethod
    def reopen(
        self, target: str, fingerprint: Fingerprint, *, reason: str, who: str, now: datetime | None = None
    ) -> TrackedFinding:
        """Reopen an accepted, false-positive or fixed finding."""

    @abstractmethod
    def expire_acceptances(self, now: datetime | None = None) -> Sequence[LifecycleEvent]:
        """Reopen every accepted risk whose last day has passed; the events say so."""

    # Overviews
    @abstractmethod
    def projects(
        self, policy: DeadlinePolicy | None = None, now: datetime | None = None
    ) -> Sequence[ProjectSummary]:
        """Every project with its open findings counted, by target."""

    @abstractmethod
    def overview(
        self, policy: DeadlinePolicy | None = None, now: datetime | None = None, trend_runs: int = 30
    ) -> Overview:
        """All projects at a glance, with the newest `trend_runs` runs as a trend."""

    def close(self) -> None:  # noqa: B027 - a store without resources has nothing to release
        """Release connections; the store is not used afterwards."""
