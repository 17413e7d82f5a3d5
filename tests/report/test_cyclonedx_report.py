"""CycloneDX 1.6 SBOM and VEX, checked by cyclonedx-python-lib's own JSON validator."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from firstpatch.model import Component, Ecosystem, Run
from firstpatch.report import CycloneDxReporter, InvalidReportError, VexReporter
from firstpatch.report.project import scanned_package


def _valid(text: str) -> dict[str, Any]:
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text, all_errors=True)
    assert errors is None, "\n".join(str(e) for e in errors or ())
    document = json.loads(text)
    assert isinstance(document, dict)
    assert (document["bomFormat"], document["specVersion"]) == ("CycloneDX", "1.6")
    return document


def _vulnerabilities(run: Run) -> dict[str, dict[str, Any]]:
    return {v["id"]: v for v in _valid(VexReporter().render(run))["vulnerabilities"]}


def test_sbom_lists_the_inventory_by_purl_with_where_it_was_found(sample_run: Run) -> None:
    sbom = _valid(CycloneDxReporter().render(sample_run))
    components = {c["purl"]: c for c in sbom["components"]}
    assert set(components) == {"pkg:pypi/flask@0.12.2", "pkg:pypi/pyyaml@5.3", "pkg:pypi/urllib3@1.22"}
    pyyaml = components["pkg:pypi/pyyaml@5.3"]
    assert (pyyaml["name"], pyyaml["version"], pyyaml["bom-ref"]) == ("pyyaml", "5.3", "pkg:pypi/pyyaml@5.3")
    assert pyyaml["evidence"]["occurrences"] == [{"location": "requirements.txt", "line": 3}]
    assert "vulnerabilities" not in sbom
    root = sbom["metadata"]["component"]
    assert (root["type"], root["name"]) == ("application", "vulnerable-flask")
    assert "purl" not in root  # a folder without a manifest is not claimed to be a PyPI package
    (graph,) = [d for d in sbom["dependencies"] if d["ref"] == root["bom-ref"]]
    # Direct dependencies hang off the project; urllib3 is transitive.
    assert sorted(graph["dependsOn"]) == ["pkg:pypi/flask@0.12.2", "pkg:pypi/pyyaml@5.3"]
    assert sbom["metadata"]["tools"]["components"][0]["name"] == "firstpatch"


def test_sbom_scopes_development_dependencies_as_optional(sample_run: Run) -> None:
    pytest_component = Component("pkg:pypi/pytest@8.0.0", "pytest", "8.0.0", Ecosystem.PYPI, dev=True)
    run = dataclasses.replace(sample_run, components=(*sample_run.components, pytest_component))
    components = {c["name"]: c for c in _valid(CycloneDxReporter().render(run))["components"]}
    assert components["pytest"]["scope"] == "optional"
    assert components["flask"]["scope"] == "required"
    assert "evidence" not in components["pytest"]


def test_the_project_is_named_from_its_pyproject(sample_run: Run, tmp_path: Path) -> None:
    target = tmp_path / "checkout"
    target.mkdir()
    (target / "pyproject.toml").write_text(
        '[project]\nname = "Notes_App"\nversion = "2.1.0"\n', encoding="utf-8"
    )
    root = _valid(CycloneDxReporter().render(dataclasses.replace(sample_run, target=str(target))))[
        "metadata"
    ]["component"]
    assert (root["name"], root["version"], root["purl"]) == ("Notes_App", "2.1.0", "pkg:pypi/notes-app@2.1.0")


def test_one_run_gives_the_same_serial_and_another_run_a_new_one(sample_run: Run) -> None:
    first = _valid(CycloneDxReporter().render(sample_run))["serialNumber"]
    assert first == _valid(CycloneDxReporter().render(sample_run))["serialNumber"]
    other = dataclasses.replace(sample_run, id="run-0002")
    assert _valid(CycloneDxReporter().render(other))["serialNumber"] != first
    assert _valid(VexReporter().render(sample_run))["serialNumber"] != first


def test_vex_has_one_vulnerability_per_advisory(sample_run: Run) -> None:
    assert set(_vulnerabilities(sample_run)) == {"PYSEC-2021-142", "PYSEC-2019-179", "PYSEC-2018-32"}


def test_an_affected_advisory_recommends_the_fixed_version(sample_run: Run) -> None:
    pyyaml = _vulnerabilities(sample_run)["PYSEC-2021-142"]
    assert pyyaml["analysis"]["state"] == "exploitable"
    assert pyyaml["analysis"]["response"] == ["update"]
    assert "uses the affected module" in pyyaml["analysis"]["detail"]
    assert pyyaml["recommendation"] == "Upgrade pyyaml to 5.4 or later."
    assert pyyaml["affects"] == [
        {"ref": "pkg:pypi/pyyaml@5.3", "versions": [{"version": "5.3", "status": "affected"}]}
    ]
    assert pyyaml["cwes"] == [20]
    (rating,) = pyyaml["ratings"]
    assert (rating["score"], rating["severity"], rating["method"]) == (9.8, "critical", "CVSSv31")
    assert {r["id"] for r in pyyaml["references"]} == {"CVE-2020-14343", "GHSA-8q59-q68h-6hv4"}
    properties = {p["name"]: p["value"] for p in pyyaml["properties"]}
    assert properties == {
        "firstpatch:kev": "true",
        "firstpatch:kev-due-date": "2026-12-08",
        "firstpatch:epss": "0.02910",
    }


def test_unknown_reachability_is_still_affected_and_says_so(sample_run: Run) -> None:
    flask = _vulnerabilities(sample_run)["PYSEC-2019-179"]
    assert flask["analysis"]["state"] == "exploitable"
    assert "was not determined" in flask["analysis"]["detail"]


def test_unreachable_code_is_not_affected_with_a_justification(sample_run: Run) -> None:
    urllib3 = _vulnerabilities(sample_run)["PYSEC-2018-32"]
    assert urllib3["analysis"]["state"] == "not_affected"
    assert urllib3["analysis"]["justification"] == "code_not_reachable"
    assert "recommendation" not in urllib3
    assert urllib3["affects"][0]["versions"] == [{"version": "1.22", "status": "unaffected"}]


def test_vex_components_resolve_every_affects_reference(sample_run: Run) -> None:
    document = _valid(VexReporter().render(sample_run))
    refs = {c["bom-ref"] for c in document["components"]}
    assert {a["ref"] for v in document["vulnerabilities"] for a in v["affects"]} <= refs


def test_a_run_without_dependencies_is_still_a_valid_bom(sample_run: Run) -> None:
    empty = dataclasses.replace(sample_run, findings=(), components=())
    assert _valid(CycloneDxReporter().render(empty)).get("components", []) == []
    assert "vulnerabilities" not in _valid(VexReporter().render(empty))


def test_an_unparseable_purl_keeps_the_component_by_name(sample_run: Run) -> None:
    odd = Component("not a purl", "odd", "1", Ecosystem.PYPI)
    components = _valid(CycloneDxReporter().render(dataclasses.replace(sample_run, components=(odd,))))[
        "components"
    ]
    assert components == [
        {
            "bom-ref": "not a purl",
            "name": "odd",
            "properties": [{"name": "firstpatch:direct", "value": "true"}],
            "scope": "required",
            "type": "library",
            "version": "1",
        }
    ]


def test_our_own_invalid_bom_is_an_internal_error(sample_run: Run) -> None:
    # CWE ids start at 1; the library writes a 0 and its validator refuses it.
    from cyclonedx.model.vulnerability import Vulnerability

    from firstpatch.report import cyclonedx_bom

    bom = cyclonedx_bom.new_bom(sample_run, "sbom", sample_run.components)
    bom.vulnerabilities.add(Vulnerability(id="X-1", cwes=[0]))
    with pytest.raises(InvalidReportError, match=r"CycloneDX 1\.6 schema") as caught:
        cyclonedx_bom.render_checked(bom, "the SBOM")
    assert caught.value.exit_code == 3


@pytest.mark.parametrize(
    ("pyproject", "expected"),
    [
        ('[project]\nname = "app"\nversion = "1.0"\n', ("app", "1.0", True)),
        ('[project]\nname = "app"\ndynamic = ["version"]\n', ("app", None, True)),
        ('[tool.poetry]\nname = "poetic"\nversion = "0.3.1"\n', ("poetic", "0.3.1", True)),
        ("[project\nname = broken", ("target", None, False)),
        ("[build-system]\nrequires = []\n", ("target", None, False)),
    ],
)
def test_scanned_package_from_pyproject(tmp_path: Path, pyproject: str, expected: tuple[object, ...]) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    package = scanned_package(str(target))
    assert (package.name, package.version, package.from_manifest) == expected


def test_a_pyproject_symlinked_out_of_the_target_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "secret.toml"
    outside.write_text('[project]\nname = "leaked"\n', encoding="utf-8")
    target = tmp_path / "target"
    target.mkdir()
    (target / "pyproject.toml").symlink_to(outside)
    package = scanned_package(str(target))
    assert (package.name, package.from_manifest) == ("target", False)
    assert "outside" in package.source
