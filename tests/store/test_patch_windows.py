"""Patch windows and deadlines of open findings, per finding and counted in the overview."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from store_samples import APPEARS, DEPENDENCY, DISAPPEARS, PERSISTS, RUN_1, T0, TARGET, code, day, run

from firstpatch.model import Exploitation, Severity
from firstpatch.store import DeadlinePolicy, FindingStatus, SqlStore

BLOG = "/srv/checkouts/blog"
EVERY = run("all", T0, PERSISTS, DISAPPEARS, APPEARS, DEPENDENCY)


def _windows(store: SqlStore, **options: object) -> dict[str, tuple[int, int | None, bool]]:
    found = store.tracked_findings(TARGET, **options)  # type: ignore[arg-type]
    return {
        t.fingerprint: (t.window.days_open, t.window.days_allowed, t.window.overdue)
        for t in found
        if t.window is not None
    }


def test_each_open_finding_has_days_open_against_days_allowed(store: SqlStore) -> None:
    store.save_run(EVERY)
    assert _windows(store, now=day(10)) == {
        PERSISTS.fingerprint: (10, 30, False),  # high
        DISAPPEARS.fingerprint: (10, 90, False),  # medium
        APPEARS.fingerprint: (10, 180, False),  # low
        DEPENDENCY.fingerprint: (10, 7, True),  # critical and in KEV: 7 days
    }
    dependency = store.tracked_finding(TARGET, DEPENDENCY.fingerprint, now=day(10))
    assert dependency.window is not None
    assert dependency.window.due == T0 + timedelta(days=7)


def test_the_deadline_falls_at_the_end_of_the_window(store: SqlStore) -> None:
    store.save_run(EVERY)
    assert _windows(store, now=T0 + timedelta(days=7))[DEPENDENCY.fingerprint] == (7, 7, False)
    assert _windows(store, now=T0 + timedelta(days=7, seconds=1))[DEPENDENCY.fingerprint] == (7, 7, True)


def test_a_policy_changes_the_deadlines(store: SqlStore) -> None:
    store.save_run(EVERY)
    strict = DeadlinePolicy(high=5, low=None)
    windows = _windows(store, now=day(10), policy=strict)
    assert windows[PERSISTS.fingerprint] == (10, 5, True)
    assert windows[APPEARS.fingerprint] == (10, None, False)  # no deadline for low in this policy


def test_the_overview_counts_open_findings_by_severity_kev_and_deadline(store: SqlStore) -> None:
    store.save_run(EVERY)
    store.save_run(
        run("blog-1", day(1), dataclasses.replace(PERSISTS, severity=Severity.CRITICAL), target=BLOG)
    )
    store.save_run(run("blog-2", day(2), target=BLOG))  # fixed everything in the blog
    store.accept_risk(
        TARGET, APPEARS.fingerprint, reason="r", who="ana", expires=date(2027, 1, 1), now=day(3)
    )
    seen = store.overview(now=day(10))
    blog, shop = seen.projects  # by target
    assert (blog.target, shop.target) == (BLOG, TARGET)
    assert shop.runs == 1
    assert shop.last_run is not None
    assert shop.last_run.id == "all"
    assert shop.by_status[FindingStatus.NEW] == 2
    assert shop.by_status[FindingStatus.PATCHED] == 1
    assert shop.by_status[FindingStatus.ACCEPTED_RISK] == 1
    assert shop.open_by_severity == {
        Severity.CRITICAL: 1,
        Severity.HIGH: 1,
        Severity.MEDIUM: 1,
        Severity.LOW: 0,  # accepted, so not open
        Severity.NONE: 0,
    }
    assert (shop.open_in_kev, shop.overdue) == (1, 1)
    assert blog.by_status[FindingStatus.FIXED] == 1
    assert sum(blog.open_by_severity.values()) == 0
    assert blog.oldest_open is None
    assert seen.overdue == 1
    assert seen.open_in_kev == 1
    assert seen.by_status[FindingStatus.FIXED] == 1
    assert seen.oldest_open is not None
    assert seen.oldest_open.target == TARGET
    assert seen.oldest_open.window.opened_at == T0
    # The trend: the newest runs, oldest first, each with its counts.
    assert [(r.id, r.findings, r.new, r.fixed) for r in seen.trend] == [
        ("all", 4, 4, 0),
        ("blog-1", 1, 1, 0),
        ("blog-2", 0, 0, 1),
    ]


def test_the_oldest_open_finding_is_the_one_open_longest(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.save_run(run("r2", day(20), PERSISTS, DEPENDENCY, APPEARS))
    oldest = store.projects(now=day(21))[0].oldest_open
    assert oldest is not None
    # PERSISTS and DEPENDENCY opened together at T0; DISAPPEARS is fixed; APPEARS is younger.
    assert oldest.fingerprint in {PERSISTS.fingerprint, DEPENDENCY.fingerprint}
    assert oldest.window.days_open == 21


@pytest.mark.parametrize("policy", [DeadlinePolicy(), DeadlinePolicy(kev=1, high=3, medium=None, low=12)])
def test_overdue_counted_in_sql_agrees_with_each_findings_window(
    store: SqlStore, policy: DeadlinePolicy
) -> None:
    # Findings of every severity, in and out of KEV, opened on different days.
    for number in range(12):
        severity = list(Severity)[number % 5]
        finding = code(
            f"rule-{number}",
            "app.py",
            10 + number,
            f"sink_{number}(x)",
            severity=severity,
            exploitation=Exploitation(in_kev=number % 3 == 0),
        )
        store.save_run(run(f"r{number}", day(number * 4), finding, stages=("inventory", "rank")))
    for now in (day(5), day(20), day(33), day(60), day(400)):
        windows = _windows(store, now=now, policy=policy)
        [project] = store.projects(policy, now)
        assert project.overdue == sum(overdue for _, _, overdue in windows.values()), now
        assert sum(project.open_by_severity.values()) == len(windows)
