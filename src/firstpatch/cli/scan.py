"""`firstpatch scan`: run the pipeline on a project and report it."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from firstpatch.cli.app import app, error, stderr, write_atomically
from firstpatch.cli.sbom import PythonOption, RootfsOption
from firstpatch.errors import ExitCode
from firstpatch.model import Run, Severity
from firstpatch.report import DEFAULT_FORMAT, FORMATS

if TYPE_CHECKING:
    # What the type checker sees (it cannot read members built at run time); the choices
    # themselves come from the registry below.
    class Format(enum.StrEnum):
        TABLE = "table"
        JSON = "json"
        SARIF = "sarif"
        MARKDOWN = "markdown"
        JUNIT = "junit"
        CYCLONEDX = "cyclonedx"
        VEX = "vex"
        OSV_DRAFT = "osv-draft"
        HTML = "html"
else:
    # One choice per registered reporter: a new reporter is a new `--format` without editing this file.
    Format = enum.StrEnum("Format", {name.upper().replace("-", "_"): name for name in FORMATS})
_DEFAULT_FORMAT = Format(DEFAULT_FORMAT)


TargetPythonOption = Annotated[
    str | None,
    typer.Option(
        "--target-python",
        help="The Python the target runs under in the sandbox; with --install-deps, the one its "
        "environment is created with (default: what the project asks for, when installed).",
    ),
]


class FailOn(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NEVER = "never"


class RichProgress:
    """Stage names and a bar on stderr, only when stderr is a terminal."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("starting", total=None)

    def stage(self, name: str, total: int = 0) -> None:
        self.progress.update(self.task, description=name, total=total or None, completed=0)

    def advance(self) -> None:
        self.progress.advance(self.task)


@app.command()
def scan(
    path: Annotated[Path, typer.Argument(help="The project folder to scan.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Report format.")] = _DEFAULT_FORMAT,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here instead of stdout.")
    ] = None,
    fail_on: Annotated[
        FailOn, typer.Option(help="Exit 1 when a finding is at least this severe.")
    ] = FailOn.HIGH,
    no_prove: Annotated[
        bool, typer.Option("--no-prove", help="Skip running the target to prove findings.")
    ] = False,
    no_patch: Annotated[
        bool, typer.Option("--no-patch", help="Skip proposing and verifying patches.")
    ] = False,
    db: Annotated[
        str | None,
        typer.Option(
            help="Database URL for run history (default: SQLite in the user data folder; FIRSTPATCH_DB)."
        ),
    ] = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Do not record the run in the database.")
    ] = False,
    install_deps: Annotated[
        bool,
        typer.Option(
            "--install-deps",
            help="Install the target's declared requirements into a cached environment the sandbox runs in.",
        ),
    ] = False,
    target_python: TargetPythonOption = None,
    jobs: Annotated[
        int | None,
        typer.Option(min=1, help="Analysis worker processes (default: every core; FIRSTPATCH_JOBS)."),
    ] = None,
    llm: Annotated[
        bool,
        typer.Option(
            "--llm", help="Let a configured language model triage, hunt and patch (see docs/agent.md)."
        ),
    ] = False,
    llm_budget: Annotated[
        str | None, typer.Option(help="With --llm: a budget in tokens and dollars, e.g. 200k,2usd.")
    ] = None,
    python: PythonOption = None,
    rootfs: RootfsOption = None,
    only_fixable: Annotated[
        bool, typer.Option("--only-fixable", help="Report only findings that have a fix or a patch.")
    ] = False,
    min_risk: Annotated[
        float | None, typer.Option(min=0, max=10, help="Report only findings at or above this risk (0-10).")
    ] = None,
    ignore_file: Annotated[
        Path | None,
        typer.Option(
            help="Ignore file with reasons and expiry dates (default: .firstpatch-ignore.yaml/.toml)."
        ),
    ] = None,
) -> None:
    """Scan a project: dependencies, code, proof, patches."""
    import os

    from firstpatch.scan import ScanOptions
    from firstpatch.scan import scan as run_scan

    if jobs is not None:
        os.environ["FIRSTPATCH_JOBS"] = str(jobs)
    options = ScanOptions(
        prove=not no_prove,
        patch=not no_patch and not no_prove,
        install_deps=install_deps,
        target_python=target_python,
        db=db,
        python=python,
        rootfs=rootfs,
    )
    show_progress = stderr.is_terminal
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not show_progress,
    ) as bar:
        outcome = run_scan(path, options, RichProgress(bar))
    run = outcome.run
    if llm:
        run = _with_agent(run, llm_budget)
    if not no_store:
        _store(run, db)  # the store keeps every finding; the filters below shape the report only
    for warning in outcome.warnings:
        print(f"firstpatch: warning: {warning}", file=sys.stderr)
    run = _filtered(run, ignore_file, only_fixable, min_risk)
    _write_report(run, format, output)
    for problem in outcome.input_errors:
        where = f"{problem.path}:{problem.line}" if problem.line else problem.path
        error(f"{where}: {problem.reason}")
    if outcome.input_errors:
        raise typer.Exit(ExitCode.USAGE)
    raise typer.Exit(_exit_code(run, fail_on))


def _filtered(run: Run, ignore_file: Path | None, only_fixable: bool, min_risk: float | None) -> Run:
    from firstpatch.advisories.ignore import apply_ignores, find_ignore_file, load_ignore_file
    from firstpatch.advisories.ignore import min_risk as keep_min_risk
    from firstpatch.advisories.ignore import only_fixable as keep_fixable

    ignore_path = ignore_file or find_ignore_file(Path(run.target))
    if ignore_path is not None:
        filtered = apply_ignores(run, load_ignore_file(ignore_path))
        run = filtered.run
        for note in filtered.notes:
            print(f"firstpatch: {note}", file=sys.stderr)
    if only_fixable:
        run = keep_fixable(run)
    if min_risk is not None:
        run = keep_min_risk(run, min_risk)
    return run


def _with_agent(run: Run, budget: str | None) -> Run:
    """The run with what a configured model proposed and the sandbox proved; unchanged, with a
    one-line note, when no model is configured."""
    from firstpatch.agent import augment_run, parse_budget

    outcome = augment_run(run, budget=parse_budget(budget) if budget else None)
    if outcome is None:
        stderr.print("firstpatch: no language model configured; `firstpatch agent` says how", highlight=False)
        return run
    return outcome.run


def _exit_code(run: Run, fail_on: FailOn) -> ExitCode:
    if fail_on is FailOn.NEVER:
        return ExitCode.CLEAN
    threshold = Severity(fail_on.value).rank
    return ExitCode.FINDINGS if any(f.severity.rank >= threshold for f in run.findings) else ExitCode.CLEAN


def _store(run: Run, db: str | None) -> None:
    from firstpatch.store import default_url, open_store

    open_store(db or default_url()).save_run(run)


def _write_report(run: Run, format: Format, output: Path | None) -> None:
    from firstpatch.analysis.rules import RULES
    from firstpatch.report import Reporter, SarifReporter, TableReporter, reporter_for, write_drafts

    reporter: Reporter
    if format is Format.TABLE:
        reporter = TableReporter(color=output is None and sys.stdout.isatty())
    elif format is Format.SARIF:
        reporter = SarifReporter(rule_docs={rule.id: rule.description for rule in RULES})
    elif format is Format.OSV_DRAFT and output is not None and output.is_dir():
        # An existing folder gets one advisory file per finding, ready to send one by one.
        write_drafts(run, output)
        return
    else:
        reporter = reporter_for(format.value)
    text = reporter.render(run)
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        write_atomically(output, text)
