"""SqlStore on SQLite and PostgreSQL: runs round-trip, findings are tracked across runs by fingerprint."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from store_samples import APPEARS, DEPENDENCY, DISAPPEARS, MOVED, PERSISTS, RUN_1, RUN_2, T0, TARGET, day, run

from firstpatch.model import Finding, RunId, serialize
from firstpatch.store import FindingStatus, NotFoundError, SqlStore, StoreError, TrackedFinding, tracking


def _tracked(store: SqlStore, target: str = TARGET) -> dict[str, TrackedFinding]:
    return {t.fingerprint: t for t in store.tracked_findings(target, now=day(3))}


def test_a_persisting_finding_keeps_one_row_and_its_first_sighting(
    store: SqlStore, engine: sa.Engine
) -> None:
    store.save_run(RUN_1)
    store.save_run(RUN_2)
    persisting = _tracked(store)[PERSISTS.fingerprint]
    assert (persisting.first_seen, persisting.last_seen) == ("run-1", "run-2")
    assert persisting.first_seen_at == T0
    # Confirmed and patched in run-1; run-2 could not prove it again, which does not undo that.
    assert persisting.status is FindingStatus.PATCHED
    assert persisting.finding == MOVED  # the row holds the newest sighting
    findings = sa.table(
        "findings", sa.column("fingerprint"), sa.column("first_seen_run_id"), sa.column("last_seen_run_id")
    )
    query = sa.select(findings.c.first_seen_run_id, findings.c.last_seen_run_id).where(
        findings.c.fingerprint == PERSISTS.fingerprint
    )
    with engine.connect() as connection:
        assert [tuple(row) for row in connection.execute(query)] == [("run-1", "run-2")]


def test_a_finding_that_disappears_is_fixed_and_a_new_one_is_new(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.save_run(RUN_2)
    tracked = _tracked(store)
    gone = tracked[DISAPPEARS.fingerprint]
    assert gone.status is FindingStatus.FIXED
    assert (gone.first_seen, gone.last_seen) == ("run-1", "run-1")
    assert gone.window is None  # fixed findings have no patch window
    new = tracked[APPEARS.fingerprint]
    assert (new.status, new.first_seen, new.last_seen) == (FindingStatus.NEW, "run-2", "run-2")
    assert tracked[DEPENDENCY.fingerprint].status is FindingStatus.NEW
    assert set(tracked) == {
        PERSISTS.fingerprint,
        DISAPPEARS.fingerprint,
        APPEARS.fingerprint,
        DEPENDENCY.fingerprint,
    }
    # Oldest first.
    assert [t.first_seen for t in store.tracked_findings(TARGET)] == ["run-1", "run-1", "run-1", "run-2"]


def test_load_run_gives_back_each_run_as_it_was_saved(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.save_run(RUN_2)
    assert store.load_run(RunId("run-1")) == RUN_1
    assert store.load_run(RunId("run-2")) == RUN_2


def test_runs_are_newest_first_and_filtered_by_target(store: SqlStore) -> None:
    other = run("other-1", T0 + timedelta(hours=1), PERSISTS, target="/srv/checkouts/blog")
    for each in (RUN_2, other, RUN_1):
        store.save_run(each)
    assert [r.id for r in store.runs()] == ["run-2", "other-1", "run-1"]
    assert store.runs(TARGET) == [RUN_2, RUN_1]
    assert store.runs("/never/scanned") == []
    # The same fingerprint in two targets is two findings.
    assert _tracked(store, "/srv/checkouts/blog")[PERSISTS.fingerprint].first_seen == "other-1"
    assert _tracked(store)[PERSISTS.fingerprint].first_seen == "run-1"


def test_runs_saved_out_of_order_keep_first_and_last_by_start_time(store: SqlStore) -> None:
    store.save_run(RUN_2)
    store.save_run(RUN_1)
    tracked = _tracked(store)
    persisting = tracked[PERSISTS.fingerprint]
    assert (persisting.first_seen, persisting.last_seen) == ("run-1", "run-2")
    assert persisting.finding == MOVED  # the older run does not overwrite the newer sighting
    assert persisting.window is not None
    assert persisting.window.opened_at == T0  # the exposure began with the older run
    # An older run cannot close what a newer one saw...
    assert tracked[APPEARS.fingerprint].status is FindingStatus.NEW
    # ...and what only the older run saw was already gone from the newer one.
    gone = tracked[DISAPPEARS.fingerprint]
    assert (gone.status, gone.first_seen, gone.last_seen) == (FindingStatus.FIXED, "run-1", "run-1")
    assert [(e.after, e.run, e.at) for e in store.events(TARGET, DISAPPEARS.fingerprint)] == [
        (FindingStatus.NEW, "run-1", T0),
        (FindingStatus.FIXED, "run-2", day(1)),
    ]


def test_a_run_that_did_not_look_for_a_kind_leaves_those_findings_open(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.save_run(run("deps-only", day(1), stages=("inventory", "advisories", "rank")))
    tracked = _tracked(store)
    assert tracked[PERSISTS.fingerprint].status is FindingStatus.PATCHED
    assert tracked[DISAPPEARS.fingerprint].status is FindingStatus.NEW
    assert tracked[DEPENDENCY.fingerprint].status is FindingStatus.FIXED


def test_duplicate_fingerprints_in_one_run_are_one_finding(store: SqlStore) -> None:
    twin = dataclasses.replace(PERSISTS, location=dataclasses.replace(PERSISTS.location, line=40))
    twins = run("twins", T0, PERSISTS, twin)
    store.save_run(twins)
    assert store.load_run(RunId("twins")) == twins
    assert [t.fingerprint for t in store.tracked_findings(TARGET)] == [PERSISTS.fingerprint]


def test_times_come_back_as_the_same_instants_in_utc(store: SqlStore) -> None:
    plus_two = timezone(timedelta(hours=2))
    local = run("local", datetime(2026, 11, 1, 11, 0, tzinfo=plus_two))
    naive = run("naive", datetime(2026, 11, 2, 9, 0))
    store.save_run(local)
    store.save_run(naive)
    loaded = store.load_run(RunId("local"))
    assert loaded == local
    assert loaded.started.tzinfo is UTC
    assert store.load_run(RunId("naive")).started == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_saving_a_run_twice_is_refused(store: SqlStore) -> None:
    store.save_run(RUN_1)
    with pytest.raises(StoreError, match="run-1 is already stored"):
        store.save_run(RUN_1)
    assert store.runs() == [RUN_1]


def test_loading_an_unknown_run_is_a_not_found_error(store: SqlStore) -> None:
    with pytest.raises(NotFoundError, match="no run 'nope'") as caught:
        store.load_run(RunId("nope"))
    assert caught.value.exit_code == 2


def test_a_failed_save_leaves_nothing_behind(store: SqlStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.save_run(RUN_1)
    real = serialize.finding_payload

    def fail_on_the_second(finding: Finding) -> str:
        if finding is DISAPPEARS:
            raise SQLAlchemyError("disk full")
        return real(finding)

    # Fails inside the transaction, after the run row was written and a finding was read.
    monkeypatch.setattr(tracking, "finding_payload", fail_on_the_second)
    with pytest.raises(StoreError, match=r"cannot save run run-2.*disk full"):
        store.save_run(run("run-2", day(1), APPEARS, DISAPPEARS))
    assert [r.id for r in store.runs()] == ["run-1"]
    assert APPEARS.fingerprint not in _tracked(store)
    assert _tracked(store)[DISAPPEARS.fingerprint].status is FindingStatus.NEW


def test_data_survives_reopening(db_url: str) -> None:
    with SqlStore(db_url) as first:
        first.save_run(RUN_1)
    with SqlStore(db_url) as second:
        assert second.load_run(RunId("run-1")) == RUN_1


def test_an_in_memory_database_works_for_one_process() -> None:
    with SqlStore("sqlite://") as store:
        store.save_run(RUN_1)
        assert store.load_run(RunId("run-1")) == RUN_1


def test_a_damaged_payload_is_a_store_error_not_a_crash(store: SqlStore, engine: sa.Engine) -> None:
    store.save_run(RUN_1)
    run_findings = sa.table("run_findings", sa.column("position"), sa.column("payload"))
    with engine.begin() as connection:
        connection.execute(
            run_findings.update().where(run_findings.c.position == 0).values(payload='{"kind": "code"')
        )
    with pytest.raises(StoreError, match="run-1: a stored Finding does not match findings-v1"):
        store.load_run(RunId("run-1"))
