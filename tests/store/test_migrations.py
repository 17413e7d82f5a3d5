"""The shipped migrations, on SQLite and PostgreSQL: from an empty database, from the previous
revision with data in it, down and up again, and by several workers at once."""

from __future__ import annotations

import io
import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from store_samples import APPEARS, DEPENDENCY, DISAPPEARS, PERSISTS, RUN_1, T0, TARGET, day, run

from firstpatch.advisories.db.schema import MIGRATIONS as ADVISORY_MIGRATIONS
from firstpatch.model import RunId, Severity, to_json
from firstpatch.model.serialize import finding_payload
from firstpatch.store import FindingStatus, SqlStore, sqlite_url
from firstpatch.store.migrate import (
    STORE,
    Migrations,
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from firstpatch.store.tables import Base
from firstpatch.web.schema import MIGRATIONS as WEB_MIGRATIONS

TABLES = {"alembic_version", "projects", "runs", "findings", "run_findings", "finding_events"}


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_opening_an_empty_database_migrates_it_to_head(db_url: str, engine: sa.Engine) -> None:
    SqlStore(db_url).close()
    assert _tables(engine) == TABLES
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision() == "0002"


@pytest.mark.parametrize(
    "migrations", [STORE, ADVISORY_MIGRATIONS, WEB_MIGRATIONS], ids=lambda m: m.script_location
)
def test_the_head_each_package_names_is_the_head_of_its_scripts(migrations: Migrations) -> None:
    # Opening a database compares its revision with `head` without loading Alembic: a new
    # migration script must move `head` too, or databases would never be migrated to it.
    assert migrations.script_head() == migrations.head


def test_migrated_schema_matches_the_models(engine: sa.Engine) -> None:
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_nothing_and_up_again(engine: sa.Engine) -> None:
    upgrade(engine)
    downgrade(engine, "base")
    assert _tables(engine) == {"alembic_version"}
    upgrade(engine)
    assert _tables(engine) == TABLES


# The schema as revision 0001 left it, to write rows the way firstpatch 0.1 did.
_projects = sa.table("projects", sa.column("id"), sa.column("target"))
_runs = sa.table(
    "runs",
    *(sa.column(name) for name in ("id", "project_id", "tool_version", "stages", "skipped", "components")),
    sa.column("started", sa.DateTime(timezone=True)),
    sa.column("finished", sa.DateTime(timezone=True)),
)
_findings = sa.table(
    "findings",
    *(
        sa.column(name)
        for name in (
            "id",
            "project_id",
            "fingerprint",
            "first_seen_run_id",
            "last_seen_run_id",
            "status",
            "kind",
            "rule_id",
            "cwe",
            "severity",
            "payload",
        )
    ),
)
_run_findings = sa.table(
    "run_findings", *(sa.column(n) for n in ("run_id", "position", "finding_id", "payload"))
)


def _store_as_0001_did(engine: sa.Engine) -> None:
    """RUN_1 then a second run in which DISAPPEARS is gone, written as revision 0001 wrote them."""
    second = run("run-2", day(1), PERSISTS, APPEARS, DEPENDENCY)
    with engine.begin() as connection:
        connection.execute(_projects.insert().values(id=1, target=TARGET))
        for each in (RUN_1, second):
            connection.execute(
                _runs.insert().values(
                    id=each.id,
                    project_id=1,
                    started=each.started,
                    finished=each.finished,
                    tool_version=each.tool_version,
                    stages=json.dumps(list(each.stages)),
                    skipped=json.dumps(to_json(each.skipped)),
                    components=json.dumps(to_json(each.components)),
                )
            )
        rows = [
            (1, PERSISTS, "run-1", "run-2", "open"),
            (2, DISAPPEARS, "run-1", "run-1", "fixed"),
            (3, DEPENDENCY, "run-1", "run-2", "open"),
            (4, APPEARS, "run-2", "run-2", "open"),
        ]
        for finding_id, finding, first, last, status in rows:
            connection.execute(
                _findings.insert().values(
                    id=finding_id,
                    project_id=1,
                    fingerprint=finding.fingerprint,
                    first_seen_run_id=first,
                    last_seen_run_id=last,
                    status=status,
                    kind=finding.kind.value,
                    rule_id=finding.rule_id,
                    cwe=finding.cwe,
                    severity=finding.severity.value,
                    payload=finding_payload(finding),
                )
            )
        sightings = [("run-1", PERSISTS, 1), ("run-1", DISAPPEARS, 2), ("run-1", DEPENDENCY, 3)]
        sightings += [("run-2", PERSISTS, 1), ("run-2", APPEARS, 4), ("run-2", DEPENDENCY, 3)]
        for position, (run_id, finding, finding_id) in enumerate(sightings):
            connection.execute(
                _run_findings.insert().values(
                    run_id=run_id,
                    position=position % 3,
                    finding_id=finding_id,
                    payload=finding_payload(finding),
                )
            )


def test_upgrading_from_0001_carries_runs_and_findings_over(db_url: str, engine: sa.Engine) -> None:
    upgrade(engine, "0001")
    _store_as_0001_did(engine)
    with SqlStore(db_url) as store:
        assert store.load_run(RunId("run-1")) == RUN_1
        tracked = {t.fingerprint: t for t in store.tracked_findings(TARGET, now=day(2))}
        # Open findings take the status their newest sighting shows; the fixed one stays fixed.
        assert tracked[PERSISTS.fingerprint].status is FindingStatus.PATCHED
        assert tracked[DEPENDENCY.fingerprint].status is FindingStatus.NEW
        assert tracked[APPEARS.fingerprint].status is FindingStatus.NEW
        assert tracked[DISAPPEARS.fingerprint].status is FindingStatus.FIXED
        window = tracked[DEPENDENCY.fingerprint].window
        assert window is not None
        assert window.opened_at == T0
        assert window.days_allowed == 7  # PyYAML's advisory is in KEV (from the payload)
        [event] = store.events(TARGET, PERSISTS.fingerprint)
        assert (event.before, event.after, event.run) == (None, FindingStatus.PATCHED, "run-1")
        assert "carried over" in event.reason
        # Each run's counts come from the severities its sightings were given.
        summary = {s.id: s for s in store.run_summaries(TARGET)}["run-1"]
        assert summary.by_severity[Severity.MEDIUM] == 1  # DISAPPEARS
        assert summary.by_severity[Severity.CRITICAL] == 1  # DEPENDENCY
        # The lifecycle goes on from there.
        store.save_run(run("run-3", day(2), PERSISTS, DEPENDENCY, DISAPPEARS))
        after = {t.fingerprint: t.status for t in store.tracked_findings(TARGET, now=day(3))}
    assert after[DISAPPEARS.fingerprint] is FindingStatus.REOPENED
    assert after[APPEARS.fingerprint] is FindingStatus.FIXED


def test_downgrading_to_0001_keeps_runs_and_open_or_fixed(db_url: str, engine: sa.Engine) -> None:
    with SqlStore(db_url) as store:
        store.save_run(RUN_1)
        store.save_run(run("run-2", day(1), PERSISTS, DEPENDENCY))
        store.mark_false_positive(TARGET, DEPENDENCY.fingerprint, reason="not used", who="ana", now=day(1, 1))
    downgrade(engine, "0001")
    assert _tables(engine) == TABLES - {"finding_events"}
    with engine.connect() as connection:
        statuses = dict(connection.execute(sa.select(_findings.c.fingerprint, _findings.c.status)).all())
    assert statuses == {
        PERSISTS.fingerprint: "open",
        DISAPPEARS.fingerprint: "fixed",
        DEPENDENCY.fingerprint: "open",
    }


def test_reopening_a_migrated_database_changes_nothing(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "new.db")
    SqlStore(url).close()
    before = (tmp_path / "new.db").read_bytes()
    SqlStore(url).close()
    assert (tmp_path / "new.db").read_bytes() == before


def test_workers_opening_a_new_database_at_once_migrate_it_once(db_url: str, engine: sa.Engine) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def open_and_save(number: int) -> None:
        try:
            start.wait()
            with SqlStore(db_url) as store:
                store.save_run(run(f"worker-{number}", T0 + timedelta(minutes=number), PERSISTS))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_and_save, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as connection:
        assert current_revision(connection) == "0002"
    with SqlStore(db_url) as store:
        assert {r.id for r in store.runs(TARGET)} == {f"worker-{n}" for n in range(6)}


def test_the_migrations_render_as_sql_for_a_new_postgresql_store() -> None:
    # `alembic upgrade --sql` for a DBA: compiled without a server, and without the data step.
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", "postgresql://scanner@db.internal/firstpatch")
    config.output_buffer = io.StringIO()
    command.upgrade(config, "head", sql=True)
    ddl = config.output_buffer.getvalue()
    assert "CREATE TABLE finding_events" in ddl
    assert "ALTER TABLE findings ALTER COLUMN opened_at SET NOT NULL" in ddl
    assert "UPDATE alembic_version SET version_num='0002'" in ddl
