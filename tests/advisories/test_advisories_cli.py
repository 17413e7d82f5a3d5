"""`firstpatch db import|status` and a scan against the store: counts and ages, the warning about
stale sources, and a broken manifest listed as skipped in the table, JSON and SARIF reports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from firstpatch.cli import app

DATA = Path("/work/shared/data")
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="offline data not present")


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    data = tmp_path_factory.mktemp("data")
    for package in ("flask", "salt"):
        shutil.copytree(DATA / "osv/pypi/vulns" / package, data / package)
    shutil.copytree(DATA / "kev", data / "kev")
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'fp.db'}"
    result = CliRunner().invoke(app, ["db", "import", str(data), "--db", url])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "OSV records: 56 added, 0 changed, 0 unchanged (PyPI)",
        f"KEV: {data / 'kev' / 'known_exploited_vulnerabilities.json'}: 1404 entries",
        "2 other files passed over (not OSV, KEV or EPSS)",
    ]
    return url


def test_status_lists_each_source_with_its_count_and_age(store_url: str) -> None:
    result = CliRunner().invoke(app, ["db", "status", "--db", store_url])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"advisory store: {store_url}"
    kev, osv = lines[1:]
    assert kev.startswith("kev ")
    assert " 1404 records  data of 2025-08-25 (" in kev
    assert osv.startswith("osv:PyPI ")
    assert " 56 records  data of " in osv
    assert kev.endswith("STALE")
    assert osv.endswith("STALE")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    (root / "requirements.txt").write_text("flask==2.2.4\nsalt==2019.2.0\n")
    (root / "app.py").write_text("import flask\n")
    (root / "poetry.lock").write_text('[[package]]\nname = "x"\nversion = ')  # cut short
    return root


def _scan(project: Path, store_url: str, output: str) -> tuple[str, str]:
    result = CliRunner().invoke(
        app,
        ["scan", str(project), "--db", store_url, "--no-prove", "--no-patch", "--no-store", "-f", output],
    )
    assert result.exit_code == 2, result.output  # the broken lockfile is an input error
    assert "Traceback" not in result.stderr
    return result.stdout, result.stderr


@pytest.mark.slow
def test_a_scan_warns_about_stale_sources_and_lists_the_broken_lockfile_everywhere(
    project: Path, store_url: str
) -> None:
    table, errors = _scan(project, store_url, "table")
    assert "firstpatch: warning: advisory source osv:PyPI is " in errors
    assert "days old; run `firstpatch db update`" in errors
    assert "firstpatch: error: poetry.lock:3: invalid TOML" in errors
    assert "poetry.lock:3  invalid TOML" in table
    assert "PYSEC-2020-102" in table
    assert "KEV" in table  # salt's finding is marked: CVE-2020-11651 is in the catalog

    report = json.loads(_scan(project, store_url, "json")[0])["run"]
    assert {"path": "poetry.lock", "line": 3, "reason": report["skipped"][0]["reason"]} == report["skipped"][
        0
    ]
    salt = next(f for f in report["findings"] if f["component"]["name"] == "salt")
    assert salt["exploitation"]["in_kev"] is True
    assert any(reason.startswith("exploited in the wild (CISA KEV") for reason in salt["risk_reasons"])
    assert "PYSEC-2020-102 (CVE-2020-11651; affected < 2019.2.4 and 1 other range)" in salt["message"]
    assert [f["component"]["name"] for f in report["findings"]] == ["salt", "flask"]  # riskiest first

    sarif = json.loads(_scan(project, store_url, "sarif")[0])["runs"][0]
    (note,) = sarif["invocations"][0]["toolExecutionNotifications"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "poetry.lock"
    assert note["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
