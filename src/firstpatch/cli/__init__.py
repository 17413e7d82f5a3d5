"""The `firstpatch` command: options and wiring only; the stages do the work.

Each command group lives in a module of its own that registers on `app`; importing it here is
what makes it part of the command.
"""

from __future__ import annotations

import sys

from firstpatch.cli import agent, db, fix, fleet, history, prove, rules, sbom, scan, serve, triage  # noqa: F401  (each module registers its commands)
from firstpatch.cli.app import app, error
from firstpatch.errors import FirstpatchError


def main() -> None:
    """Entry point. Typer reports usage errors itself (exit 2); a firstpatch error becomes one
    line on stderr and its exit code, never a traceback."""
    try:
        app()
    except FirstpatchError as exc:
        error(str(exc))
        sys.exit(exc.exit_code)


__all__ = ["app", "main"]
