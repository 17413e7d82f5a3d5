"""Several fleet workers saving at once, each with its own connection pool, must all succeed.

Threads stand in for workers: each opens its own `SqlStore` on the same database (as separate
processes would), and they start together at a barrier so that their transactions overlap.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from store_samples import T0, code, day, run

from firstpatch.model import Finding, Run
from firstpatch.store import FindingStatus, SqlStore, StoreError

WORKERS = 4


def _together(tasks: list[Callable[[], None]]) -> list[BaseException]:
    """Run `tasks` in threads released at once; the exceptions they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(tasks))

    def body(task: Callable[[], None]) -> None:
        try:
            start.wait()
            task()
        except BaseException as exc:  # noqa: BLE001 - collected for the test to report
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return errors


def _saver(db_url: str, runs: list[Run]) -> Callable[[], None]:
    """A worker: its own store on the database, saving `runs` one after another."""

    def save_all() -> None:
        with SqlStore(db_url) as store:
            for each in runs:
                store.save_run(each, now=day(1))

    return save_all


def _findings(numbers: range) -> list[Finding]:
    return [code(f"rule-{n % 7}", f"mod{n}.py", 10, f"sink(x{n})") for n in numbers]


def _project_runs(target: str, count: int, seed: int) -> list[Run]:
    """`count` runs of one project, each seeing an overlapping, shifting window of 60 findings."""
    rng = random.Random(seed)  # noqa: S311 - a repeatable sample, not a secret
    return [
        run(
            f"{target.rsplit('/', 1)[-1]}-{n}",
            T0 + timedelta(hours=n),
            *rng.sample(_findings(range(n * 10, n * 10 + 60)), 50),
            target=target,
        )
        for n in range(count)
    ]


def _check_history(store: SqlStore, runs: list[Run]) -> None:
    """Whatever order the runs arrived in: one row per finding, first and last sightings by
    start time, a status that agrees with the newest run, and event chains without gaps."""
    target = runs[0].target
    newest = max(runs, key=lambda r: r.started)
    seen_by: dict[str, list[Run]] = {}
    for each in runs:
        for finding in each.findings:
            seen_by.setdefault(finding.fingerprint, []).append(each)
    tracked = {t.fingerprint: t for t in store.tracked_findings(target, now=day(1))}
    assert set(tracked) == set(seen_by)
    in_newest = {f.fingerprint for f in newest.findings}
    for fingerprint, item in tracked.items():
        sightings = sorted(seen_by[fingerprint], key=lambda r: r.started)
        assert (item.first_seen, item.last_seen) == (sightings[0].id, sightings[-1].id)
        assert item.status.is_open == (fingerprint in in_newest), (fingerprint, item.status)
        events = store.events(target, fingerprint)
        assert events[0].before is None
        assert [e.before for e in events[1:]] == [e.after for e in events[:-1]]
        assert events[-1].after is item.status


@pytest.mark.slow
def test_workers_saving_different_projects_at_once(db_url: str) -> None:
    SqlStore(db_url).close()  # migrated once, as a fleet's first worker would
    projects = [_project_runs(f"/fleet/project-{n}", 3, seed=n) for n in range(WORKERS)]

    assert _together([_saver(db_url, runs) for runs in projects]) == []
    with SqlStore(db_url) as store:
        for runs in projects:
            assert [s.id for s in store.run_summaries(runs[0].target)] == [r.id for r in reversed(runs)]
            _check_history(store, runs)


@pytest.mark.slow
def test_workers_saving_runs_of_the_same_project_at_once(db_url: str) -> None:
    SqlStore(db_url).close()
    runs = _project_runs("/fleet/shared", WORKERS * 2, seed=7)
    random.Random(3).shuffle(runs)  # noqa: S311 - workers finish in any order; history must not care

    assert _together([_saver(db_url, runs[n::WORKERS]) for n in range(WORKERS)]) == []
    with SqlStore(db_url) as store:
        assert len(store.run_summaries("/fleet/shared")) == len(runs)
        _check_history(store, runs)


def test_the_same_run_saved_by_two_workers_is_stored_once(db_url: str) -> None:
    SqlStore(db_url).close()
    [twice] = _project_runs("/fleet/dup", 1, seed=1)

    def save() -> None:
        with SqlStore(db_url) as store:
            store.save_run(twice, now=day(1))

    errors = _together([save, save, save])
    assert len(errors) == 2
    assert all(isinstance(e, StoreError) and "is already stored" in str(e) for e in errors), errors
    engine = sa.create_engine(db_url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM runs")).scalar_one() == 1
    engine.dispose()


@pytest.mark.parametrize("rounds", [3])
def test_triage_while_workers_save(db_url: str, rounds: int) -> None:
    runs = _project_runs("/fleet/triaged", rounds * 2, seed=5)
    first, rest = runs[0], runs[1:]
    with SqlStore(db_url) as store:
        store.save_run(first, now=day(1))
    # Every run keeps seeing these, so a person's decision about them must survive every save.
    kept = [f for f in first.findings if all(f in r.findings for r in rest)] or [first.findings[0]]
    rest = [
        r if all(f in r.findings for f in kept) else run(r.id, r.started, *r.findings, *kept, target=r.target)
        for r in rest
    ]

    def decisions() -> None:
        with SqlStore(db_url) as store:
            for _ in range(rounds):
                for finding in kept:
                    store.accept_risk(
                        first.target,
                        finding.fingerprint,
                        reason="fleet",
                        who="ops",
                        expires=date(2027, 6, 1),
                        now=day(1),
                    )

    assert _together([_saver(db_url, rest), decisions]) == []
    with SqlStore(db_url) as store:
        for finding in kept:
            tracked = store.tracked_finding(first.target, finding.fingerprint, now=day(1))
            assert tracked.status is FindingStatus.ACCEPTED_RISK
            accepted = [e for e in store.events(first.target, finding.fingerprint) if e.who == "ops"]
            assert len(accepted) == rounds
