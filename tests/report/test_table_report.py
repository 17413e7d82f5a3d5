"""The terminal table: worst first, hostile text defused, colour only when asked for."""

from __future__ import annotations

import dataclasses

import pytest

from firstpatch.model import Evidence, Location, ProofStatus, Run, Severity
from firstpatch.report import TableReporter


def _rows(text: str) -> list[str]:
    """The table's body lines that start a row (a risk score, then a severity)."""
    severities = {s.value for s in Severity}
    return [
        line
        for line in text.splitlines()
        if len(words := line.split()) > 1 and words[0].replace(".", "").isdigit() and words[1] in severities
    ]


def test_rows_of_equal_risk_are_sorted_by_severity_then_proof(sample_run: Run) -> None:
    base = sample_run.findings[0]
    unproved = dataclasses.replace(base, title="third", severity=Severity.HIGH, evidence=None)
    refuted = dataclasses.replace(
        base, title="fourth", severity=Severity.HIGH, evidence=Evidence(ProofStatus.NOT_CONFIRMED, "no event")
    )
    confirmed = dataclasses.replace(
        base, title="second", severity=Severity.HIGH, evidence=Evidence(ProofStatus.CONFIRMED, "event")
    )
    critical = dataclasses.replace(base, title="first", severity=Severity.CRITICAL, evidence=None)
    run = dataclasses.replace(sample_run, findings=(refuted, unproved, confirmed, critical), skipped=())
    expected = ["first", "second", "third", "fourth"]
    rows = _rows(TableReporter(width=160).render(run))
    assert [next(title for title in expected if f" {title} " in row) for row in rows] == expected


def test_dependency_rows_show_the_manifest_line_and_the_upgrade(sample_run: Run) -> None:
    text = TableReporter(width=160).render(sample_run)
    (row,) = [row for row in _rows(text) if "PYSEC-2021-142" in row]
    assert "requirements.txt:3" in row
    assert "upgrade to 5.4" in row
    # The row after it carries the KEV mark under the severity.
    lines = text.splitlines()
    assert lines[lines.index(row) + 1].split()[0] == "KEV"


def test_rows_are_sorted_by_risk_first(sample_run: Run) -> None:
    base = sample_run.findings[0]
    low = dataclasses.replace(base, title="second", severity=Severity.CRITICAL, risk=4.0)
    high = dataclasses.replace(base, title="first", severity=Severity.MEDIUM, risk=9.5)
    rows = _rows(TableReporter(width=160).render(dataclasses.replace(sample_run, findings=(low, high))))
    assert [row.split()[0] for row in rows] == ["9.5", "4.0"]


def test_dependency_without_a_fixed_version_says_so(sample_run: Run) -> None:
    finding = dataclasses.replace(sample_run.findings[1], fix_version=None)
    text = TableReporter(width=160).render(dataclasses.replace(sample_run, findings=(finding,)))
    assert "no fixed version" in text


def test_skipped_inputs_follow_the_table_and_the_summary_ends_it(sample_run: Run) -> None:
    lines = TableReporter(width=160).render(sample_run).splitlines()
    summary = "6 findings (2 critical, 3 high, 1 medium); 1 confirmed; 1 verified patch; 2 inputs skipped."
    assert lines[-1] == summary
    skipped_at = lines.index("Skipped 2 inputs:")
    assert lines[skipped_at + 1].split() == ["broken.py:3", "does", "not", "parse:", "invalid", "syntax"]
    assert skipped_at > max(lines.index(row) for row in _rows("\n".join(lines)))


def test_an_empty_run_says_so(sample_run: Run) -> None:
    empty = dataclasses.replace(sample_run, findings=(), skipped=())
    assert TableReporter().render(empty) == "No findings.\n"


@pytest.mark.parametrize(
    ("hostile", "shown"),
    [
        ("evil\x1b[2J.py", "evil\\u001b[2J.py"),  # an ANSI escape that would clear the screen
        ("admin\u202eyp.txt", "admin\\u202eyp.txt"),  # a right-to-left override
        ("[bold red]not markup[/]", "[bold red]not markup[/]"),  # shown literally, not styled
    ],
)
def test_target_controlled_text_cannot_drive_the_terminal(sample_run: Run, hostile: str, shown: str) -> None:
    finding = dataclasses.replace(sample_run.findings[0], title=hostile, location=Location(hostile, 1))
    run = dataclasses.replace(sample_run, findings=(finding,), skipped=())
    for color in (False, True):
        text = TableReporter(color=color, width=200).render(run)
        assert "\x1b[2J" not in text
        assert "\u202e" not in text
        assert text.count(shown) == 2  # in the location and the title


def test_colour_only_when_asked_for(sample_run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    # The caller decides, whatever the environment says.
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" not in TableReporter(color=False).render(sample_run)
    monkeypatch.delenv("FORCE_COLOR")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" in TableReporter(color=True).render(sample_run)


def test_no_trailing_spaces(sample_run: Run) -> None:
    text = TableReporter(width=120).render(sample_run)
    assert all(line == line.rstrip() for line in text.splitlines())


def test_width_defaults_to_columns(sample_run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "70")
    text = TableReporter().render(sample_run)
    assert max(len(line) for line in text.splitlines()) <= 70
