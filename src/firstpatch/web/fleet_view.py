"""The newest fleet run as the dashboard shows it: how its targets ended, and why some failed.

A target the fleet failed on (unreadable, timed out, clone refused) has no run in the store, so
the projects alone would make the portfolio look healthier than it is. The fleet's own tables
are read through a `FleetLedger` opened with `create_tables=False`, kept on `app.state.fleet`
by `create_app`: the dashboard reads them where `firstpatch fleet scan` made them and never
makes them itself. Without a ledger, or without a fleet run, there is nothing to show.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from firstpatch.fleet.ledger import FleetLedger, FleetRecord, TaskRecord, TaskState

# The order the page and the API count them in: how it ended first, what is still to come last.
STATES = (TaskState.DONE, TaskState.UNCHANGED, TaskState.FAILED, TaskState.RUNNING, TaskState.PENDING)
SCANNED = frozenset({TaskState.DONE, TaskState.UNCHANGED})


@dataclass(frozen=True, slots=True)
class FleetView:
    fleet: FleetRecord
    counts: tuple[tuple[TaskState, int], ...]  # in `STATES` order
    failed: tuple[TaskRecord, ...]
    scanned: tuple[TaskRecord, ...]  # done or unchanged
    projects: frozenset[str]  # the scanned targets the store has a project page for

    def project_of(self, task: TaskRecord) -> str | None:
        """The project a task's target is filed under, when the store has its page."""
        return task.target if task.state in SCANNED and task.target in self.projects else None


def fleet_view(fleet: FleetRecord, projects: Iterable[str]) -> FleetView:
    """`fleet` for the page; `projects`: the targets the store has runs of."""
    scanned = tuple(task for task in fleet.tasks if task.state in SCANNED)
    known = frozenset(projects)
    return FleetView(
        fleet=fleet,
        counts=tuple((state, fleet.count(state)) for state in STATES),
        failed=tuple(task for task in fleet.tasks if task.state is TaskState.FAILED),
        scanned=scanned,
        projects=frozenset(task.target for task in scanned if task.target in known),
    )


def newest_fleet(request: Request) -> FleetRecord | None:
    """The newest fleet run in the dashboard's database; None without one (or without a ledger)."""
    ledger: FleetLedger | None = getattr(request.app.state, "fleet", None)
    return ledger.newest() if ledger is not None else None


NewestFleet = Annotated[FleetRecord | None, Depends(newest_fleet)]
