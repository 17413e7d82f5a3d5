"""`firstpatch agent scan` end to end through the CLI, and an unsafe upload proved by a sink oracle."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from agent_scripts import API_KEY, HUNT_IDOR, HUNT_WRONG, copy_fixture
from llm_stand_in import Call, StandIn, Turn
from typer.testing import CliRunner

from firstpatch.agent import AgentConfig, augment_run
from firstpatch.cli import app
from firstpatch.model import ProofStatus
from firstpatch.scan import ScanOptions, scan

pytestmark = pytest.mark.slow
UPLOAD_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "upload-service"


def test_agent_scan_reports_findings_and_shows_hypotheses(tmp_path: Path) -> None:
    target = copy_fixture(tmp_path / "notes-service")
    stand_in = StandIn(
        {
            "Task: hunt entry point app.get_note": HUNT_IDOR,
            "Task: hunt entry point app.list_notes": HUNT_WRONG,
        },
        API_KEY,
    )
    env = {
        "FIRSTPATCH_LLM_CONFIG": str(tmp_path / "absent.toml"),
        "FIRSTPATCH_LLM_PROVIDER": "anthropic",
        "FIRSTPATCH_LLM_MODEL": "scripted-model",
        "FIRSTPATCH_LLM_BASE_URL": stand_in.base,
        "ANTHROPIC_API_KEY": API_KEY,
    }
    (tmp_path / "absent.toml").write_text("")
    report = tmp_path / "report.json"
    try:
        result = CliRunner().invoke(
            app,
            [
                "agent", "scan", str(target), "--phase", "hunt", "--show-hypotheses", "--format", "json",
                "--output", str(report), "--no-store", "--run-dir", str(tmp_path / "run"),
                "--llm-budget", "100k",
            ],
            env=env,
        )  # fmt: skip
    finally:
        stand_in.close()
    assert result.exit_code == 1, result.output
    findings = json.loads(report.read_text())["run"]["findings"]
    idor = next(f for f in findings if f["rule_id"] == "agent/idor")
    assert (idor["location"]["path"], idor["evidence"]["status"]) == ("app.py", "confirmed")
    assert "missing-authorization" in result.stderr  # the refused hypothesis, listed on stderr for JSON
    assert "app.list_notes" in result.stderr
    assert "agent: " in result.stderr
    assert "hypotheses tested, 1 confirmed" in result.stderr
    assert API_KEY not in result.output
    assert (tmp_path / "run" / "transcript.jsonl").is_file()


def test_an_unsafe_upload_is_proved_by_the_html_oracle(tmp_path: Path) -> None:
    target = Path(shutil.copytree(UPLOAD_FIXTURE, tmp_path / "upload-service"))
    upload = {
        "method": "POST",
        "path": "/upload",
        "files": [
            {"field": "file", "filename": "page.html", "content": "<{canary}>", "content_type": "text/html"}
        ],
    }
    script = {
        "Task: hunt entry point app.serve": [
            Turn(
                calls=(
                    Call(
                        "test_injection",
                        {
                            "entry_point": "app.serve",
                            "weakness": "unsafe-upload",
                            "cwe": 79,
                            "claim": "An uploaded .html file is served back as HTML from the site's origin.",
                            "requests": [upload, {"path": "/files/page.html"}],
                        },
                    ),
                )
            ),
            Turn("Stored XSS through the upload."),
        ]
    }
    stand_in = StandIn(script, API_KEY)
    try:
        run = scan(target, ScanOptions(prove=False, patch=False)).run
        config = AgentConfig("openai", "scripted-model", base_url=stand_in.base + "/v1", api_key_env="K")
        outcome = augment_run(
            run, config=config, run_dir=tmp_path / "run", phases=("hunt",), env={"K": API_KEY}
        )
    finally:
        stand_in.close()
    assert outcome is not None
    finding = next(f for f in outcome.run.findings if f.rule_id == "agent/unsafe-upload")
    assert (finding.cwe, finding.location.path, finding.entry_point and finding.entry_point.route) == (
        434,
        "app.py",
        "/files/<name>",
    )
    assert finding.evidence is not None
    assert finding.evidence.status is ProofStatus.CONFIRMED
    assert finding.evidence.event is not None
    assert finding.evidence.event.oracle == "html-unescaped"
    assert not (target / "uploads").exists()  # the upload happened in the sandbox's copy
