"""Deadline policies from defaults, TOML and YAML files, and --deadline options; errors name file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from firstpatch.model import Severity
from firstpatch.store import DEFAULT_POLICY, DeadlinePolicy, PolicyError, load_policy


def test_defaults_follow_the_issue() -> None:
    assert DeadlinePolicy(kev=7, critical=15, high=30, medium=90, low=180, none=None) == DEFAULT_POLICY
    assert DEFAULT_POLICY.days_allowed(Severity.HIGH, in_kev=False) == 30
    assert DEFAULT_POLICY.days_allowed(Severity.LOW, in_kev=True) == 7  # KEV is stricter
    assert DEFAULT_POLICY.days_allowed(Severity.NONE, in_kev=False) is None
    assert DEFAULT_POLICY.days_allowed(Severity.NONE, in_kev=True) == 7


def test_the_stricter_of_kev_and_severity_wins() -> None:
    lenient_kev = DeadlinePolicy(kev=20)
    assert lenient_kev.days_allowed(Severity.CRITICAL, in_kev=True) == 15
    assert lenient_kev.days_allowed(Severity.MEDIUM, in_kev=True) == 20


def test_a_toml_policy_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("# ours\n[deadlines]\nkev = 3\nhigh = 14\nlow = 'never'\n")
    assert load_policy(path) == DeadlinePolicy(kev=3, critical=15, high=14, medium=90, low=None)


def test_a_yaml_policy(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("deadlines:\n  critical: 10\n  none: 365\n")
    assert load_policy(path) == DeadlinePolicy(critical=10, none=365)


def test_an_empty_file_is_the_default_policy(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text("")
    assert load_policy(path) == DEFAULT_POLICY


def test_command_line_overrides_apply_on_top() -> None:
    assert DEFAULT_POLICY.with_overrides(["high=20", " kev = 2 "]) == DeadlinePolicy(kev=2, high=20)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("p.toml", "[deadlines]\nhigh = 30\nhihg = 10\n", "p.toml:3: unknown deadline 'hihg'"),
        ("p.toml", "[deadlines]\nhigh = -1\n", "p.toml:2: days must be a whole number of 0 or more"),
        ("p.toml", "[deadlines]\nmedium = 1.5\n", "p.toml:2: days must be a whole number"),
        ("p.toml", "[deadlines]\nhigh = true\n", "p.toml:2: days must be a whole number"),
        ("p.toml", "[deadlines]\nhigh = \n", "p.toml:2: not valid TOML: Invalid value"),
        ("p.toml", "[slas]\nhigh = 3\n", "p.toml:1: unknown table 'slas'; expected 'deadlines'"),
        ("p.toml", "deadlines = 3\n", "p.toml:1: 'deadlines' must be a table"),
        ("p.yaml", "deadlines:\n  high: [30\n", "p.yaml:3: not valid YAML"),
        ("p.yaml", "- high\n", "p.yaml: expected a table named 'deadlines'"),
        ("p.yaml", "deadlines:\n  low: 10\n  critical: soon\n", "p.yaml:3: days must be a whole number"),
    ],
)
def test_bad_policies_are_one_line_errors_naming_file_and_line(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value).startswith(f"{tmp_path}/")
    assert str(caught.value).removeprefix(f"{tmp_path}/").startswith(message)
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_unreadable_policies(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"missing\.toml: cannot read: No such file or directory"):
        load_policy(tmp_path / "missing.toml")
    binary = tmp_path / "p.yaml"
    binary.write_bytes(b"deadlines:\n  high: \xff\n")
    with pytest.raises(PolicyError, match=r"p\.yaml: not UTF-8 text"):
        load_policy(binary)


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("high", "--deadline high: expected KEY=DAYS"),
        ("urgent=3", "--deadline urgent=3: unknown deadline 'urgent'"),
        ("high=soon", "--deadline high=soon: days must be a whole number"),
    ],
)
def test_bad_overrides(assignment: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        DEFAULT_POLICY.with_overrides([assignment])
