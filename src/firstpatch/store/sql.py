"""`SqlStore`: the store on any SQLAlchemy database that firstpatch tests (SQLite, PostgreSQL).

A finding is one row per (project, fingerprint) holding its current state; each run keeps every
finding as *it* saw it, so that `load_run` gives back exactly the run that was saved, and every
status change is an appended event. The work is in `tracking` (saving), `triage` (decisions),
`queries` and `overview` (reading); this class opens transactions around them and retries a
write that lost a race with another writer.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from firstpatch.model import Fingerprint, Run, RunId
from firstpatch.store import lifecycle, overview, queries
from firstpatch.store.engine import WRITES, open_engine, parse_url, retrying, shown, translated
from firstpatch.store.interface import (
    FindingStatus,
    LifecycleEvent,
    NotFoundError,
    Overview,
    ProjectSummary,
    RunDiff,
    RunSummary,
    Store,
    StoreError,
    TrackedFinding,
)
from firstpatch.store.migrate import upgrade
from firstpatch.store.policy import DEFAULT_POLICY, DeadlinePolicy
from firstpatch.store.tables import as_utc
from firstpatch.store.tracking import record_run
from firstpatch.store.triage import decide, expire_acceptances

T = TypeVar("T")


class SqlStore(Store):
    def __init__(self, url: str) -> None:
        """Open the database at `url` and migrate it to the newest schema."""
        parsed = parse_url(url)
        self._shown = shown(parsed)
        self._engine = open_engine(parsed)
        try:
            with translated(f"cannot open database {self._shown}"):
                upgrade(self._engine)
        except StoreError:
            self._engine.dispose()
            raise
        # Callers that drop the store without closing it (`open_store(url).save_run(run)`) still
        # hand its connections back to the server when it is collected.
        self._release = weakref.finalize(self, self._engine.dispose)
        self._reads = sessionmaker(self._engine, expire_on_commit=False)
        self._writes = sessionmaker(self._engine.execution_options(**{WRITES: True}), expire_on_commit=False)

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._release()

    @property
    def url(self) -> str:
        """The database URL without its password."""
        return self._shown

    def _write(self, action: str, work: Callable[[Session], T]) -> T:
        def attempt() -> T:
            with self._writes.begin() as session:
                return work(session)

        with translated(f"{action} in {self._shown}"):
            return retrying(attempt)

    def _read(self, action: str, work: Callable[[Session], T]) -> T:
        with translated(f"{action} from {self._shown}"), self._reads() as session:
            return work(session)

    # Runs

    def save_run(self, run: Run, now: datetime | None = None) -> None:
        moment = _moment(now)
        self._write(f"cannot save run {run.id}", lambda session: record_run(session, run, moment))

    def runs(self, target: str | None = None) -> Sequence[Run]:
        def work(session: Session) -> list[Run]:
            return [queries.whole_run(session, row) for row in session.scalars(queries.runs_query(target))]

        return self._read("cannot read runs", work)

    def load_run(self, run_id: RunId) -> Run:
        return self._read(f"cannot read run {run_id}", lambda session: queries.load_run(session, run_id))

    def run_summaries(self, target: str | None = None, limit: int | None = None) -> Sequence[RunSummary]:
        query = queries.runs_query(target)
        if limit is not None:
            query = query.limit(limit)
        return self._read("cannot read runs", lambda session: queries.run_summaries(session, query))

    def resolve_run(self, id_or_prefix: str) -> RunId:
        return self._read("cannot read runs", lambda session: queries.resolve_run(session, id_or_prefix))

    def diff_runs(self, base: RunId, head: RunId) -> RunDiff:
        return self._read(
            f"cannot compare runs {base} and {head}", lambda session: queries.diff_runs(session, base, head)
        )

    # Findings

    def tracked_findings(
        self,
        target: str,
        statuses: frozenset[FindingStatus] | None = None,
        policy: DeadlinePolicy | None = None,
        now: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Sequence[TrackedFinding]:
        return self._tracked(target, statuses, None, policy, now, (limit, offset))

    def tracked_finding(
        self,
        target: str,
        fingerprint: Fingerprint,
        policy: DeadlinePolicy | None = None,
        now: datetime | None = None,
    ) -> TrackedFinding:
        found = self._tracked(target, None, fingerprint, policy, now, (None, 0))
        if not found:
            raise NotFoundError(f"no finding {fingerprint} in project {target!r}")
        return found[0]

    def _tracked(
        self,
        target: str,
        statuses: frozenset[FindingStatus] | None,
        fingerprint: Fingerprint | None,
        policy: DeadlinePolicy | None,
        now: datetime | None,
        page: tuple[int | None, int],
    ) -> list[TrackedFinding]:
        moment = self._expired_before_reading(now)
        return self._read(
            "cannot read findings",
            lambda session: queries.tracked_findings(
                session,
                target,
                statuses=statuses,
                fingerprint=fingerprint,
                policy=policy or DEFAULT_POLICY,
                now=moment,
                page=page,
            ),
        )

    def events(self, target: str, fingerprint: Fingerprint) -> Sequence[LifecycleEvent]:
        return self._read(
            f"cannot read the history of {fingerprint}",
            lambda session: queries.events(session, target, fingerprint),
        )

    def locate(self, fingerprint_or_prefix: str, target: str | None = None) -> tuple[str, Fingerprint]:
        return self._read(
            "cannot look up findings", lambda session: queries.locate(session, fingerprint_or_prefix, target)
        )

    # Triage

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
        moment = _moment(now)
        return self._decide(
            target,
            fingerprint,
            lambda status: lifecycle.accept(status, reason, expires, moment.date()),
            who,
            moment,
            expires,
        )

    def mark_false_positive(
        self, target: str, fingerprint: Fingerprint, *, reason: str, who: str, now: datetime | None = None
    ) -> TrackedFinding:
        return self._decide(
            target, fingerprint, lambda status: lifecycle.false_positive(status, reason), who, _moment(now)
        )

    def reopen(
        self, target: str, fingerprint: Fingerprint, *, reason: str, who: str, now: datetime | None = None
    ) -> TrackedFinding:
        return self._decide(
            target, fingerprint, lambda status: lifecycle.reopen(status, reason), who, _moment(now)
        )

    def _decide(
        self,
        target: str,
        fingerprint: Fingerprint,
        rule: Callable[[FindingStatus], lifecycle.Transition],
        who: str,
        now: datetime,
        accepted_until: date | None = None,
    ) -> TrackedFinding:
        self._write(
            f"cannot change finding {fingerprint}",
            lambda session: decide(
                session, target, fingerprint, rule, who=who, now=now, accepted_until=accepted_until
            ),
        )
        return self.tracked_finding(target, fingerprint, now=now)

    def expire_acceptances(self, now: datetime | None = None) -> Sequence[LifecycleEvent]:
        moment = _moment(now)
        # Looked for first in a read: a write transaction would queue every dashboard read
        # behind a save in progress (SQLite locks the whole file for writing).
        due = self._read(
            "cannot read risk acceptances", lambda session: queries.acceptances_due(session, moment)
        )
        if not due:
            return []
        return self._write(
            "cannot expire risk acceptances", lambda session: expire_acceptances(session, moment)
        )

    def _expired_before_reading(self, now: datetime | None) -> datetime:
        """Reads of the lifecycle first reopen acceptances that have run out, so none shows stale."""
        moment = _moment(now)
        self.expire_acceptances(moment)
        return moment

    # Overviews

    def projects(
        self, policy: DeadlinePolicy | None = None, now: datetime | None = None
    ) -> Sequence[ProjectSummary]:
        moment = self._expired_before_reading(now)
        return self._read(
            "cannot read projects",
            lambda session: overview.project_summaries(session, policy or DEFAULT_POLICY, moment),
        )

    def overview(
        self, policy: DeadlinePolicy | None = None, now: datetime | None = None, trend_runs: int = 30
    ) -> Overview:
        moment = self._expired_before_reading(now)
        return self._read(
            "cannot read the overview",
            lambda session: overview.overview(session, policy or DEFAULT_POLICY, moment, trend_runs),
        )


def _moment(now: datetime | None) -> datetime:
    return as_utc(now) if now is not None else datetime.now(UTC)
