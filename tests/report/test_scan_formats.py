"""`firstpatch scan --format F` offers every registered reporter, and writes what it renders."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from firstpatch.cli import app
from firstpatch.report import REPORTERS

APP = """\
import os
from flask import Flask, request

app = Flask(__name__)


@app.route("/run")
def run():
    return str(os.system("echo " + request.args.get("x", "")))
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    (root / "app.py").write_text(APP, encoding="utf-8")
    (root / "requirements.txt").write_text("flask==0.12.2\npyyaml==5.3\n", encoding="utf-8")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo-app"\nversion = "0.3.0"\n', encoding="utf-8"
    )
    return root


def _scan(project: Path, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["scan", str(project), "--no-store", "--no-prove", *options])
    return result.exit_code, result.stdout


def test_help_lists_every_format() -> None:
    # Wide enough that the choices are not wrapped.
    result = CliRunner().invoke(app, ["scan", "--help"], env={"COLUMNS": "300"})
    assert "<" + "|".join(REPORTERS) + ">" in result.stdout


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_every_format_is_written_to_the_output_file(project: Path, tmp_path: Path, name: str) -> None:
    output = tmp_path / f"report.{name}"
    code, _ = _scan(project, "--format", name, "--output", str(output), "--fail-on", "never")
    assert code == 0
    text = output.read_text(encoding="utf-8")
    if name in {"json", "sarif", "cyclonedx", "vex", "osv-draft"}:
        json.loads(text)
    elif name == "junit":
        assert ET.fromstring(text).tag == "testsuites"  # noqa: S314  (our own output)
    elif name == "html":
        assert text.startswith("<!doctype html>")
    if name not in {"osv-draft", "cyclonedx", "vex"}:
        # No confirmed zero-day to draft without proof; SBOM and VEX speak of packages only.
        assert "py/command-injection" in text
    if name in {"cyclonedx", "vex"}:
        assert "pkg:pypi/pyyaml@5.3" in text


def test_osv_drafts_into_an_existing_folder(project: Path, tmp_path: Path) -> None:
    # Without --no-prove nothing is confirmed here either; the folder stays empty, no file is
    # named after it, and the scan still reports its findings by exit code.
    folder = tmp_path / "drafts"
    folder.mkdir()
    code, stdout = _scan(project, "--format", "osv-draft", "--output", str(folder))
    assert code == 1
    assert list(folder.iterdir()) == []
    assert stdout == ""
