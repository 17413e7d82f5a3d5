"""Output filters (ignore file, --only-fixable, --min-risk) and `firstpatch fix --deps`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from firstpatch.advisories import AdvisorySource, MemorySource, SnapshotSource, audit
from firstpatch.advisories.ignore import (
    apply_ignores,
    find_ignore_file,
    load_ignore_file,
    min_risk,
    only_fixable,
)
from firstpatch.advisories.interface import AdvisoryError
from firstpatch.advisories.upgrade import plan_upgrades
from firstpatch.cli import app
from firstpatch.model import Advisory, Component, Ecosystem, Location, Run, RunId
from firstpatch.rank import ranked


def _run(*pins: tuple[str, str], source: AdvisorySource | None = None) -> Run:
    components = [
        Component(f"pkg:pypi/{n}@{v}", n, v, Ecosystem.PYPI, (Location("requirements.txt", i + 1),))
        for i, (n, v) in enumerate(pins)
    ]
    findings = ranked(audit(components, source or SnapshotSource()).findings)
    now = datetime(2026, 11, 29, tzinfo=UTC)
    return Run(RunId("r"), "/p", now, now, "0", findings, tuple(components))


def test_ignore_file_yaml_and_toml_with_expiry(tmp_path: Path) -> None:
    (tmp_path / ".firstpatch-ignore.yaml").write_text(
        "ignore:\n"
        "  - id: CVE-2023-30861\n    reason: the session cookie is never cached\n    expires: 2026-12-31\n"
        "  - id: PYSEC-2021-142\n    reason: loader is always safe\n    expires: 2026-01-01\n"
    )
    path = find_ignore_file(tmp_path)
    assert path == tmp_path / ".firstpatch-ignore.yaml"
    run = _run(("flask", "2.2.4"), ("pyyaml", "5.3.1"))
    filtered = apply_ignores(run, load_ignore_file(path), today=date(2026, 11, 29))
    assert [f.component.name for f in filtered.run.findings if f.component] == ["pyyaml"]
    assert filtered.notes == (
        "ignore entry PYSEC-2021-142 expired on 2026-01-01: no longer ignored (loader is always safe)",
        "ignored PYSEC-2023-62 (CVE-2023-30861) until 2026-12-31: the session cookie is never cached",
    )
    toml = tmp_path / "other" / ".firstpatch-ignore.toml"
    toml.parent.mkdir()
    toml.write_text('[[ignore]]\nid = "PYSEC-2021-142"\nreason = "reviewed"\nexpires = 2027-01-01\n')
    assert [e.id for e in load_ignore_file(toml)] == ["PYSEC-2021-142"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ignore:\n  - id: X\n    expires: 2026-01-01\n", "ignore[0] (X) has no reason"),
        ("ignore:\n  - id: X\n    reason: r\n", "ignore[0] (X) has no expires date"),
        ("ignore: [\n", ":2: not valid YAML"),
    ],
)
def test_bad_ignore_files_name_the_file_and_entry(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / ".firstpatch-ignore.yaml"
    path.write_text(text)
    with pytest.raises(
        AdvisoryError,
        match=str(path).replace(".", r"\.")
        + ".*"
        + message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]"),
    ):
        load_ignore_file(path)


def test_only_fixable_and_min_risk(record: Callable[[str], Advisory]) -> None:
    source = MemorySource([record("flask/PYSEC-2023-62"), record("py/PYSEC-2022-42969")])
    run = _run(("flask", "2.2.4"), ("py", "1.11.0"), source=source)  # py: last_affected only, no fix
    assert {f.component.name for f in run.findings if f.component} == {"flask", "py"}
    assert [f.component.name for f in only_fixable(run).findings if f.component] == ["flask"]
    highest = max(f.risk for f in run.findings)
    assert all(f.risk >= highest for f in min_risk(run, highest).findings)
    assert min_risk(run, 10.1).findings == ()


def test_pins_are_rewritten_in_place_keeping_everything_else(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        'Flask==2.2.4  # web\nPyYAML[extra] == 5.3.1 ; python_version >= "3.8"\n'
        "urllib3==1.26.4 \\\n    --hash=sha256:" + "a" * 64 + "\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = [\n    "jinja2==2.10",  # t\n]\n'
    )
    (tmp_path / "poetry.lock").write_text("")
    from firstpatch import inventory
    from firstpatch.target import Target

    components, _ = inventory.collect(Target.open(tmp_path))
    plan = plan_upgrades(tmp_path, audit(components, SnapshotSource()).findings)
    after = {edit.path: edit.after for edit in plan.edits}
    assert after["requirements.txt"].splitlines()[:2] == [
        "Flask==2.2.5  # web",
        'PyYAML[extra] == 5.4 ; python_version >= "3.8"',
    ]
    assert "urllib3==1.26.4 \\" in after["requirements.txt"]  # hashed: left alone, said why
    assert any("urllib3: pinned with --hash" in note for note in plan.notes)
    assert after["pyproject.toml"].splitlines()[3] == '    "jinja2==2.11.3",  # t'


def test_fix_deps_shows_the_diff_then_applies_and_rescans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIRSTPATCH_DB", str(tmp_path / "none.db"))  # no store: the shipped snapshot
    project = tmp_path / "p"
    project.mkdir()
    (project / "requirements.txt").write_text("flask==2.2.4\n")
    runner = CliRunner()
    shown = runner.invoke(app, ["fix", str(project), "--deps"])
    assert shown.exit_code == 0, shown.output
    assert "-flask==2.2.4\n+flask==2.2.5\n" in shown.output
    assert "(not written: run again with --apply)" in shown.output
    assert (project / "requirements.txt").read_text() == "flask==2.2.4\n"
    applied = runner.invoke(app, ["fix", str(project), "--deps", "--apply"])
    assert applied.exit_code == 0, applied.output
    assert (project / "requirements.txt").read_text() == "flask==2.2.5\n"
    assert "fixed: flask 2.2.4: PYSEC-2023-62" in applied.output
    assert not (tmp_path / "none.db").exists()
