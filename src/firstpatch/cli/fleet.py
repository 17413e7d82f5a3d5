"""`firstpatch fleet scan|status`: many targets scanned on Ray into one store."""

from __future__ import annotations

import enum
import json
import shutil
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from firstpatch.cli.app import app, error, stderr
from firstpatch.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from firstpatch.fleet import FleetRecord, FleetStatus, FleetTarget, TaskState

fleet_app = typer.Typer(
    name="fleet",
    help="Scan many targets on Ray into one store, and see how a fleet run went.",
    no_args_is_help=True,
)
app.add_typer(fleet_app)

INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C


class StatusFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"


_DB_HELP = "Database URL of the store (default: SQLite in the user data folder; FIRSTPATCH_DB)."


@fleet_app.command("scan")
def scan(
    targets: Annotated[
        Path, typer.Argument(help="TARGETS.txt (one target a line) or TARGETS.yaml (with per-target limits).")
    ],
    db: Annotated[str | None, typer.Option(help=_DB_HELP)] = None,
    ray_address: Annotated[
        str | None, typer.Option(help="Join this Ray cluster (e.g. 10.0.0.5:6379) instead of starting one.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="CPUs of the local Ray instance (default: one per core).")
    ] = None,
    prove: Annotated[
        bool, typer.Option("--prove/--no-prove", help="Prove code findings in each task's sandbox.")
    ] = False,
    patch: Annotated[
        bool, typer.Option("--patch/--no-patch", help="With --prove: propose and verify patches.")
    ] = True,
    timeout: Annotated[float, typer.Option(help="Seconds a target may take.", min=1)] = 900.0,
    memory_mb: Annotated[int, typer.Option(help="MiB of memory a target's task may use.", min=64)] = 2048,
    retries: Annotated[
        int, typer.Option(help="Retries of a task that failed for a transient reason.", min=0)
    ] = 2,
) -> None:
    """Scan every target of a list, each as a Ray task; results go to the store as they finish.

    A re-run skips the targets already scanned at the same commit or content with the same
    firstpatch and advisories: after Ctrl-C, it resumes with the rest. Exit 0 when every
    target was scanned, 1 when some failed (see `firstpatch fleet status`), 2 for a bad list
    entry or option, 130 when interrupted.
    """
    from firstpatch.fleet import FleetSettings, ray_cluster, read_targets, run_fleet
    from firstpatch.store import default_url

    if ray_address and workers is not None:
        raise UsageError(
            "--workers sizes a local Ray instance; a cluster joined with --ray-address has its own"
        )
    listed = read_targets(targets)
    for problem in listed.problems:
        error(f"{problem.path}:{problem.line}: {problem.reason}")
    if not listed.targets:
        raise UsageError(f"{targets}: no targets to scan")
    settings = FleetSettings(prove=prove, patch=patch, timeout=timeout, memory_mb=memory_mb, retries=retries)
    url = db or default_url()
    try:
        with ray_cluster(ray_address, workers) as cluster:
            # After ray.init, which sets a SIGTERM handler that exits at once: a service manager
            # or a CI runner stopping the fleet gets the same clean stop as Ctrl-C.
            signal.signal(signal.SIGTERM, _interrupt)
            stderr.print(f"fleet: {len(listed.targets)} targets on {cluster.description}", highlight=False)
            with _progress() as bar:
                observer = _BarObserver(bar, len(listed.targets))
                record = run_fleet(listed.targets, settings, url, source=str(targets), observer=observer)
    except KeyboardInterrupt:
        error("interrupted")
        raise typer.Exit(INTERRUPTED) from None
    print(_summary(record))
    raise typer.Exit(_exit_code(record, bool(listed.problems)))


@fleet_app.command("status")
def status(
    db: Annotated[str | None, typer.Option(help=_DB_HELP)] = None,
    fleet: Annotated[
        str | None, typer.Option(help="The fleet run's id, or the start of it (default: the newest).")
    ] = None,
    format: Annotated[
        StatusFormat, typer.Option("--format", "-f", help="Output format.")
    ] = StatusFormat.TABLE,
) -> None:
    """Summarise a fleet run: targets done, failed (with why) and pending, and the open findings
    across its projects."""
    from firstpatch.fleet import fleet_status
    from firstpatch.store import default_url

    found = fleet_status(db or default_url(), fleet)
    if format is StatusFormat.JSON:
        print(json.dumps(_document(found), indent=2))
    else:
        _print_status(found)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class _BarObserver:
    """Counts on the bar, and one line per finished target above it (or in the log)."""

    def __init__(self, bar: Progress, total: int) -> None:
        self.bar = bar
        self.task = bar.add_task("fleet", total=total, done=0, failed=0, running=0)
        self.done = self.failed = self.running = 0

    def started(self, target: FleetTarget) -> None:
        self.running += 1
        self._show()

    def settled(self, target: FleetTarget, state: TaskState, detail: str) -> None:
        from firstpatch.fleet import TaskState

        self.running -= 1
        if state is TaskState.FAILED:
            self.failed += 1
        else:
            self.done += 1
        self.bar.advance(self.task)
        self._show()
        line = f"{state.value:<9} {target.name}  {detail}"
        if self.bar.live.is_started and stderr.is_terminal:
            self.bar.console.print(line, markup=False, highlight=False)
        else:
            print(line, file=sys.stderr, flush=True)

    def _show(self) -> None:
        self.bar.update(self.task, done=self.done, failed=self.failed, running=self.running)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "{task.fields[done]} done · {task.fields[failed]} failed · {task.fields[running]} running"
        ),
        TimeElapsedColumn(),
        console=stderr,
        disable=not stderr.is_terminal,
    )


def _summary(record: FleetRecord) -> str:
    from firstpatch.fleet import TaskState

    done, unchanged = record.count(TaskState.DONE), record.count(TaskState.UNCHANGED)
    failed, pending = record.count(TaskState.FAILED), record.count(TaskState.PENDING, TaskState.RUNNING)
    return (
        f"fleet {record.id[:12]} {record.state.value}: {done} scanned, {unchanged} unchanged, "
        f"{failed} failed, {pending} pending (details: firstpatch fleet status --fleet {record.id[:12]})"
    )


def _exit_code(record: FleetRecord, bad_entries: bool) -> int:
    from firstpatch.fleet import FleetState, TaskState

    if record.state is FleetState.INTERRUPTED:
        return INTERRUPTED
    if bad_entries:
        return ExitCode.USAGE
    return ExitCode.FINDINGS if record.count(TaskState.FAILED) else ExitCode.CLEAN


def _print_status(found: FleetStatus) -> None:
    from firstpatch.fleet import SEVERITIES, TaskState

    record = found.fleet
    # Plain lines are printed whole (a terminal may wrap them, a log keeps them greppable);
    # only the tables are laid out to the width.
    finished = f", finished {record.finished:%Y-%m-%d %H:%M:%S} UTC" if record.finished else ""
    print(
        f"fleet {record.id} from {record.source}: {record.state.value} "
        f"(started {record.started:%Y-%m-%d %H:%M:%S} UTC{finished})"
    )
    counts = ", ".join(f"{record.count(state)} {state.value}" for state in TaskState)
    print(f"{len(record.tasks)} targets: {counts}")
    for task in record.tasks:
        if task.state is TaskState.FAILED:
            print(f"failed   {task.target}: {task.reason or 'no reason recorded'}")
        elif task.state in (TaskState.PENDING, TaskState.RUNNING):
            print(f"{task.state.value:<8} {task.target}")
    sys.stdout.flush()

    console = Console(width=shutil.get_terminal_size(fallback=(120, 24)).columns, highlight=False)
    table = Table("project", *(severity.value for severity in SEVERITIES), "open", title_justify="left")
    projects = len(found.projects)
    table.title = f"Open findings across {projects} project{'s' * (projects != 1)}: {found.open_total()}"
    for project in found.projects:
        table.add_row(Text(project.target), *map(str, project.counts), str(project.total))
    console.print(table)


def _document(found: FleetStatus) -> dict[str, Any]:
    from firstpatch.fleet import SEVERITIES, TaskState

    record = found.fleet

    def moment(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "fleet": {
            "id": record.id,
            "source": record.source,
            "state": record.state.value,
            "started": moment(record.started),
            "finished": moment(record.finished),
            "configuration": record.configuration,
            "settings": record.settings,
        },
        "counts": {state.value: record.count(state) for state in TaskState},
        "tasks": [
            {
                "target": task.target,
                "kind": task.kind,
                "state": task.state.value,
                "revision": task.revision,
                "run_id": task.run_id,
                "reason": task.reason,
                "started": moment(task.started),
                "finished": moment(task.finished),
            }
            for task in record.tasks
        ],
        "open_findings": {
            "total": found.open_total(),
            "by_severity": {severity.value: found.open_total(severity) for severity in SEVERITIES},
            "projects": [
                {
                    "target": project.target,
                    "total": project.total,
                    "by_severity": dict(zip((s.value for s in SEVERITIES), project.counts, strict=True)),
                }
                for project in found.projects
            ],
        },
    }
