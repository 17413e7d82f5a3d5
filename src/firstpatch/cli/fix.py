"""`firstpatch fix PATH [--apply] [--branch NAME] [--interactive] [--output DIR]`: verified code
patches (`firstpatch.patch.console`); `firstpatch fix PATH --deps [--apply]`: the smallest safe
upgrade of vulnerable pins.

The command gathers `FileEdit`s from each kind of fix asked for, shows them as one unified diff,
writes them (each file atomically) only with `--apply`, and then scans again to show which
findings are gone. Dependency pins are the first kind; code fixes plug in as another option
whose plan contributes `FileEdit`s and a re-scan the same way `_dependency_plan` does.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from firstpatch.cli.app import app, write_atomically

if TYPE_CHECKING:
    from firstpatch.advisories.upgrade import FileEdit, UpgradePlan


def _dependency_plan(root: Path, db: str | None) -> tuple[UpgradePlan, Callable[[], set[str]]]:
    from firstpatch import inventory
    from firstpatch.advisories.assess import known_vulnerabilities
    from firstpatch.advisories.upgrade import plan_upgrades
    from firstpatch.target import Target

    def findings_now() -> set[str]:
        components, _ = inventory.collect(Target.open(root))
        known = known_vulnerabilities(components, None, db)
        return {
            f"{f.component.name} {f.component.version}: {f.rule_id}" for f in known.findings if f.component
        }

    components, _ = inventory.collect(Target.open(root))
    known = known_vulnerabilities(components, None, db)
    return plan_upgrades(root, known.findings), findings_now


@app.command()
def fix(
    path: Annotated[Path, typer.Argument(help="The project folder.")],
    deps: Annotated[bool, typer.Option("--deps", help="Upgrade vulnerable dependency pins.")] = False,
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the changes (default: only show the diff).")
    ] = False,
    db: Annotated[
        str | None, typer.Option(help="Database URL with the advisory data (default: FIRSTPATCH_DB).")
    ] = None,
    # Code fixes (without --deps): firstpatch.patch.console does the work.
    force: Annotated[
        bool, typer.Option("--force", help="Code: --apply even with uncommitted changes in the tree.")
    ] = False,
    branch: Annotated[
        str | None, typer.Option(help="Code: commit each verified patch on this new git branch.")
    ] = None,
    interactive: Annotated[
        bool, typer.Option("--interactive", "-i", help="Code: ask before taking each patch.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Code: write a .patch file per finding here.")
    ] = None,
    stored: Annotated[
        bool, typer.Option("--stored", help="Code: use the newest stored run of PATH instead of scanning.")
    ] = False,
) -> None:
    """Show, and with --apply write, the fixes firstpatch can make: code patches, or with --deps pins."""
    if not deps:
        from firstpatch.patch.console import fix_code
        from firstpatch.patch.fixes import FixOptions

        options = FixOptions(apply=apply, force=force, branch=branch, output=output)
        console = Console(highlight=False)
        fix_code(path, options, stored=stored, db=db, console=console, interactive=interactive)
        return
    root = path.resolve()
    before_findings: set[str] = set()
    edits: list[FileEdit] = []
    rescans: list[Callable[[], set[str]]] = []
    plan, rescan = _dependency_plan(root, db)
    before_findings |= rescan()
    edits.extend(plan.edits)
    rescans.append(rescan)
    for name, old, new in plan.upgraded:
        typer.echo(f"{name}: {old} -> {new}")
    for edit in edits:
        typer.echo(
            "".join(
                difflib.unified_diff(
                    edit.before.splitlines(keepends=True),
                    edit.after.splitlines(keepends=True),
                    f"a/{edit.path}",
                    f"b/{edit.path}",
                )
            ),
            nl=False,
        )
    for note in plan.notes:
        typer.echo(f"note: {note}")
    if not edits:
        typer.echo("nothing to change")
        return
    if not apply:
        typer.echo("(not written: run again with --apply)")
        return
    for edit in edits:
        write_atomically(root / edit.path, edit.after)
    after_findings: set[str] = set().union(*(r() for r in rescans))
    gone = sorted(before_findings - after_findings)
    typer.echo(
        f"wrote {len(edits)} file(s); re-scan: {len(gone)} finding(s) gone, {len(after_findings)} remain"
    )
    for line in gone:
        typer.echo(f"  fixed: {line}")
    for line in sorted(after_findings):
        typer.echo(f"  remains: {line}")
