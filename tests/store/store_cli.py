"""Running the `firstpatch` command from the store's command tests, in this process."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from firstpatch.cli import app, main


def invoke(*args: str) -> str:
    """Standard output of a command that must succeed, with tables 180 columns wide."""
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "180"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def lines(output: str) -> list[str]:
    """Each line with runs of spaces collapsed: what a reader sees, whatever the column widths."""
    return [" ".join(line.split()) for line in output.splitlines() if line.strip()]


def firstpatch(*args: str | Path) -> tuple[int, str]:
    """The command as its entry point runs it (errors become one line and an exit status):
    the exit status and standard error."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", ["firstpatch", *map(str, args)])
        stderr = io.StringIO()
        patch.setattr(sys, "stderr", stderr)
        with pytest.raises(SystemExit) as exited:
            main()
    return int(exited.value.code or 0), stderr.getvalue()
