"""The finding lifecycle through real saves and decisions: each status change, and its event."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest
from store_samples import (
    APPEARS,
    CONFIRMED,
    DEPENDENCY,
    DISAPPEARS,
    PERSISTS,
    RUN_1,
    T0,
    TARGET,
    VERIFIED,
    day,
    run,
)

from firstpatch.model import Finding
from firstpatch.store import (
    FindingStatus,
    LifecycleEvent,
    NotFoundError,
    SqlStore,
    TrackedFinding,
    TriageError,
)

S = FindingStatus
PLAIN = dataclasses.replace(PERSISTS, evidence=None, patch=None)


def _status(store: SqlStore, finding: Finding, when: int = 30) -> FindingStatus:
    return store.tracked_finding(TARGET, finding.fingerprint, now=day(when)).status


def _changes(
    store: SqlStore, finding: Finding
) -> list[tuple[FindingStatus | None, FindingStatus, str | None, str]]:
    return [(e.before, e.after, e.run, e.who) for e in store.events(TARGET, finding.fingerprint)]


def test_new_then_confirmed_then_patched_across_runs(store: SqlStore) -> None:
    store.save_run(run("r1", day(0), PLAIN))
    assert _status(store, PLAIN) is S.NEW
    store.save_run(run("r2", day(1), dataclasses.replace(PLAIN, evidence=CONFIRMED)))
    assert _status(store, PLAIN) is S.CONFIRMED
    store.save_run(run("r3", day(2), dataclasses.replace(PLAIN, evidence=CONFIRMED, patch=VERIFIED)))
    assert _status(store, PLAIN) is S.PATCHED
    assert _changes(store, PLAIN) == [
        (None, S.NEW, "r1", "firstpatch"),
        (S.NEW, S.CONFIRMED, "r2", "firstpatch"),
        (S.CONFIRMED, S.PATCHED, "r3", "firstpatch"),
    ]
    events = store.events(TARGET, PLAIN.fingerprint)
    assert [e.at for e in events] == [day(0), day(1), day(2)]
    assert events[1].reason == "proved: marker ran"
    assert events[2].reason == "verified patch: no shell"


def test_a_first_sighting_with_proof_and_patch_records_each_step(store: SqlStore) -> None:
    store.save_run(RUN_1)
    assert _changes(store, PERSISTS) == [
        (None, S.NEW, "run-1", "firstpatch"),
        (S.NEW, S.CONFIRMED, "run-1", "firstpatch"),
        (S.CONFIRMED, S.PATCHED, "run-1", "firstpatch"),
    ]


def test_an_unpatched_verified_fix_stays_patched_until_the_flaw_is_gone(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.save_run(run("r2", day(1), PLAIN))  # seen again, without proof or patch this time
    assert _status(store, PERSISTS) is S.PATCHED
    store.save_run(run("r3", day(2), DEPENDENCY))  # the patch was applied: the finding is gone
    assert _status(store, PERSISTS) is S.FIXED
    last = store.events(TARGET, PERSISTS.fingerprint)[-1]
    assert (last.before, last.after, last.run) == (S.PATCHED, S.FIXED, "r3")
    assert last.reason == "not seen in run r3, which looked for code findings"


def test_a_fixed_finding_seen_again_reopens_with_a_new_patch_window(store: SqlStore) -> None:
    store.save_run(run("r1", day(0), PLAIN))
    store.save_run(run("r2", day(5)))
    store.save_run(run("r3", day(40), PLAIN))
    tracked = store.tracked_finding(TARGET, PLAIN.fingerprint, now=day(41))
    assert tracked.status is S.REOPENED
    assert tracked.first_seen == "r1"  # history is kept: first seen stays the first sighting
    assert tracked.window is not None
    assert tracked.window.opened_at == day(40)
    assert tracked.window.days_open == 1
    assert [(e.before, e.after) for e in store.events(TARGET, PLAIN.fingerprint)] == [
        (None, S.NEW),
        (S.NEW, S.FIXED),
        (S.FIXED, S.REOPENED),
    ]


def test_a_reopened_finding_moves_on_to_confirmed(store: SqlStore) -> None:
    store.save_run(run("r1", day(0), PLAIN))
    store.save_run(run("r2", day(1)))
    store.save_run(run("r3", day(2), dataclasses.replace(PLAIN, evidence=CONFIRMED)))
    assert _status(store, PLAIN) is S.CONFIRMED
    assert [(e.before, e.after) for e in store.events(TARGET, PLAIN.fingerprint)][-2:] == [
        (S.FIXED, S.REOPENED),
        (S.REOPENED, S.CONFIRMED),
    ]


def test_accepting_a_risk_records_who_why_and_until_when(store: SqlStore) -> None:
    store.save_run(RUN_1)
    tracked = store.accept_risk(
        TARGET,
        DISAPPEARS.fingerprint,
        reason="behind the VPN",
        who="ana",
        expires=date(2026, 12, 31),
        now=day(2),
    )
    assert tracked.status is S.ACCEPTED_RISK
    assert (tracked.status_by, tracked.accepted_until) == ("ana", date(2026, 12, 31))
    assert tracked.status_reason == "behind the VPN (accepted through 2026-12-31)"
    assert tracked.window is None  # an accepted risk is not counted against a deadline
    event = store.events(TARGET, DISAPPEARS.fingerprint)[-1]
    assert event == LifecycleEvent(
        TARGET,
        DISAPPEARS.fingerprint,
        day(2),
        "ana",
        S.NEW,
        S.ACCEPTED_RISK,
        "behind the VPN (accepted through 2026-12-31)",
        None,
    )
    # Later runs that keep seeing it leave a person's decision alone.
    store.save_run(run("r2", day(3), PERSISTS, DISAPPEARS), now=day(3, 1))
    assert _status(store, DISAPPEARS, when=3) is S.ACCEPTED_RISK


def test_an_expired_acceptance_reopens_and_says_so(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.accept_risk(
        TARGET,
        DISAPPEARS.fingerprint,
        reason="low traffic",
        who="ana",
        expires=date(2026, 11, 10),
        now=day(1),
    )
    # Through its last day it holds...
    assert _status(store, DISAPPEARS, when=9) is S.ACCEPTED_RISK
    # ...the day after, reading the finding reopens it.
    tracked = store.tracked_finding(TARGET, DISAPPEARS.fingerprint, now=day(10))
    assert tracked.status is S.REOPENED
    assert tracked.status_by == "firstpatch"
    assert tracked.accepted_until is None
    assert tracked.status_reason == (
        "risk acceptance expired after 2026-11-10 (it was: low traffic (accepted through 2026-11-10))"
    )
    # The patch window counts from the first sighting: the door was open all along.
    assert tracked.window is not None
    assert tracked.window.opened_at == T0
    assert [(e.before, e.after, e.who) for e in store.events(TARGET, DISAPPEARS.fingerprint)][-2:] == [
        (S.NEW, S.ACCEPTED_RISK, "ana"),
        (S.ACCEPTED_RISK, S.REOPENED, "firstpatch"),
    ]


def test_expiry_is_reported_once_even_when_asked_twice(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.accept_risk(
        TARGET, DISAPPEARS.fingerprint, reason="r", who="ana", expires=date(2026, 11, 3), now=day(1)
    )
    [expired] = store.expire_acceptances(now=day(5))
    assert (expired.fingerprint, expired.before, expired.after) == (
        DISAPPEARS.fingerprint,
        S.ACCEPTED_RISK,
        S.REOPENED,
    )
    assert store.expire_acceptances(now=day(6)) == []


def test_an_accepted_risk_that_disappears_is_fixed(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.accept_risk(
        TARGET, DISAPPEARS.fingerprint, reason="r", who="ana", expires=date(2027, 1, 1), now=day(0, 1)
    )
    store.save_run(run("r2", day(1), PERSISTS, DEPENDENCY), now=day(1, 1))
    assert _status(store, DISAPPEARS) is S.FIXED


def test_a_false_positive_stays_one_through_runs_and_can_be_reopened(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.mark_false_positive(
        TARGET, DISAPPEARS.fingerprint, reason="constant query", who="bo", now=day(0, 1)
    )
    store.save_run(run("r2", day(1), PERSISTS, DISAPPEARS))
    store.save_run(run("r3", day(2), PERSISTS))  # gone: its absence proves nothing about a false positive
    assert _status(store, DISAPPEARS) is S.FALSE_POSITIVE
    reopened = store.reopen(
        TARGET, DISAPPEARS.fingerprint, reason="the query takes input now", who="cy", now=day(3)
    )
    assert (reopened.status, reopened.status_by) == (S.REOPENED, "cy")
    assert [(e.after, e.who) for e in store.events(TARGET, DISAPPEARS.fingerprint)] == [
        (S.NEW, "firstpatch"),
        (S.FALSE_POSITIVE, "bo"),
        (S.REOPENED, "cy"),
    ]


def test_a_run_older_than_a_decision_does_not_overrule_it(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.accept_risk(
        TARGET, DISAPPEARS.fingerprint, reason="r", who="ana", expires=date(2027, 1, 1), now=day(2)
    )
    # A run that started before the decision, saved after it, did not see the finding.
    store.save_run(run("late", day(1), PERSISTS, DEPENDENCY), now=day(2, 1))
    assert _status(store, DISAPPEARS) is S.ACCEPTED_RISK


@pytest.mark.parametrize(
    ("setup", "decision", "message"),
    [
        ("fixed", "accept", "fixed; there is no risk left to accept"),
        ("new", "accept-past", "would already have expired"),
        ("new", "accept-no-reason", "a reason is required"),
        ("new", "reopen", "open already (new)"),
        ("false-positive", "false-positive", "already marked a false positive"),
        ("new", "nobody", "who made the decision is required"),
    ],
)
def test_decisions_the_lifecycle_does_not_allow_are_refused(
    store: SqlStore, setup: str, decision: str, message: str
) -> None:
    store.save_run(RUN_1)
    store.save_run(run("r2", day(1), PERSISTS, DEPENDENCY))  # DISAPPEARS is fixed now
    target = DISAPPEARS.fingerprint if setup == "fixed" else DEPENDENCY.fingerprint
    if setup == "false-positive":
        store.mark_false_positive(TARGET, target, reason="r", who="ana", now=day(2))
    before = store.events(TARGET, target)
    decide = {
        "accept": lambda: store.accept_risk(
            TARGET, target, reason="r", who="ana", expires=date(2027, 1, 1), now=day(3)
        ),
        "accept-past": lambda: store.accept_risk(
            TARGET, target, reason="r", who="ana", expires=date(2026, 11, 1), now=day(3)
        ),
        "accept-no-reason": lambda: store.accept_risk(
            TARGET, target, reason=" ", who="ana", expires=date(2027, 1, 1), now=day(3)
        ),
        "reopen": lambda: store.reopen(TARGET, target, reason="r", who="ana", now=day(3)),
        "nobody": lambda: store.mark_false_positive(TARGET, target, reason="r", who="  ", now=day(3)),
        "false-positive": lambda: store.mark_false_positive(
            TARGET, target, reason="r", who="ana", now=day(3)
        ),
    }[decision]
    with pytest.raises(TriageError, match=re.escape(message)):
        decide()
    assert store.events(TARGET, target) == before  # nothing recorded


def test_decisions_about_unknown_findings_or_projects_are_not_found(store: SqlStore) -> None:
    store.save_run(RUN_1)
    with pytest.raises(NotFoundError, match="no finding 0000 in project"):
        store.mark_false_positive(TARGET, "0000", reason="r", who="ana")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match="no project '/elsewhere'"):
        store.mark_false_positive("/elsewhere", PERSISTS.fingerprint, reason="r", who="ana")


def test_history_is_appended_never_rewritten(store: SqlStore) -> None:
    store.save_run(RUN_1)
    first: list[LifecycleEvent] = list(store.events(TARGET, DISAPPEARS.fingerprint))
    store.accept_risk(
        TARGET, DISAPPEARS.fingerprint, reason="a", who="ana", expires=date(2026, 11, 4), now=day(1)
    )
    store.accept_risk(
        TARGET, DISAPPEARS.fingerprint, reason="b", who="bo", expires=date(2026, 11, 6), now=day(2)
    )
    store.save_run(run("r2", day(8), DISAPPEARS), now=day(8, 1))
    store.save_run(run("r3", day(9)), now=day(9, 1))
    events = store.events(TARGET, DISAPPEARS.fingerprint)
    assert events[: len(first)] == first
    assert [(e.before, e.after, e.who) for e in events] == [
        (None, S.NEW, "firstpatch"),
        (S.NEW, S.ACCEPTED_RISK, "ana"),
        (S.ACCEPTED_RISK, S.ACCEPTED_RISK, "bo"),  # re-accepted with a new reason and day
        (S.ACCEPTED_RISK, S.REOPENED, "firstpatch"),  # expired, noticed when r2 was saved
        (S.REOPENED, S.FIXED, "firstpatch"),
    ]


def _tracked(store: SqlStore) -> dict[str, TrackedFinding]:
    return {t.fingerprint: t for t in store.tracked_findings(TARGET, now=day(30))}


def test_statuses_filter_the_list(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.save_run(run("r2", day(1), PERSISTS, DEPENDENCY))
    fixed = store.tracked_findings(TARGET, frozenset({S.FIXED}), now=day(2))
    assert [t.fingerprint for t in fixed] == [DISAPPEARS.fingerprint]
    assert set(_tracked(store)) == {PERSISTS.fingerprint, DISAPPEARS.fingerprint, DEPENDENCY.fingerprint}


def test_a_late_older_sighting_does_not_reopen_what_a_newer_run_missed(store: SqlStore) -> None:
    # Started in the order a, b, c, d; c arrives last (a slow fleet worker). PLAIN is in a and c.
    store.save_run(run("a", day(0), PLAIN))
    store.save_run(run("b", day(1)))
    store.save_run(run("d", day(3)))
    store.save_run(run("c", day(2), PLAIN))
    tracked = store.tracked_finding(TARGET, PLAIN.fingerprint, now=day(4))
    assert (tracked.status, tracked.last_seen) == (S.FIXED, "c")
    assert [(e.before, e.after, e.run) for e in store.events(TARGET, PLAIN.fingerprint)] == [
        (None, S.NEW, "a"),
        (S.NEW, S.FIXED, "b"),
        (S.FIXED, S.REOPENED, "c"),
        (S.REOPENED, S.FIXED, "d"),
    ]


def test_the_list_pages_in_a_stable_order(store: SqlStore) -> None:
    store.save_run(RUN_1)
    store.save_run(run("r2", day(1), PERSISTS, DEPENDENCY, APPEARS))
    whole = [t.fingerprint for t in store.tracked_findings(TARGET, now=day(2))]
    assert len(whole) == 4
    pages = [store.tracked_findings(TARGET, now=day(2), limit=3, offset=offset) for offset in (0, 3)]
    assert [t.fingerprint for page in pages for t in page] == whole
    assert whole[-1] == APPEARS.fingerprint  # oldest first: it was first seen last
