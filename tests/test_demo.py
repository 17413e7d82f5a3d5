"""The README's promise, end to end: every planted vulnerability of the demo is reported,
confirmed by a reproducer and given a verified patch; every vulnerable pin gets its fix
version; no safe look-alike is reported; and the demo's own files are left as they were."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from firstpatch.model import schema

DEMO = Path(__file__).resolve().parents[1] / "examples" / "vulnerable-flask"

# (rule, file, the code at the sink) for each planted vulnerability, as the demo's README lists them.
PLANTED = {
    ("py/command-injection", "app.py", "os.system(command)"),
    ("py/sql-injection", "notes/store.py", "connection.execute(query)"),
    ("py/path-injection", "app.py", "open(os.path.join(FILES_DIR, name))"),
    ("py/code-injection", "app.py", "eval(value)"),
    ("py/unsafe-deserialization", "app.py", "pickle.loads(request.get_data())"),
    ("py/unsafe-deserialization", "app.py", "yaml.load(request.get_data(as_text=True), Loader=yaml.Loader)"),
    ("py/reflected-xss", "app.py", 'f"<h1>Hello {name}!</h1>"'),
}
VULNERABLE_PINS = {"flask", "jinja2", "pyyaml", "requests"}


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, str]:
    work = tmp_path_factory.mktemp("demo")
    target = work / "vulnerable-flask"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("__pycache__"))
    before = tree_digest(target)
    report = work / "report.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "firstpatch",
            "scan",
            str(target),
            "--format",
            "json",
            "-o",
            str(report),
            "--db",
            f"sqlite:///{work / 'runs.db'}",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode == 1, result.stderr
    document = json.loads(report.read_text())
    jsonschema.validate(document, schema())
    return document["run"], target, before


@pytest.mark.slow
def test_every_planted_vulnerability_is_reported_confirmed_and_patched(
    demo_run: tuple[dict, Path, str],
) -> None:
    run, _, _ = demo_run
    code = [f for f in run["findings"] if f["kind"] == "code"]
    found = {(f["rule_id"], f["location"]["path"], f["location"]["snippet"]) for f in code}
    assert found == PLANTED
    for finding in code:
        where = f"{finding['rule_id']} at {finding['location']['path']}:{finding['location']['line']}"
        assert finding["entry_point"]["route"].startswith("/v/"), where
        evidence = finding["evidence"]
        assert evidence["status"] == "confirmed", (where, evidence["reason"])
        assert evidence["reproducer"], where
        assert evidence["request"].startswith("curl"), where
        patch = finding["patch"]
        assert patch is not None, where
        assert patch["status"] == "verified", (where, patch["checks"])
        assert patch["diff"].startswith("--- a/"), where


@pytest.mark.slow
def test_every_vulnerable_pin_gets_its_fix_version(demo_run: tuple[dict, Path, str]) -> None:
    run, _, _ = demo_run
    dependencies = {f["component"]["name"]: f for f in run["findings"] if f["kind"] == "dependency"}
    assert set(dependencies) == VULNERABLE_PINS
    assert dependencies["pyyaml"]["fix_version"] == "5.4"
    flask_at = dependencies["flask"]["location"]
    assert (flask_at["path"], flask_at["line"]) == ("requirements.txt", 2)
    for name, finding in dependencies.items():
        assert finding["fix_version"], name
        assert finding["advisory_ids"], name


@pytest.mark.slow
def test_the_demo_tree_is_left_untouched(demo_run: tuple[dict, Path, str]) -> None:
    _, target, before = demo_run
    assert tree_digest(target) == before
