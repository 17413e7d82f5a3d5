"""`firstpatch prove FINDING`: the newest stored run's finding, proved again from the store."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

import firstpatch.cli.prove  # noqa: F401  (registers the command on the shared app)
from conftest import DEMO, copy_tree, make_finding
from firstpatch.cli.app import app
from firstpatch.errors import UsageError
from firstpatch.model import Fingerprint, Run, RunId
from firstpatch.store import open_store, sqlite_url


@pytest.mark.slow
def test_prove_one_finding_by_fingerprint_prefix(tmp_path: Path) -> None:
    root = copy_tree(DEMO, tmp_path / "demo")
    vulnerable = make_finding("/v/ping", 78, "host")
    safe = make_finding("/s/ping", 78, "host")
    findings = (
        dataclasses.replace(vulnerable, fingerprint=Fingerprint("aa11" + "0" * 28)),
        dataclasses.replace(safe, fingerprint=Fingerprint("bb22" + "0" * 28)),
    )
    url = sqlite_url(tmp_path / "store.db")
    now = datetime.now(UTC)
    open_store(url).save_run(Run(RunId("r1"), str(root), now, now, "test", findings=findings))
    runner = CliRunner()
    script = tmp_path / "reproduce.py"
    confirmed = runner.invoke(app, ["prove", "aa11", "--db", url, "--reproducer", str(script)])
    assert confirmed.exit_code == 0, confirmed.output
    assert "confirmed" in confirmed.output
    assert "os.system" in script.read_text()
    refuted = runner.invoke(app, ["prove", "bb22", "--db", url])
    assert refuted.exit_code == 1, refuted.output
    assert "not-confirmed" in refuted.output
    missing = runner.invoke(app, ["prove", "cc", "--db", url])
    assert isinstance(missing.exception, UsageError)  # main() turns it into one line and exit 2
    assert "no code finding 'cc'" in str(missing.exception)
