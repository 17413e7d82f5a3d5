"""`firstpatch prove FINDING`: run the proof of one finding of the newest stored run again."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from firstpatch.cli.app import app, write_atomically
from firstpatch.cli.scan import TargetPythonOption
from firstpatch.errors import ExitCode, UsageError
from firstpatch.model import Finding, FindingKind, ProofStatus, Run


@app.command()
def prove(
    finding: Annotated[
        str, typer.Argument(help="A finding's fingerprint, or a prefix of it that is unique.")
    ],
    path: Annotated[
        Path | None,
        typer.Option(help="The project folder (default: the target the run scanned)."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(help="Database URL (default: SQLite in the user data folder; FIRSTPATCH_DB)."),
    ] = None,
    install_deps: Annotated[
        bool,
        typer.Option(
            "--install-deps",
            help="Install the target's declared requirements into a cached environment for the sandbox.",
        ),
    ] = False,
    target_python: TargetPythonOption = None,
    reproducer: Annotated[
        Path | None, typer.Option(help="Write the reproducer script here when the finding is confirmed.")
    ] = None,
) -> None:
    """Prove one code finding again (read-only on the store): confirmed exits 0, otherwise 1."""
    from firstpatch.prove import prove_in_scan
    from firstpatch.store import default_url, open_store

    store = open_store(db or default_url())
    summaries = store.run_summaries(limit=1)
    if not summaries:
        raise UsageError("the store holds no run: run `firstpatch scan` first")
    run = store.load_run(summaries[0].id)
    chosen = _pick(run, finding)
    root = path or Path(run.target)
    if not root.is_dir():
        raise UsageError(f"{root}: the scanned project folder is not there (give it with --path)")
    evidence = prove_in_scan(root, [chosen], install_deps=install_deps, target_python=target_python).get(
        chosen.fingerprint
    )
    if evidence is None:
        raise UsageError(f"no evidence for {chosen.fingerprint}")
    proved = replace(chosen, evidence=evidence)
    where = f"{proved.location.path}:{proved.location.line}"
    typer.echo(f"{proved.fingerprint[:16]} {proved.rule_id} {where}: {evidence.status.value}")
    typer.echo(evidence.reason)
    if evidence.request:
        typer.echo(evidence.request)
    if reproducer is not None and evidence.reproducer:
        write_atomically(reproducer, evidence.reproducer)
    sys.stdout.flush()
    raise typer.Exit(ExitCode.CLEAN if evidence.status is ProofStatus.CONFIRMED else ExitCode.FINDINGS)


def _pick(run: Run, prefix: str) -> Finding:
    code = [f for f in run.findings if f.kind is FindingKind.CODE]
    matches = [f for f in code if f.fingerprint.startswith(prefix)]
    exact = [f for f in matches if f.fingerprint == prefix]
    if exact:
        return exact[0]
    if not matches:
        raise UsageError(f"no code finding {prefix!r} in the newest run ({run.id}, {run.target})")
    if len(matches) > 1:
        listed = ", ".join(f.fingerprint[:16] for f in matches[:5])
        raise UsageError(
            f"{prefix!r} matches {len(matches)} findings ({listed}…): give more of the fingerprint"
        )
    return matches[0]
