"""`firstpatch triage`: listing against deadlines, and decisions kept with who, when and why."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_cli import firstpatch, invoke, lines
from store_samples import DEPENDENCY, DISAPPEARS, PERSISTS, run
from typer.testing import CliRunner

from firstpatch.cli import app
from firstpatch.store import FindingStatus, SqlStore

NOW = datetime.now(UTC)


@pytest.fixture
def project(db_url: str, tmp_path: Path) -> str:
    """A project scanned ten days ago: a patched high, a medium and a critical in KEV."""
    folder = tmp_path / "shop"
    folder.mkdir()
    with SqlStore(db_url) as store:
        store.save_run(
            run("r1", NOW - timedelta(days=10), PERSISTS, DISAPPEARS, DEPENDENCY, target=str(folder))
        )
    return str(folder)


def test_list_shows_each_open_finding_against_its_deadline(db_url: str, project: str) -> None:
    shown = lines(invoke("triage", "list", project, "--db", db_url))
    assert shown[0] == "Severity Status Fingerprint Rule / CWE Location Title Open / allowed Due"
    due = (NOW - timedelta(days=10) + timedelta(days=7)).date().isoformat()
    # Overdue first: the KEV finding has 7 days, and has been open for 10.
    assert shown[2] == (
        f"critical new KEV {DEPENDENCY.fingerprint[:12]} PYSEC-2021-142 requirements.txt:3 "
        f"PyYAML FullLoader runs code 10 / 7 d {due} OVERDUE"
    )
    assert shown[3].startswith(f"high patched {PERSISTS.fingerprint[:12]} py/command-injection app.py:20")
    assert "10 / 30 d" in shown[3]
    assert (
        shown[-1]
        == "3 open (1 overdue, 1 in KEV). Days allowed: kev 7, critical 15, high 30, medium 90, low 180."
    )


def test_a_policy_file_and_options_change_the_deadlines(db_url: str, project: str, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[deadlines]\nhigh = 5\nkev = 'never'\n")
    shown = "\n".join(
        lines(
            invoke(
                "triage", "list", project, "--db", db_url, "--policy", str(policy), "--deadline", "medium=9"
            )
        )
    )
    assert "10 / 5 d" in shown  # high, from the file
    assert "10 / 9 d" in shown  # medium, from the option
    assert "10 / 15 d" in shown  # the KEV critical falls back to critical's deadline
    assert (
        "3 open (2 overdue, 1 in KEV). Days allowed: kev never, critical 15, high 5, medium 9, low 180."
        in shown
    )


def test_accept_then_list_then_log(db_url: str, project: str) -> None:
    said = lines(
        invoke(
            "triage",
            "accept",
            DISAPPEARS.fingerprint[:10],
            "--reason",
            "internal only",
            "--expires",
            "2099-01-31",
            "--who",
            "ana",
            "--db",
            db_url,
        )
    )
    assert said == [
        f"{DISAPPEARS.fingerprint[:12]} (py/sql-injection, db.py:7) is now accepted-risk through 2099-01-31, "
        "by ana: internal only (accepted through 2099-01-31)"
    ]
    listed = "\n".join(lines(invoke("triage", "list", project, "--db", db_url)))
    assert f"medium accepted-risk {DISAPPEARS.fingerprint[:12]}" in listed
    assert "- accepted to 2099-01-31" in listed
    assert "2 open (1 overdue, 1 in KEV)" in listed
    log = lines(invoke("triage", "log", DISAPPEARS.fingerprint, "--db", db_url))
    assert log[0] == f"{DISAPPEARS.fingerprint} in {project}"
    assert log[3].endswith("(none) → new firstpatch r1 first seen in run r1")
    assert log[4].endswith("new → accepted-risk ana - internal only (accepted through 2099-01-31)")


def test_false_positive_and_reopen_as_json(db_url: str, project: str) -> None:
    marked = json.loads(
        invoke(
            "triage",
            "false-positive",
            PERSISTS.fingerprint[:8],
            "-r",
            "a test helper",
            "--who",
            "bo",
            "--db",
            db_url,
            "-f",
            "json",
        )
    )
    assert (marked["status"], marked["window"]) == ("false-positive", None)
    assert marked["status_changed"]["by"] == "bo"
    assert marked["finding"]["rule_id"] == "py/command-injection"
    reopened = json.loads(
        invoke(
            "triage",
            "reopen",
            PERSISTS.fingerprint[:8],
            "-r",
            "it is reachable",
            "--who",
            "cy",
            "--db",
            db_url,
            "-f",
            "json",
        )
    )
    assert reopened["status"] == "reopened"
    assert reopened["window"]["days_open"] == 10  # the exposure never stopped
    assert reopened["window"]["overdue"] is False
    events = json.loads(invoke("triage", "log", PERSISTS.fingerprint[:8], "--db", db_url, "-f", "json"))[
        "events"
    ]
    assert [(e["from"], e["to"], e["who"]) for e in events][-2:] == [
        ("patched", "false-positive", "bo"),
        ("false-positive", "reopened", "cy"),
    ]
    everything = json.loads(invoke("triage", "list", project, "--db", db_url, "--all", "-f", "json"))[
        "findings"
    ]
    assert {f["fingerprint"]: f["status"] for f in everything}[PERSISTS.fingerprint] == "reopened"


def test_who_defaults_to_the_login_name(db_url: str, project: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGNAME", "dee")
    invoke("triage", "false-positive", PERSISTS.fingerprint, "-r", "r", "--db", db_url)
    with SqlStore(db_url) as store:
        tracked = store.tracked_finding(project, PERSISTS.fingerprint)
    assert (tracked.status, tracked.status_by) == (FindingStatus.FALSE_POSITIVE, "dee")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["accept", "ffff", "-r", "x", "--expires", "2099-01-01", "--who", "a"], "no finding 'ffff'"),
        (
            ["accept", "PERSISTS", "-r", "x", "--expires", "2020-01-01", "--who", "a"],
            "would already have expired",
        ),
        (["reopen", "PERSISTS", "-r", "x", "--who", "a"], "the finding is open already (patched)"),
        (["list", ".", "--deadline", "soon"], "--deadline soon: expected KEY=DAYS"),
    ],
)
def test_refusals_are_one_line_errors(db_url: str, project: str, args: list[str], message: str) -> None:
    args = [PERSISTS.fingerprint if a == "PERSISTS" else a for a in args]
    status, stderr = firstpatch("triage", *args, "--db", db_url)
    assert status == 2, stderr
    [line] = stderr.splitlines()
    assert line.startswith("firstpatch: error: ")
    assert message in line


def test_a_bad_policy_file_names_file_and_line(db_url: str, project: str, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("deadlines:\n  high: 30\n  hihg: 3\n")
    status, stderr = firstpatch("triage", "list", project, "--db", db_url, "--policy", policy)
    assert status == 2
    expected = "unknown deadline 'hihg'; expected one of kev, critical, high, medium, low, none"
    assert stderr == f"firstpatch: error: {policy}:3: {expected}\n"


def test_a_date_that_is_not_a_date_is_a_usage_error(db_url: str, project: str) -> None:
    result = CliRunner().invoke(
        app, ["triage", "accept", "x", "-r", "r", "--expires", "next week", "--db", db_url]
    )
    assert result.exit_code == 2
    assert "next week" in result.output


def test_an_acceptance_that_ran_out_shows_as_reopened_and_why(db_url: str, project: str) -> None:
    with SqlStore(db_url) as store:
        store.accept_risk(
            project,
            DISAPPEARS.fingerprint,
            reason="until the migration",
            who="ana",
            expires=(NOW - timedelta(days=2)).date(),
            now=NOW - timedelta(days=5),
        )
    shown = lines(invoke("triage", "list", project, "--db", db_url))
    row = next(n for n, line in enumerate(shown) if DISAPPEARS.fingerprint[:12] in line)
    assert shown[row].startswith(f"medium reopened {DISAPPEARS.fingerprint[:12]} py/sql-injection db.py:7")
    assert shown[row + 1] == "acceptance expired CWE-78"  # the status's second line, beside the CWE
    log = lines(invoke("triage", "log", DISAPPEARS.fingerprint, "--db", db_url))
    last_day = (NOW - timedelta(days=2)).date()
    assert log[-1].endswith(
        f"accepted-risk → reopened firstpatch - risk acceptance expired after {last_day} "
        f"(it was: until the migration (accepted through {last_day}))"
    )
