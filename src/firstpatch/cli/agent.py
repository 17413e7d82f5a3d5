"""`firstpatch agent`: the optional language-model hunter (scan, then triage, hunt and patch)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

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

# _exit_code is the scan command's own rule, shared so both commands gate CI the same way.
from firstpatch.cli.scan import FailOn, Format, RichProgress, _exit_code
from firstpatch.errors import ExitCode
from firstpatch.model import Run

if TYPE_CHECKING:
    from firstpatch.agent import AgentConfig, AgentReport

agent_app = typer.Typer(
    name="agent",
    help="Optional language-model hunter: it proposes, the sandbox and verification decide.",
    no_args_is_help=False,
    invoke_without_command=True,
)
app.add_typer(agent_app)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--llm-config", help="Agent configuration (TOML); default $FIRSTPATCH_LLM_CONFIG or agent.toml."
    ),
]


@agent_app.callback()
def agent(ctx: typer.Context) -> None:
    """Optional language-model hunter. Without a subcommand: say whether a model is configured."""
    if ctx.invoked_subcommand is None:
        _print_status(None)


@agent_app.command()
def status(llm_config: ConfigOption = None) -> None:
    """Show the configured provider, model, base URL and prices (never the key)."""
    _print_status(llm_config)


@agent_app.command("scan")
def agent_scan(
    path: Annotated[Path, typer.Argument(help="The project folder to scan.")],
    llm_budget: Annotated[
        str | None,
        typer.Option(
            "--llm-budget", help="Budget for this run: tokens and/or dollars, e.g. 200k or 200k,$2."
        ),
    ] = None,
    show_hypotheses: Annotated[
        bool, typer.Option("--show-hypotheses", help="Also list the hypotheses the sandbox did not confirm.")
    ] = False,
    phase: Annotated[
        list[str] | None, typer.Option("--phase", help="Only these phases: triage, hunt, patch (repeatable).")
    ] = None,
    run_dir: Annotated[
        Path | None, typer.Option("--run-dir", help="Folder for the transcript and hypotheses.json.")
    ] = None,
    llm_config: ConfigOption = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Report format.")] = Format.TABLE,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here instead of stdout.")
    ] = None,
    fail_on: Annotated[
        FailOn, typer.Option(help="Exit 1 when a finding is at least this severe.")
    ] = FailOn.HIGH,
    db: Annotated[str | None, typer.Option(help="Database URL for run history (FIRSTPATCH_DB).")] = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Do not record the run in the database.")
    ] = False,
) -> None:
    """Scan a project, then let the configured model triage, hunt and patch under a budget."""
    from firstpatch.agent import PHASES, augment_run, load_config, make_provider, parse_budget
    from firstpatch.scan import ScanOptions
    from firstpatch.scan import scan as run_scan

    config = load_config(llm_config)
    if config is None:
        _print_how_to(sys.stderr)
        raise typer.Exit(ExitCode.USAGE)
    phases = tuple(phase or PHASES)
    unknown = [p for p in phases if p not in PHASES]
    if unknown:
        error(f"--phase: unknown phase {unknown[0]!r}; the phases are {', '.join(PHASES)}")
        raise typer.Exit(ExitCode.USAGE)
    budget = parse_budget(llm_budget) if llm_budget else None
    make_provider(config)  # a missing key is reported now, not after the scan
    with _progress() as bar:
        outcome = run_scan(path, ScanOptions(), RichProgress(bar))
        bar.update(bar.task_ids[0], description=f"agent ({config.provider}: {config.model})", total=None)
        augmented = augment_run(outcome.run, config=config, budget=budget, run_dir=run_dir, phases=phases)
    if augmented is None:  # pragma: no cover - config was checked above
        raise typer.Exit(ExitCode.USAGE)
    run, report = augmented.run, augmented.report
    if not no_store:
        from firstpatch.store import default_url, open_store

        open_store(db or default_url()).save_run(run)
    _write_report(run, format, output)
    if show_hypotheses:
        to_stdout = format is Format.TABLE and output is None
        _print_hypotheses(report, sys.stdout if to_stdout else sys.stderr)
    print(report.summary(), file=sys.stderr)
    print(f"agent: transcript and hypotheses in {report.run_dir}", file=sys.stderr)
    for problem in outcome.input_errors:
        where = f"{problem.path}:{problem.line}" if problem.line else problem.path
        error(f"{where}: {problem.reason}")
    if outcome.input_errors:
        raise typer.Exit(ExitCode.USAGE)
    raise typer.Exit(_exit_code(run, fail_on))


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    )


def _print_status(llm_config: Path | None) -> None:
    from firstpatch.agent import load_config

    config = load_config(llm_config)
    if config is None:
        _print_how_to(sys.stdout)
        return
    _describe(config)


def _describe(config: AgentConfig) -> None:
    import os

    from firstpatch.agent.budget import DEFAULT_LIMIT

    prices = config.model_prices
    price = (
        f"${prices.input:g} in, ${prices.output:g} out per million tokens" if prices else "none configured"
    )
    key = "set" if os.environ.get(config.key_variable) else "not set"
    base = config.base_url or "the provider's default"
    print(f"provider: {config.provider}\nmodel: {config.model}\nbase URL: {base}")
    print(f"API key: {config.key_variable} is {key}\nprices: {price}")
    print(f"budget per run: {(config.budget or DEFAULT_LIMIT).describe()}\nconfigured in: {config.source}")


def _print_how_to(stream: object) -> None:
    from firstpatch.agent import HOW_TO_CONFIGURE, default_config_path

    print(HOW_TO_CONFIGURE.format(path=default_config_path()), file=stream)  # type: ignore[call-overload]


def _print_hypotheses(report: AgentReport, stream: TextIO) -> None:
    """Plain lines rather than a table: they survive narrow terminals, CI logs and grep."""
    unproven = report.unproven
    print(
        f"{len(unproven)} hypotheses the sandbox did not confirm:"
        if unproven
        else "No unconfirmed hypotheses.",
        file=stream,
    )
    for hypothesis in unproven:
        entry, what = hypothesis.entry_point, f"{hypothesis.weakness.value} (CWE-{hypothesis.cwe})"
        print(
            f"{hypothesis.id}  {hypothesis.status.value}  {what}  "
            f"{entry.function} {','.join(entry.methods)} {entry.route}  ({hypothesis.attempts} attempt(s))\n"
            f"    claim (the model's words): {' '.join(hypothesis.claim.split())[:300]}\n"
            f"    why not a finding: {hypothesis.verdict.reason[:300]}",
            file=stream,
        )


def _write_report(run: Run, format: Format, output: Path | None) -> None:
    from firstpatch.agent import agent_rule_docs
    from firstpatch.analysis.rules import RULES
    from firstpatch.report import Reporter, SarifReporter, TableReporter, reporter_for

    reporter: Reporter
    if format is Format.TABLE:
        reporter = TableReporter(color=output is None and sys.stdout.isatty())
    elif format is Format.SARIF:
        reporter = SarifReporter(rule_docs={**{r.id: r.description for r in RULES}, **agent_rule_docs()})
    else:
        reporter = reporter_for(format.value)
    text = reporter.render(run)
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        write_atomically(output, text)
