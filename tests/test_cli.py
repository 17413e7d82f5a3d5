"""The command line as a user meets it: exit codes, one-line errors, reports, and no execution."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from firstpatch.model import schema

# The offline data set lies beside the repository (CI lays a copy of it there too).
SHARED = next(
    (p for p in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")) if p.is_dir()),
    Path(__file__).resolve().parents[2] / "shared",
)
VULNERABLE_ROUTE = """\
import os
from flask import Flask, request

app = Flask(__name__)


@app.route("/run")
def run():
    return str(os.system("echo " + request.args.get("x", "")))
"""


def firstpatch(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "firstpatch", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        timeout=300,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("firstpatch: error:")]
    assert errors, result.stderr
    for fragment in fragments:
        assert any(fragment in line for line in errors), result.stderr


def test_missing_path_is_a_one_line_error(tmp_path: Path) -> None:
    result = firstpatch("scan", tmp_path / "nowhere", "--no-store")
    assert_one_line_error(result, "nowhere", "no such file or directory")


def test_folder_without_a_python_project_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("nothing to scan here\n")
    result = firstpatch("scan", tmp_path, "--no-store")
    assert_one_line_error(result, "holds no Python project")


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    result = firstpatch("scan", tmp_path, "--format", "yaml", "--no-store")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_unreadable_requirements_line_names_file_and_line_and_keeps_the_report(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask==0.12.2\nthis is not a requirement !!\n")
    report = tmp_path / "out.json"
    result = firstpatch("scan", tmp_path, "--no-store", "--format", "json", "--output", report)
    assert_one_line_error(result, "requirements.txt:2")
    document = json.loads(report.read_text())
    jsonschema.validate(document, schema())
    skipped = {(s["path"], s["line"]) for s in document["run"]["skipped"]}
    assert ("requirements.txt", 2) in skipped
    flagged = {f["component"]["name"] for f in document["run"]["findings"] if f["kind"] == "dependency"}
    assert "flask" in flagged  # the readable line was still matched


def test_syntax_error_is_skipped_and_the_scan_goes_on(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def broken(:\n    pass\n")
    (tmp_path / "app.py").write_text(VULNERABLE_ROUTE)
    report = tmp_path / "out.json"
    result = firstpatch("scan", tmp_path, "--no-store", "--no-prove", "--format", "json", "-o", report)
    assert result.returncode == 1, result.stderr
    run = json.loads(report.read_text())["run"]
    assert [s["path"] for s in run["skipped"]] == ["broken.py"]
    assert run["skipped"][0]["line"] == 1
    assert [(f["rule_id"], f["location"]["path"], f["location"]["line"]) for f in run["findings"]] == [
        ("py/command-injection", "app.py", 9)
    ]


def test_fail_on_never_exits_clean(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(VULNERABLE_ROUTE)
    result = firstpatch("scan", tmp_path, "--no-store", "--no-prove", "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    assert "py/command-injection" in result.stdout


def test_sarif_output_validates_against_the_sarif_schema(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(VULNERABLE_ROUTE)
    report = tmp_path / "out.sarif"
    result = firstpatch("scan", tmp_path, "--no-store", "--no-prove", "--format", "sarif", "-o", report)
    assert result.returncode == 1, result.stderr
    sarif = json.loads(report.read_text())
    sarif_schema = json.loads((SHARED / "data/sarif-schema/sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(sarif_schema).validate(sarif)
    (result_,) = sarif["runs"][0]["results"]
    assert result_["ruleId"] == "py/command-injection"
    assert result_["locations"][0]["physicalLocation"]["region"]["startLine"] == 9


@pytest.mark.parametrize("marker_writer", ["app.py", "conftest.py", "setup.py", "pkg/__init__.py"])
def test_static_scan_never_executes_the_target(tmp_path: Path, marker_writer: str) -> None:
    marker = tmp_path.parent / f"marker-{tmp_path.name}-{marker_writer.replace('/', '-')}"
    payload = f"open({str(marker)!r}, 'w').write('ran')\n"
    target = tmp_path / "target"
    (target / "pkg").mkdir(parents=True)
    for name in ("app.py", "conftest.py", "setup.py", "pkg/__init__.py"):
        (target / name).write_text(payload if name == marker_writer else "x = 1\n")
    (target / "app.py").write_text((target / "app.py").read_text() + VULNERABLE_ROUTE)
    result = firstpatch("scan", target, "--no-store", "--no-prove", "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    assert not marker.exists(), f"{marker_writer} was executed by a static scan"


def test_a_fifo_named_like_a_manifest_is_skipped_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "requirements.txt")  # reading it would block forever
    (tmp_path / "app.py").write_text("x = 1\n")
    report = tmp_path / "out.json"
    result = firstpatch("scan", tmp_path, "--no-store", "--no-prove", "--format", "json", "-o", report)
    assert result.returncode == 0, result.stderr
    skipped = json.loads(report.read_text())["run"]["skipped"]
    assert {"path": "requirements.txt", "line": 0, "reason": "not a regular file"} in skipped
