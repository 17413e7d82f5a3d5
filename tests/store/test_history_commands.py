"""`firstpatch history` and `firstpatch diff` on real databases of both kinds, as a user runs them."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_cli import firstpatch, invoke, lines
from store_samples import APPEARS, DEPENDENCY, DISAPPEARS, MOVED, PERSISTS, run
from typer.testing import CliRunner

from firstpatch.cli import app
from firstpatch.model import Run
from firstpatch.store import SqlStore

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "shop"
    folder.mkdir()
    return folder


def _runs(project: Path) -> tuple[Run, Run]:
    first = run(
        "a1b2c3d4e5f60718", NOW - timedelta(days=10), PERSISTS, DISAPPEARS, DEPENDENCY, target=str(project)
    )
    second = run("f0e1d2c3b4a59687", NOW - timedelta(days=2), MOVED, APPEARS, DEPENDENCY, target=str(project))
    return first, second


@pytest.fixture
def saved(db_url: str, project: Path) -> tuple[Run, Run]:
    with SqlStore(db_url) as store:
        for each in _runs(project):
            store.save_run(each)
    return _runs(project)


def test_history_lists_runs_newest_first_with_counts(
    db_url: str, project: Path, saved: tuple[Run, Run]
) -> None:
    first, second = saved
    shown = lines(invoke("history", str(project), "--db", db_url))
    assert shown[0] == "Run Started (UTC) Findings Critical High Medium Low New Fixed Stages"
    stages = "inventory, advisories, analysis, prove, patch, rank"
    assert shown[2] == f"f0e1d2c3b4a5 {second.started:%Y-%m-%d %H:%M} 3 1 1 0 1 1 1 {stages}"
    assert shown[3] == f"a1b2c3d4e5f6 {first.started:%Y-%m-%d %H:%M} 3 1 1 1 0 3 0 {stages}"
    assert shown[4] == (
        "2 runs; now 3 open (1 overdue, 1 in KEV), 0 accepted, 0 false positive, 1 fixed "
        "(see `firstpatch triage list`)."
    )


def test_history_as_json(db_url: str, project: Path, saved: tuple[Run, Run]) -> None:
    document = json.loads(invoke("history", str(project), "--db", db_url, "--format", "json", "--limit", "1"))
    assert document["target"] == str(project)
    [newest] = document["runs"]
    assert newest["id"] == "f0e1d2c3b4a59687"
    assert newest["by_severity"] == {"critical": 1, "high": 1, "medium": 0, "low": 1, "none": 0}
    assert (newest["new"], newest["fixed"], newest["findings"]) == (1, 1, 3)
    assert datetime.fromisoformat(newest["started"]) == saved[1].started


def test_history_of_a_project_never_scanned(db_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["history", str(tmp_path), "--db", db_url], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert f"No runs of {tmp_path} are stored" in result.stderr
    assert json.loads(invoke("history", str(tmp_path), "--db", db_url, "-f", "json")) == {
        "target": str(tmp_path),
        "runs": [],
    }


def test_diff_shows_new_fixed_and_still_open(db_url: str, saved: tuple[Run, Run]) -> None:
    shown = lines(invoke("diff", "a1b2", "f0e1", "--db", db_url))
    assert shown[0].startswith("From run a1b2c3d4e5f6 (")
    assert " to run f0e1d2c3b4a5 (" in shown[0]
    text = "\n".join(shown)
    new = text.index("New (1)")
    fixed = text.index("Fixed (1)")
    still = text.index("Still open (2)")
    assert new < fixed < still
    assert (
        f"low py/path-injection files.py:12 py/path-injection finding - {APPEARS.fingerprint[:12]}"
        in text[new:fixed]
    )
    assert (
        f"medium py/sql-injection db.py:7 py/sql-injection finding - {DISAPPEARS.fingerprint[:12]}"
        in text[fixed:still]
    )
    moved = (
        f"high py/command-injection app.py:31 py/command-injection finding untestable "
        f"{PERSISTS.fingerprint[:12]}"
    )
    assert moved in text[still:]
    assert "requirements.txt:3 PyYAML FullLoader runs code" in text[still:]
    assert shown[-1] == "1 new, 1 fixed, 2 still open."
    assert "Not checked" not in text


def test_diff_as_json(db_url: str, saved: tuple[Run, Run]) -> None:
    document = json.loads(
        invoke("diff", "a1b2c3d4e5f60718", "f0e1d2c3b4a59687", "--db", db_url, "-f", "json")
    )
    assert (document["base"]["id"], document["head"]["id"]) == ("a1b2c3d4e5f60718", "f0e1d2c3b4a59687")
    assert [f["fingerprint"] for f in document["new"]] == [APPEARS.fingerprint]
    assert [f["fingerprint"] for f in document["fixed"]] == [DISAPPEARS.fingerprint]
    assert [f["fingerprint"] for f in document["still_open"]] == [MOVED.fingerprint, DEPENDENCY.fingerprint]
    assert document["still_open"][0]["location"]["line"] == 31  # as the newer run saw it
    assert document["not_checked"] == []


def test_hostile_text_from_the_target_is_shown_inert(db_url: str, project: Path) -> None:
    sneaky = type(PERSISTS)(
        **{
            **{f: getattr(PERSISTS, f) for f in PERSISTS.__dataclass_fields__},
            "title": "ok\x1b[2J\u202egnp.exe",
        }
    )
    with SqlStore(db_url) as store:
        store.save_run(run("r1", NOW - timedelta(days=1), target=str(project)))
        store.save_run(run("r2", NOW, sneaky, target=str(project)))
    output = invoke("diff", "r1", "r2", "--db", db_url)
    assert "\x1b" not in output
    assert "\u202e" not in output
    assert "ok\\u001b[2J\\u202egnp.exe" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diff", "zzzz", "a1b2"], "firstpatch: error: no run 'zzzz'"),
        (
            ["history", ".", "--db", "nosuchdb://x/y"],
            "firstpatch: error: nosuchdb://x/y: unknown database kind",
        ),
    ],
)
def test_errors_are_one_line(db_url: str, saved: tuple[Run, Run], args: list[str], message: str) -> None:
    status, stderr = firstpatch(*args, *(["--db", db_url] if "--db" not in args else []))
    assert status == 2, stderr
    [line] = stderr.splitlines()
    assert line.startswith(message)


@pytest.mark.slow
def test_scans_record_runs_whose_findings_move_through_the_lifecycle(db_url: str, tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "vulnerable-flask", demo)
    scan = (
        "scan",
        demo,
        "--no-prove",
        "--format",
        "json",
        "--output",
        tmp_path / "report.json",
        "--db",
        db_url,
    )
    assert firstpatch(*scan)[0] == 1  # the demo is vulnerable on purpose
    requirements = demo / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("pyyaml==5.3", "pyyaml==6.0.2"))
    assert firstpatch(*scan)[0] == 1
    with SqlStore(db_url) as store:
        first, second = reversed(store.run_summaries(str(demo)))
        tracked = {t.finding.rule_id: t for t in store.tracked_findings(str(demo))}
    assert (second.fixed, second.new) == (1, 0)
    assert tracked["PYSEC-2020-96"].status.value == "fixed"  # the PyYAML upgrade closed it
    assert tracked["PYSEC-2020-96"].last_seen == first.id
    assert tracked["py/sql-injection"].status.value == "new"
    assert tracked["py/sql-injection"].first_seen == first.id
    assert tracked["py/sql-injection"].last_seen == second.id
    shown = lines(invoke("diff", first.id, second.id, "--db", db_url))
    assert shown[-1] == f"0 new, 1 fixed, {first.findings - 1} still open."
