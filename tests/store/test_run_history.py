"""Run summaries, diffs between runs, and finding ids given by their start."""

from __future__ import annotations

import dataclasses

import pytest
from store_samples import APPEARS, DEPENDENCY, DISAPPEARS, MOVED, PERSISTS, RUN_1, RUN_2, TARGET, day, run

from firstpatch.model import RunId, Severity
from firstpatch.store import NotFoundError, SqlStore, StoreError


def test_summaries_count_each_runs_findings_new_and_fixed(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.save_run(RUN_2)
    store.save_run(run("other", day(3), PERSISTS, target="/srv/checkouts/blog"))
    newest, oldest = store.run_summaries(TARGET)
    assert (newest.id, oldest.id) == ("run-2", "run-1")
    assert (oldest.findings, oldest.new, oldest.fixed) == (3, 3, 0)
    assert (newest.findings, newest.new, newest.fixed) == (3, 1, 1)  # APPEARS new, DISAPPEARS fixed
    assert oldest.by_severity == {
        Severity.CRITICAL: 1,
        Severity.HIGH: 1,
        Severity.MEDIUM: 1,
        Severity.LOW: 0,
        Severity.NONE: 0,
    }
    assert newest.by_severity[Severity.LOW] == 1
    assert (newest.target, newest.tool_version, newest.stages) == (TARGET, "0.1.0", RUN_2.stages)
    assert [s.id for s in store.run_summaries()] == ["other", "run-2", "run-1"]
    assert [s.id for s in store.run_summaries(TARGET, limit=1)] == ["run-2"]
    assert store.run_summaries("/never/scanned") == []


def test_the_diff_of_two_runs(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.save_run(RUN_2)
    changes = store.diff_runs(RunId("run-1"), RunId("run-2"))
    assert (changes.base.id, changes.head.id) == ("run-1", "run-2")
    assert changes.new == (APPEARS,)
    assert changes.fixed == (DISAPPEARS,)  # as the older run saw it
    assert changes.still_open == (MOVED, DEPENDENCY)  # as the newer run saw them
    assert changes.not_checked == ()


def test_findings_a_run_did_not_look_for_are_not_called_fixed(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.save_run(run("deps", day(1), DEPENDENCY, stages=("inventory", "advisories", "rank")))
    changes = store.diff_runs(RunId("run-1"), RunId("deps"))
    assert changes.fixed == ()
    assert changes.not_checked == (PERSISTS, DISAPPEARS)
    assert changes.still_open == (DEPENDENCY,)


def test_diffing_backwards_swaps_new_and_fixed(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.save_run(RUN_2)
    backwards = store.diff_runs(RunId("run-2"), RunId("run-1"))
    assert backwards.new == (DISAPPEARS,)
    assert backwards.fixed == (APPEARS,)


def test_diffing_an_unknown_run(store: SqlStore) -> None:
    store.save_run(RUN_1)
    with pytest.raises(NotFoundError, match="no run 'nope'"):
        store.diff_runs(RunId("run-1"), RunId("nope"))


def test_runs_are_found_by_a_unique_start_of_their_id(store: SqlStore) -> None:
    for run_id in ("a1b2c3", "a1b2ff", "0f0f0f"):
        store.save_run(run(run_id, day(len(run_id))))
    assert store.resolve_run("0f") == "0f0f0f"
    assert store.resolve_run("a1b2c3") == "a1b2c3"
    with pytest.raises(StoreError, match=r"'a1b2' names several runs \(a1b2c3, a1b2ff\)"):
        store.resolve_run("a1b2")
    with pytest.raises(NotFoundError, match="no run 'zz'"):
        store.resolve_run("zz")
    # LIKE wildcards in what the user typed are taken literally.
    with pytest.raises(NotFoundError):
        store.resolve_run("%")
    with pytest.raises(NotFoundError):
        store.resolve_run("")


def test_findings_are_found_by_a_unique_start_of_their_fingerprint(store: SqlStore) -> None:
    store.save_run(RUN_1)
    assert store.locate(PERSISTS.fingerprint[:10]) == (TARGET, PERSISTS.fingerprint)
    assert store.locate(PERSISTS.fingerprint, TARGET) == (TARGET, PERSISTS.fingerprint)
    with pytest.raises(NotFoundError, match="no finding 'ffff_' in project '/elsewhere'"):
        store.locate("ffff_", "/elsewhere")
    with pytest.raises(NotFoundError):
        store.locate("_")


def test_a_fingerprint_in_two_projects_needs_the_project(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.save_run(run("blog", day(1), PERSISTS, target="/srv/checkouts/blog"))
    with pytest.raises(StoreError, match="is in several projects"):
        store.locate(PERSISTS.fingerprint)
    assert store.locate(PERSISTS.fingerprint[:8], "/srv/checkouts/blog") == (
        "/srv/checkouts/blog",
        PERSISTS.fingerprint,
    )


def test_an_ambiguous_start_lists_the_candidates(store: SqlStore) -> None:
    findings = [dataclasses.replace(PERSISTS, fingerprint=f"abc{n}{'0' * 28}") for n in range(3)]  # type: ignore[arg-type]
    store.save_run(run("r", day(0), *findings))
    with pytest.raises(StoreError, match="'abc' names several findings") as caught:
        store.locate("abc")
    assert f"abc0{'0' * 28}" in str(caught.value)
