"""The Typer application every command module registers on, and what they share."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from firstpatch import __version__

app = typer.Typer(
    name="firstpatch",
    help="Find, prove and patch vulnerabilities before attackers do.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stderr = Console(stderr=True)


def error(message: str) -> None:
    """One plain line on stderr: a wrapped or styled error is harder for scripts to read."""
    print(f"firstpatch: error: {message}", file=sys.stderr)


def write_atomically(path: Path, text: str) -> None:
    """Write through a temporary file beside `path` and rename: a reader never sees half a file."""
    from firstpatch.report import ReportError

    try:
        directory = path.resolve().parent
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=directory, delete=False, suffix=".tmp"
        ) as handle:
            handle.write(text)
        Path(handle.name).replace(path)
    except OSError as exc:
        raise ReportError(f"{path}: cannot write: {exc.strerror}") from exc


def _version(value: bool) -> None:
    if value:
        typer.echo(f"firstpatch {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Find, prove and patch vulnerabilities before attackers do."""
