"""Reachability of PyPI findings: what the project's own code imports and calls, read from its
source or from the program the analysis built, never by importing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from firstpatch.advisories.assess import known_vulnerabilities
from firstpatch.advisories.facts import AdvisoryFacts
from firstpatch.advisories.reachability import ProjectUses, judge, project_program
from firstpatch.model import (
    AdvisoryId,
    Component,
    Confidence,
    Ecosystem,
    Finding,
    FindingKind,
    Fingerprint,
    Location,
    RuleId,
    Severity,
)

NO_STORE = "sqlite:////nonexistent/firstpatch-test/none.db"  # the shipped snapshot answers


def _project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _pins(*pins: tuple[str, str, bool]) -> list[Component]:
    return [
        Component(f"pkg:pypi/{n}@{v}", n, v, Ecosystem.PYPI, (Location("requirements.txt", i + 1),), direct)
        for i, (n, v, direct) in enumerate(pins)
    ]


def _by_name(findings: tuple[Finding, ...]) -> dict[str, Finding]:
    return {f.component.name: f for f in findings if f.component}


PROJECT = {
    "app/__init__.py": "",
    "app/config.py": "import yaml as y\n\n\ndef read(text):\n    return y.load(text)\n",
    "app/web.py": "from flask import Flask\n\napp = Flask(__name__)\n",
    "app/safe.py": "import jinja2\n",
}


@pytest.mark.parametrize("from_program", [False, True])
def test_calls_imports_and_neither(tmp_path: Path, from_program: bool) -> None:
    root = _project(tmp_path / "p", PROJECT)
    components = _pins(
        ("PyYAML", "3.13", True),  # PYSEC-2018-49 names yaml.load(), which app/config.py calls
        ("flask", "0.12.2", True),  # imported; its advisories name no function
        ("requests", "2.19.1", True),  # a direct dependency the code never imports
        ("urllib3", "1.24.1", False),  # transitive, never imported: another package may use it
    )
    program = project_program(str(root)) if from_program else None
    known = known_vulnerabilities(components, None if from_program else root, NO_STORE, program=program)
    found = _by_name(known.findings)
    assert found["PyYAML"].reachable is True
    assert found["PyYAML"].message.endswith(
        "The project calls yaml.load (app/config.py:5), which the advisory names."
    )
    assert found["flask"].reachable is True
    assert found["flask"].message.endswith("The project imports flask.Flask (app/web.py).")
    assert found["requests"].reachable is False
    assert found["requests"].message.endswith("The project's own code never imports requests.")
    assert found["urllib3"].reachable is None


def test_advisories_that_name_no_function_are_reached_by_the_import(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", {"load.py": "import yaml\n\nyaml.safe_load('a: 1')\n"})
    known = known_vulnerabilities(_pins(("pyyaml", "5.3", True)), root, NO_STORE)
    (finding,) = known.findings
    assert finding.advisory_ids == ("PYSEC-2020-96", "PYSEC-2021-142")  # neither names a function
    assert finding.reachable is True


def test_a_function_named_by_one_advisory_does_not_clear_the_others(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", {"load.py": "import yaml\n\nyaml.safe_load('a: 1')\n"})
    known = known_vulnerabilities(_pins(("pyyaml", "3.13", True)), root, NO_STORE)
    (finding,) = known.findings
    assert "PYSEC-2018-49" in finding.advisory_ids  # names yaml.load(), never called here
    assert finding.reachable is True  # the finding's other advisories name nothing: the import counts
    assert finding.message.endswith("The project imports yaml (load.py).")


def test_imported_but_every_named_function_never_called(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", {"load.py": "import yaml\n\nyaml.safe_load('a: 1')\n"})
    (pin,) = _pins(("pyyaml", "5.3", True))
    finding = Finding(
        FindingKind.DEPENDENCY, RuleId("X-1"), "t", Severity.HIGH, Confidence.HIGH, pin.locations[0],
        Fingerprint("f"), component=pin, advisory_ids=(AdvisoryId("X-1"),),
    )  # fmt: skip
    advisory = AdvisoryFacts(AdvisoryId("X-1"), "Code execution through `yaml.load()` and yaml.unsafe_load()")
    judged = judge(finding, ProjectUses.of(str(root)), [advisory])
    assert judged.reachable is False
    assert judged.message == (
        "The project imports yaml (load.py) but never calls yaml.load, yaml.unsafe_load, "
        "which the advisories name."
    )


def test_a_project_module_of_the_same_name_shadows_the_package(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", {"yaml.py": "X = 1\n", "main.py": "import yaml\n"})
    uses = ProjectUses.of(str(root))
    assert uses.importing("yaml") is None
    assert ProjectUses.of_program(project_program(str(root))).importing("yaml") is None
