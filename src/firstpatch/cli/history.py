"""`firstpatch history` and `firstpatch diff`: a project's runs, and what changed between two."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from firstpatch.cli.app import app
from firstpatch.cli.lifecycle_views import (
    Screen,
    ViewFormat,
    diff_json,
    diff_sections,
    findings_table,
    moment,
    runs_table,
    safe,
    short,
    summary_json,
)

if TYPE_CHECKING:
    from firstpatch.store import ProjectSummary, Store

DbOption = Annotated[
    str | None,
    typer.Option(help="Database URL (default: $FIRSTPATCH_DB, else SQLite in the user data folder)."),
]
FormatOption = Annotated[ViewFormat, typer.Option("--format", "-f", help="Output format.")]


def open_database(db: str | None) -> Store:
    """The store at `db` or the default one; imported late so that `--help` stays fast."""
    from firstpatch.store import default_url, open_store

    return open_store(db or default_url())


def target_of(path: Path) -> str:
    """The project name runs are stored under: the scanned folder's absolute, resolved path."""
    return str(path.expanduser().resolve())


def print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


@app.command()
def history(
    path: Annotated[Path, typer.Argument(help="The project folder that was scanned.")] = Path(),
    db: DbOption = None,
    format: FormatOption = ViewFormat.TABLE,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="Show only the newest N runs.")
    ] = None,
) -> None:
    """List a project's runs, newest first, with their findings counted."""
    target = target_of(path)
    store = open_database(db)
    try:
        summaries = store.run_summaries(target, limit)
        projects = {p.target: p for p in store.projects()} if summaries else {}
    finally:
        store.close()
    if format is ViewFormat.JSON:
        print_json({"target": target, "runs": [summary_json(s) for s in summaries]})
        return
    if not summaries:
        typer.echo(
            f"No runs of {safe(target)} are stored; `firstpatch scan {safe(str(path))}` records one.",
            err=True,
        )
        return
    with Screen() as out:
        out.print(runs_table(summaries))
        project = projects.get(target)
        if project is not None:
            out.print(Text(_project_line(project), style="bold"))


def _project_line(project: ProjectSummary) -> str:
    from firstpatch.store import FindingStatus

    runs = f"{project.runs} run{'s' if project.runs != 1 else ''}"
    return (
        f"{runs}; now {sum(project.open_by_severity.values())} open ({project.overdue} overdue, "
        f"{project.open_in_kev} in KEV), {project.by_status[FindingStatus.ACCEPTED_RISK]} accepted, "
        f"{project.by_status[FindingStatus.FALSE_POSITIVE]} false positive, "
        f"{project.by_status[FindingStatus.FIXED]} fixed (see `firstpatch triage list`)."
    )


@app.command()
def diff(
    base: Annotated[str, typer.Argument(help="The older run: its id or a unique start of it.")],
    head: Annotated[str, typer.Argument(help="The newer run: its id or a unique start of it.")],
    db: DbOption = None,
    format: FormatOption = ViewFormat.TABLE,
) -> None:
    """Show the findings that are new, fixed and still open from one run to another."""
    store = open_database(db)
    try:
        changes = store.diff_runs(store.resolve_run(base), store.resolve_run(head))
    finally:
        store.close()
    if format is ViewFormat.JSON:
        print_json(diff_json(changes))
        return
    with Screen() as out:
        older, newer = changes.base, changes.head
        out.print(
            Text(
                f"From run {short(older.id)} ({moment(older.started)} UTC, {safe(older.target)}) "
                f"to run {short(newer.id)} ({moment(newer.started)} UTC, {safe(newer.target)})",
                style="bold",
            )
        )
        counts = []
        for heading, findings in diff_sections(changes):
            if not findings and heading.startswith("Not checked"):
                continue
            counts.append(f"{len(findings)} {heading.lower()}")
            out.print()
            out.print(Text(f"{heading} ({len(findings)})", style="bold"))
            if findings:
                out.print(findings_table(findings))
        out.print()
        out.print(Text(", ".join(counts) + ".", style="bold"))
