"""SqlStore on real SQLite files: runs round-trip, findings are tracked across runs by fingerprint."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.exc import SQLAlchemyError

from firstpatch.model import (
    AdvisoryId,
    Check,
    Component,
    Confidence,
    Ecosystem,
    EntryPoint,
    Evidence,
    Finding,
    FindingKind,
    InputKind,
    Location,
    OracleEvent,
    Patch,
    PatchStatus,
    ProofStatus,
    RuleId,
    Run,
    RunId,
    Severity,
    Skipped,
    Step,
    StepKind,
    fingerprint,
    serialize,
)
from firstpatch.store import FindingStatus, SqlStore, StoreError, TrackedFinding, sql, sqlite_url

TARGET = "/srv/checkouts/shop"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _code(rule: str, path: str, line: int, sink: str, **changes: object) -> Finding:
    finding = Finding(
        kind=FindingKind.CODE,
        rule_id=RuleId(rule),
        title=f"{rule} finding",
        severity=Severity.HIGH,
        confidence=Confidence.HIGH,
        location=Location(path, line, 5, line, 5 + len(sink), sink),
        fingerprint=fingerprint(rule, path, sink),
        cwe=78,
        message="untrusted input reaches a shell",
        trace=(
            Step(StepKind.SOURCE, Location(path, line - 1, 1, line - 1, 9, "request"), "query parameter"),
            Step(StepKind.SINK, Location(path, line, 5, line, 5 + len(sink), sink), "shell"),
        ),
        entry_point=EntryPoint(
            "flask", "app.ping", Location(path, 1), "/ping", ("GET", "POST"), InputKind.QUERY, "host"
        ),
    )
    return dataclasses.replace(finding, **changes)  # type: ignore[arg-type]


COMPONENT = Component(
    "pkg:pypi/pyyaml@5.3", "pyyaml", "5.3", Ecosystem.PYPI, (Location("requirements.txt", 3),), True, False
)
DEPENDENCY = Finding(
    kind=FindingKind.DEPENDENCY,
    rule_id=RuleId("PYSEC-2021-142"),
    title="PyYAML FullLoader runs code",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    location=Location("requirements.txt", 3),
    fingerprint=fingerprint("PYSEC-2021-142", "requirements.txt", "pyyaml"),
    component=COMPONENT,
    advisory_ids=(AdvisoryId("PYSEC-2021-142"),),
    aliases=("CVE-2020-14343",),
    fix_version="5.4",
    risk=8.5,
)
PERSISTS = _code(
    "py/command-injection",
    "app.py",
    20,
    "os.system(command)",
    evidence=Evidence(
        ProofStatus.CONFIRMED,
        "marker ran",
        OracleEvent("audit:os.system", "os.system('x; id')"),
        "print('reproducer')\n",
        "curl 'http://127.0.0.1:5000/ping?host=x%3Bid'",
        "log line\n",
    ),
    patch=Patch(
        "--- a/app.py\n+++ b/app.py\n@@ -20 +20 @@\n-    os.system(command)\n+    subprocess.run(command)\n",
        ("app.py",),
        PatchStatus.VERIFIED,
        "no shell",
        (Check("reproducer", True), Check("rescan", True, "gone")),
    ),
    risk=9.4,
)
DISAPPEARS = _code("py/sql-injection", "db.py", 7, "cursor.execute(query)")
APPEARS = _code("py/path-injection", "files.py", 12, "open(name)")


def _run(run_id: str, started: datetime, *findings: Finding, target: str = TARGET, **changes: object) -> Run:
    run = Run(
        id=RunId(run_id),
        target=target,
        started=started,
        finished=started + timedelta(seconds=2, microseconds=1234),
        tool_version="0.1.0",
        findings=findings,
        components=(COMPONENT,),
        skipped=(Skipped("broken.py", "does not parse", 4), Skipped("huge.py", "too large")),
        stages=("inventory", "advisories", "analysis", "prove", "patch", "rank"),
    )
    return dataclasses.replace(run, **changes)  # type: ignore[arg-type]


# The second sighting of PERSISTS: code was added above it, and the proof came out differently.
MOVED = dataclasses.replace(
    PERSISTS,
    location=dataclasses.replace(PERSISTS.location, line=31, end_line=31),
    evidence=Evidence(ProofStatus.UNTESTABLE, "sandbox lacked the database"),
)
RUN_1 = _run("run-1", T0, PERSISTS, DISAPPEARS, DEPENDENCY)
RUN_2 = _run("run-2", T0 + timedelta(days=1), MOVED, APPEARS, DEPENDENCY)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "firstpatch.db"


@pytest.fixture
def store(db: Path) -> Iterator[SqlStore]:
    with SqlStore(sqlite_url(db)) as opened:
        yield opened


def _tracked(store: SqlStore, target: str = TARGET) -> dict[str, TrackedFinding]:
    return {t.fingerprint: t for t in store.tracked_findings(target)}


def test_a_persisting_finding_keeps_one_row_and_its_first_sighting(store: SqlStore, db: Path) -> None:
    store.save_run(RUN_1)
    store.save_run(RUN_2)
    tracked = _tracked(store)
    persisting = tracked[PERSISTS.fingerprint]
    assert (persisting.first_seen, persisting.last_seen) == ("run-1", "run-2")
    assert persisting.first_seen_at == T0
    assert persisting.status is FindingStatus.OPEN
    # The row holds the newest sighting.
    assert persisting.finding == MOVED
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT first_seen_run_id, last_seen_run_id FROM findings WHERE fingerprint = ?",
            (PERSISTS.fingerprint,),
        ).fetchall()
    connection.close()
    assert rows == [("run-1", "run-2")]


def test_a_finding_that_disappears_is_fixed_and_a_new_one_is_open(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.save_run(RUN_2)
    tracked = _tracked(store)
    gone = tracked[DISAPPEARS.fingerprint]
    assert gone.status is FindingStatus.FIXED
    assert (gone.first_seen, gone.last_seen) == ("run-1", "run-1")
    new = tracked[APPEARS.fingerprint]
    assert (new.status, new.first_seen, new.last_seen) == (FindingStatus.OPEN, "run-2", "run-2")
    assert tracked[DEPENDENCY.fingerprint].status is FindingStatus.OPEN
    assert len(tracked) == 4
    # Oldest first.
    assert [t.first_seen for t in store.tracked_findings(TARGET)] == ["run-1", "run-1", "run-1", "run-2"]


def test_a_fixed_finding_that_returns_is_open_again_with_its_history(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.save_run(RUN_2)
    store.save_run(_run("run-3", T0 + timedelta(days=2), DISAPPEARS))
    back = _tracked(store)[DISAPPEARS.fingerprint]
    assert (back.status, back.first_seen, back.last_seen) == (FindingStatus.OPEN, "run-1", "run-3")


def test_load_run_gives_back_each_run_as_it_was_saved(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.save_run(RUN_2)
    assert store.load_run(RunId("run-1")) == RUN_1
    assert store.load_run(RunId("run-2")) == RUN_2


def test_runs_are_newest_first_and_filtered_by_target(store: SqlStore) -> None:
    other = _run("other-1", T0 + timedelta(hours=1), PERSISTS, target="/srv/checkouts/blog")
    for run in (RUN_2, other, RUN_1):
        store.save_run(run)
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
    # An older run cannot close what a newer one saw.
    assert tracked[APPEARS.fingerprint].status is FindingStatus.OPEN
    assert tracked[DISAPPEARS.fingerprint].status is FindingStatus.OPEN


def test_a_run_that_did_not_look_for_a_kind_leaves_those_findings_open(store: SqlStore) -> None:
    store.save_run(RUN_1)
    deps_only = _run("deps-only", T0 + timedelta(days=1), stages=("inventory", "advisories", "rank"))
    store.save_run(deps_only)
    tracked = _tracked(store)
    assert tracked[PERSISTS.fingerprint].status is FindingStatus.OPEN
    assert tracked[DISAPPEARS.fingerprint].status is FindingStatus.OPEN
    assert tracked[DEPENDENCY.fingerprint].status is FindingStatus.FIXED


def test_duplicate_fingerprints_in_one_run_are_one_finding(store: SqlStore) -> None:
    twin = dataclasses.replace(PERSISTS, location=dataclasses.replace(PERSISTS.location, line=40))
    run = _run("twins", T0, PERSISTS, twin)
    store.save_run(run)
    assert store.load_run(RunId("twins")) == run
    assert len(store.tracked_findings(TARGET)) == 1


def test_times_come_back_as_the_same_instants_in_utc(store: SqlStore) -> None:
    plus_two = timezone(timedelta(hours=2))
    local = _run("local", datetime(2026, 11, 1, 11, 0, tzinfo=plus_two))
    naive = _run("naive", datetime(2026, 11, 2, 9, 0))
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


def test_loading_an_unknown_run_is_a_store_error(store: SqlStore) -> None:
    with pytest.raises(StoreError, match="no run 'nope'") as caught:
        store.load_run(RunId("nope"))
    assert caught.value.exit_code == 2


def test_a_failed_save_leaves_nothing_behind(store: SqlStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.save_run(RUN_1)
    real = serialize.finding_payload

    def fail_on_the_second(finding: Finding) -> str:
        if finding is DISAPPEARS:
            raise SQLAlchemyError("disk full")
        return real(finding)

    # Fails inside the transaction, after the run, a project and a finding row were added.
    monkeypatch.setattr(sql, "finding_payload", fail_on_the_second)
    with pytest.raises(StoreError, match=r"cannot save run run-2.*disk full"):
        store.save_run(_run("run-2", T0 + timedelta(days=1), APPEARS, DISAPPEARS))
    assert [r.id for r in store.runs()] == ["run-1"]
    assert APPEARS.fingerprint not in _tracked(store)


def test_data_survives_reopening(db: Path) -> None:
    with SqlStore(sqlite_url(db)) as first:
        first.save_run(RUN_1)
    with SqlStore(sqlite_url(db)) as second:
        assert second.load_run(RunId("run-1")) == RUN_1


def test_an_in_memory_database_works_for_one_process() -> None:
    with SqlStore("sqlite://") as store:
        store.save_run(RUN_1)
        assert store.load_run(RunId("run-1")) == RUN_1


def test_a_damaged_payload_is_a_store_error_not_a_crash(store: SqlStore, db: Path) -> None:
    store.save_run(RUN_1)
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE run_findings SET payload = ? WHERE position = 0", ('{"kind": "code"',))
    connection.close()
    with pytest.raises(StoreError, match="run-1: a stored Finding does not match findings-v1"):
        store.load_run(RunId("run-1"))
