"""The code-fix side of `firstpatch fix PATH`, as the CLI runs it: get a run, show each patch
as a coloured diff under its finding, ask when interactive, and carry out what was asked.

The CLI module only parses options and calls `fix_code`; stages do the work (scan, store,
`patch.fixes`), this module talks to the person.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.syntax import Syntax

from firstpatch.errors import UsageError
from firstpatch.model import Finding, PatchStatus, Run
from firstpatch.patch.apply import CodeFix
from firstpatch.patch.fixes import FixOptions, FixOutcome, carry_out, code_fixes


def fix_code(
    path: Path,
    options: FixOptions,
    *,
    stored: bool,
    db: str | None,
    console: Console,
    interactive: bool = False,
    ask: Callable[[str], str] | None = None,
) -> FixOutcome:
    """Patches for the code findings of PATH: shown, and written as `options` say."""
    from firstpatch import prove
    from firstpatch.analysis.engine import TaintAnalyzer
    from firstpatch.target import Target

    root = Target.open(path).root
    analyzer = TaintAnalyzer()

    def rescan(tree: Path) -> tuple[Finding, ...]:
        return analyzer.analyze(Target.open(tree)).findings

    run = _stored_run(root, db) if stored else _scan(root)
    fixes = list(code_fixes(root, run, prove.DRIVERS, rescan))
    if not fixes:
        console.print(f"No code finding of {root} has a patch (patches are made for confirmed findings).")
        return FixOutcome((), (), False)
    for fix in fixes:
        show(console, fix)
    if interactive:
        question = ask or (lambda text: console.input(text, markup=False))
        options = FixOptions(
            options.apply, options.force, options.branch, options.output, _asker(console, question)
        )
    outcome = carry_out(root, fixes, options, rescan)
    _summary(console, outcome, options)
    return outcome


def show(console: Console, fix: CodeFix) -> None:
    """The finding, its patch's status and checks, and the diff in colour."""
    verified = fix.patch.status is PatchStatus.VERIFIED
    colour = "green" if verified else "yellow"
    console.rule(f"[bold]{fix.title}[/bold]", align="left")
    console.print(f"{fix.finding.title}: {fix.finding.message}", markup=False, highlight=False)
    console.print(f"[{colour}]patch {fix.patch.status.value}[/{colour}]: ", end="")
    console.print(fix.patch.description, markup=False, highlight=False)
    for check in fix.patch.checks:
        mark = "[green]✓[/green]" if check.passed else "[red]✗[/red]"
        console.print(f"  {mark} {check.name}: ", end="")
        console.print(check.detail, markup=False, highlight=False)
    if console.is_terminal:
        console.print(Syntax(fix.patch.diff, "diff", theme="ansi_dark", background_color="default"))
    else:  # a file or a pipe gets the diff as it is, never wrapped to a width
        console.out(fix.patch.diff, end="", highlight=False)


def _asker(console: Console, question: Callable[[str], str]) -> Callable[[CodeFix], bool]:
    def ask(fix: CodeFix) -> bool:
        answer = question(f"Take the patch for {fix.title}? [y/N] ")
        return answer.strip().lower() in ("y", "yes")

    return ask


def _summary(console: Console, outcome: FixOutcome, options: FixOptions) -> None:
    verified = sum(fix.patch.status is PatchStatus.VERIFIED for fix in outcome.fixes)
    console.print(f"{len(outcome.fixes)} patch(es), {verified} verified; {len(outcome.chosen)} chosen.")
    for file in outcome.patch_files:
        console.print(f"wrote {file}", markup=False)
    if outcome.commits:
        console.print(
            f"branch {options.branch}: {len(outcome.commits)} commit(s), one per finding", markup=False
        )
    if outcome.applied:
        console.print("wrote the chosen patches into the working tree")
    elif not (options.apply or options.branch or options.output):
        console.print("(nothing written: --apply writes the verified patches, --branch commits them)")


def _scan(root: Path) -> Run:
    from firstpatch.scan import ScanOptions, scan

    return scan(root, ScanOptions(prove=True, patch=True)).run


def _stored_run(root: Path, db: str | None) -> Run:
    from firstpatch.store import default_url, open_store

    store = open_store(db or default_url())
    summaries = store.run_summaries(target=str(root), limit=1)
    if not summaries:
        raise UsageError(f"the store holds no run of {root}: run `firstpatch scan {root}` first")
    return store.load_run(summaries[0].id)
