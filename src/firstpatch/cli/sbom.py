"""`firstpatch sbom`: the inventory as a CycloneDX 1.6 SBOM, and the `--python`/`--rootfs` options
that add installed software to an inventory (used by `scan` too)."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from firstpatch.cli.app import app, error, stderr, write_atomically
from firstpatch.errors import ExitCode, UsageError
from firstpatch.model import Skipped

PythonOption = Annotated[
    Path | None,
    typer.Option(
        "--python",
        help="Also list what is installed for this interpreter, virtual environment or site-packages "
        "(read from disk; the interpreter is not run).",
    ),
]
RootfsOption = Annotated[
    Path | None,
    typer.Option(
        "--rootfs",
        help="Also list the OS packages (dpkg, apk, rpm) and system Python packages of this root "
        "filesystem: an unpacked container image or a mounted disk.",
    ),
]


@app.command()
def sbom(
    path: Annotated[
        Path | None, typer.Argument(help="The project folder whose manifests, lockfiles and SBOMs to read.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the SBOM here instead of stdout.")
    ] = None,
    python: PythonOption = None,
    rootfs: RootfsOption = None,
) -> None:
    """Write the inventory as a CycloneDX 1.6 JSON SBOM, checked against the schema."""
    from firstpatch import __version__, inventory
    from firstpatch.model import Component, Run, RunId
    from firstpatch.report import CycloneDxReporter
    from firstpatch.target import Target

    if path is None and python is None and rootfs is None:
        raise UsageError("give a project folder, --python or --rootfs")
    started = datetime.now(UTC)
    components: list[Component] = []
    problems: list[Skipped] = []
    warnings: list[Skipped] = []
    root = None
    if path is not None:
        target = Target.open(path)
        root = target.root
        found, issues = inventory.collect(target)
        components.extend(found)
        problems.extend(issues)
        warnings.extend(target.skipped)
    installed, issues = inventory.installed_components(python=python, rootfs=rootfs, root=root)
    components.extend(installed)
    problems.extend(issues)
    subject = root or (rootfs.resolve() if rootfs is not None else Path(str(python)).resolve())
    run = Run(
        id=RunId(uuid.uuid4().hex),
        target=str(subject),
        started=started,
        finished=datetime.now(UTC),
        tool_version=__version__,
        components=inventory.merge(components),
        skipped=(*problems, *warnings),
        stages=("inventory",),
    )
    text = CycloneDxReporter().render(run)
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomically(output, text)
        stderr.print(f"{len(run.components)} components written to {output}", highlight=False)
    for skipped in warnings:
        print(f"firstpatch: warning: {_where(skipped)}: {skipped.reason}", file=sys.stderr)
    for problem in problems:
        error(f"{_where(problem)}: {problem.reason}")
    if problems:
        raise typer.Exit(ExitCode.USAGE)  # written all the same, but missing what could not be read


def _where(skipped: Skipped) -> str:
    return f"{skipped.path}:{skipped.line}" if skipped.line else skipped.path
