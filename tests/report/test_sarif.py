"""SARIF output: valid against the 2.1.0 schema, and shaped as GitHub code scanning reads it."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator
from report_sample import APP_AFTER, APP_BEFORE

from firstpatch.model import Finding, Location, Patch, PatchStatus, Run, Severity, Skipped
from firstpatch.report import SarifReporter

SARIF_SCHEMA = Path("/work/shared/data/sarif-schema/sarif-schema-2.1.0.json")
Apply = Callable[[str, list[dict[str, Any]]], str]


@functools.cache
def _validator() -> Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def _sarif(run: Run, **kwargs: Any) -> dict[str, Any]:
    log = json.loads(SarifReporter(**kwargs).render(run))
    assert isinstance(log, dict)
    errors = sorted(_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    return log


def _result(log: dict[str, Any], rule_id: str) -> dict[str, Any]:
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == rule_id]
    assert isinstance(result, dict)
    return result


def test_sarif_is_valid_against_the_2_1_0_schema(sample_run: Run) -> None:
    log = _sarif(sample_run)
    assert log["version"] == "2.1.0"
    assert len(log["runs"][0]["results"]) == len(sample_run.findings)


def test_rules_carry_what_github_reads(sample_run: Run) -> None:
    driver = _sarif(sample_run)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "firstpatch"
    assert driver["version"] == sample_run.tool_version
    assert driver["informationUri"].startswith("https://")
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert set(rules) == {f.rule_id for f in sample_run.findings}
    command = rules["py/command-injection"]
    assert command["name"] == "CommandInjection"
    assert command["shortDescription"]["text"] == "Command built from untrusted input"
    assert command["properties"]["security-severity"] == "9.5"
    assert command["properties"]["cwe"] == "CWE-78"
    assert {"security", "external/cwe/cwe-78"} <= set(command["properties"]["tags"])
    assert "[CWE-78](https://cwe.mitre.org/data/definitions/78.html)" in command["help"]["markdown"]
    for rule in rules.values():
        assert 0.0 <= float(rule["properties"]["security-severity"]) <= 10.0
        assert rule["help"]["text"]
        assert rule["fullDescription"]["text"]


def test_security_severity_lands_in_githubs_bucket_for_each_severity(sample_run: Run) -> None:
    # GitHub: critical >= 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9.
    buckets = {
        Severity.CRITICAL: (9.0, 10.0),
        Severity.HIGH: (7.0, 8.9),
        Severity.MEDIUM: (4.0, 6.9),
        Severity.LOW: (0.1, 3.9),
    }
    for severity, (low, high) in buckets.items():
        finding = dataclasses.replace(sample_run.findings[0], severity=severity)
        (rule,) = _sarif(dataclasses.replace(sample_run, findings=(finding,)))["runs"][0]["tool"]["driver"][
            "rules"
        ]
        assert low <= float(rule["properties"]["security-severity"]) <= high, severity


def test_rule_docs_become_the_rules_full_description(sample_run: Run) -> None:
    # Rule documentation arrives as docstrings, indented after the first line.
    docs = {"py/sql-injection": "Untrusted input is pasted into SQL.\n        Fix: bind parameters."}
    log = _sarif(sample_run, rule_docs=docs)
    (rule,) = [r for r in log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "py/sql-injection"]
    assert rule["fullDescription"]["text"] == "Untrusted input is pasted into SQL.\nFix: bind parameters."
    assert "\nFix: bind parameters." in rule["help"]["markdown"]


def test_results_point_into_rules_and_carry_fingerprints(sample_run: Run) -> None:
    sarif_run = _sarif(sample_run)["runs"][0]
    rules = sarif_run["tool"]["driver"]["rules"]
    for finding, result in zip(sample_run.findings, sarif_run["results"], strict=True):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == finding.rule_id
        assert result["partialFingerprints"] == {
            "firstpatch/v1": finding.fingerprint,
            "primaryLocationLineHash": f"{finding.fingerprint[:16]}:1",
        }
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not artifact["uri"].startswith("/")


def test_code_finding_region_flow_entry_point_and_properties(sample_run: Run) -> None:
    result = _result(_sarif(sample_run), "py/command-injection")
    assert result["level"] == "error"
    region = result["locations"][0]["physicalLocation"]["region"]
    # Location columns are 1-based with an exclusive end, as SARIF's: copied unchanged.
    span = (region["startLine"], region["startColumn"], region["endLine"], region["endColumn"])
    assert span == (9, 12, 9, 30)
    assert region["snippet"]["text"] == "os.system(command)"
    (flow,) = result["codeFlows"]
    steps = flow["threadFlows"][0]["locations"]
    assert [s["properties"]["step"] for s in steps] == ["source", "propagation", "call", "sink"]
    assert steps[0]["location"]["physicalLocation"]["region"]["startLine"] == 14
    assert steps[0]["location"]["message"]["text"] == "query parameter 'host'"
    (entry,) = result["relatedLocations"]
    assert entry["physicalLocation"]["region"]["startLine"] == 13
    assert "GET /v/ping" in entry["message"]["text"]
    properties = result["properties"]
    assert properties["cwe"] == "CWE-78"
    assert properties["kind"] == "code"
    assert properties["confidence"] == "high"
    assert properties["risk"] == 9.6
    assert properties["proofStatus"] == "confirmed"
    assert properties["oracleEvent"]["oracle"] == "audit:os.system"
    assert properties["reproducer"].startswith("import requests")
    assert properties["patchStatus"] == "verified"
    assert "Proof: confirmed" in result["message"]["text"]


def test_fixes_rebuild_the_patched_file(sample_run: Run, apply_replacements: Apply) -> None:
    result = _result(_sarif(sample_run), "py/command-injection")
    (fix,) = result["fixes"]
    assert "verified" in fix["description"]["text"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "app.py", "uriBaseId": "%SRCROOT%"}
    assert apply_replacements(APP_BEFORE, change["replacements"]) == APP_AFTER


def test_unparseable_patch_is_left_out_with_a_notification(sample_run: Run) -> None:
    finding = next(f for f in sample_run.findings if f.patch is not None)
    truncated = "--- a/app.py\n+++ b/app.py\n@@ -1,5 +1,5 @@\n-x\n"
    broken = Patch(truncated, ("app.py",), PatchStatus.VERIFIED, "x")
    run = dataclasses.replace(sample_run, findings=(dataclasses.replace(finding, patch=broken),))
    sarif_run = _sarif(run)["runs"][0]
    assert "fixes" not in sarif_run["results"][0]
    notes = sarif_run["invocations"][0]["toolExecutionNotifications"]
    assert any(finding.fingerprint in n["message"]["text"] for n in notes)


def test_dependency_finding_is_located_at_its_manifest_line(sample_run: Run) -> None:
    result = _result(_sarif(sample_run), "PYSEC-2021-142")
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "requirements.txt"
    assert physical["region"]["startLine"] == 3
    properties = result["properties"]
    assert properties["advisoryIds"] == ["PYSEC-2021-142"]
    assert properties["aliases"] == ["CVE-2020-14343", "GHSA-8q59-q68h-6hv4"]
    assert properties["fixVersion"] == "5.4"
    assert properties["component"] == "pkg:pypi/pyyaml@5.3"
    assert properties["kev"] is True
    assert properties["kevDueDate"] == "2026-12-08"
    assert properties["epss"] == 0.0291
    assert properties["cvssVector"].startswith("CVSS:3.1/")
    assert properties["reachable"] is True
    assert properties["riskReasons"] == ["critical severity", "in CISA KEV", "the project imports yaml"]


def test_region_is_omitted_for_a_file_without_lines(sample_run: Run) -> None:
    finding = dataclasses.replace(sample_run.findings[0], location=Location("pyproject.toml"), trace=())
    result = _sarif(dataclasses.replace(sample_run, findings=(finding,)))["runs"][0]["results"][0]
    assert "region" not in result["locations"][0]["physicalLocation"]


def test_paths_are_percent_encoded_uris(sample_run: Run) -> None:
    result = _result(_sarif(sample_run), "py/reflected-xss")
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "legacy%20views/hello.py"


def test_skipped_inputs_are_tool_execution_notifications(sample_run: Run) -> None:
    invocation = _sarif(sample_run)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    notes = invocation["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["warning", "warning"]
    first, second = notes
    assert first["message"]["text"] == "does not parse: invalid syntax"
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.py"
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    assert "region" not in second["locations"][0]["physicalLocation"]


def test_times_are_utc_and_target_is_the_source_root(sample_run: Run) -> None:
    sarif_run = _sarif(sample_run)["runs"][0]
    invocation = sarif_run["invocations"][0]
    assert invocation["startTimeUtc"].endswith("Z")
    assert invocation["endTimeUtc"].endswith("Z")
    root = sarif_run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert root == Path(sample_run.target).as_uri() + "/"


def test_an_empty_run_is_still_a_valid_log(sample_run: Run) -> None:
    empty = dataclasses.replace(sample_run, findings=(), skipped=(), target="relative/path")
    sarif_run = _sarif(empty)["runs"][0]
    assert sarif_run["results"] == []
    assert sarif_run["tool"]["driver"]["rules"] == []
    assert "originalUriBaseIds" not in sarif_run
    assert "toolExecutionNotifications" not in sarif_run["invocations"][0]


@pytest.mark.parametrize("line", [0, 7])
def test_skipped_without_a_path_has_no_location(sample_run: Run, line: int) -> None:
    run = dataclasses.replace(sample_run, skipped=(Skipped("", "advisory database is stale", line),))
    (note,) = _sarif(run)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert "locations" not in note


def test_findings_of_one_rule_share_one_rule_at_the_worst_severity(sample_run: Run) -> None:
    base: Finding = sample_run.findings[0]
    low = dataclasses.replace(base, severity=Severity.LOW)
    high = dataclasses.replace(base, severity=Severity.HIGH, location=Location("other.py", 2))
    sarif_run = _sarif(dataclasses.replace(sample_run, findings=(low, high)))["runs"][0]
    (rule,) = sarif_run["tool"]["driver"]["rules"]
    assert rule["properties"]["security-severity"] == "8.0"
    assert [r["level"] for r in sarif_run["results"]] == ["note", "error"]


def test_the_same_fingerprint_twice_gets_githubs_occurrence_suffix(sample_run: Run) -> None:
    first = sample_run.findings[0]
    second = dataclasses.replace(first, location=Location(first.location.path, 40, 12, 40, 37))
    results = _sarif(dataclasses.replace(sample_run, findings=(first, second)))["runs"][0]["results"]
    hashes = [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]
    assert hashes == [f"{first.fingerprint[:16]}:1", f"{first.fingerprint[:16]}:2"]


def test_automation_details_name_the_category_and_the_run(sample_run: Run) -> None:
    assert _sarif(sample_run)["runs"][0]["automationDetails"] == {"id": "firstpatch/run-0001"}
    custom = _sarif(sample_run, category="firstpatch/backend/")["runs"][0]["automationDetails"]
    assert custom == {"id": "firstpatch/backend/run-0001"}


def test_a_project_in_a_repository_sub_folder_is_named_from_the_repository_root(
    sample_run: Run, tmp_path: Path, apply_replacements: Apply
) -> None:
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    target = repository / "services" / "vulnerable flask"
    target.mkdir(parents=True)
    sarif_run = _sarif(dataclasses.replace(sample_run, target=str(target)))["runs"][0]
    assert sarif_run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repository.as_uri() + "/"
    result = _result({"runs": [sarif_run]}, "py/command-injection")
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "services/vulnerable%20flask/app.py"
    steps = result["codeFlows"][0]["threadFlows"][0]["locations"]
    assert {s["location"]["physicalLocation"]["artifactLocation"]["uri"] for s in steps} == {uri}
    (change,) = result["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"]["uri"] == uri
    assert apply_replacements(APP_BEFORE, change["replacements"]) == APP_AFTER
    notes = sarif_run["invocations"][0]["toolExecutionNotifications"]
    uris = [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes]
    assert uris == ["services/vulnerable%20flask/broken.py", "services/vulnerable%20flask/vendor/huge.py"]


def test_an_explicit_repository_root_wins_and_a_target_outside_it_keeps_its_own_root(
    sample_run: Run, tmp_path: Path
) -> None:
    target = tmp_path / "mono" / "app"
    log = _sarif(dataclasses.replace(sample_run, target=str(target)), repository_root=tmp_path / "mono")
    result = _result(log, "py/command-injection")
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/app.py"
    elsewhere = _sarif(dataclasses.replace(sample_run, target=str(target)), repository_root=tmp_path / "x")
    assert elsewhere["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == target.as_uri() + "/"


def test_the_message_links_the_entry_point_and_escapes_brackets(sample_run: Run) -> None:
    finding = dataclasses.replace(
        sample_run.findings[3], message="request.args['host'] reaches [os.system](2) via run_command()"
    )
    assert finding.rule_id == "py/command-injection"
    (result,) = _sarif(dataclasses.replace(sample_run, findings=(finding,)))["runs"][0]["results"]
    text = result["message"]["text"]
    assert text.startswith("request.args\\['host'\\] reaches \\[os.system\\](2) via run_command()")
    assert "Reached from the [entry point](1) (GET /v/ping)." in text
    assert [r["id"] for r in result["relatedLocations"]] == [1]


def test_rank_is_the_risk_on_sarifs_scale(sample_run: Run) -> None:
    ranks = {r["ruleId"]: r["rank"] for r in _sarif(sample_run)["runs"][0]["results"]}
    assert ranks["py/command-injection"] == 96.0
    assert ranks["py/reflected-xss"] == 40.0


def test_descriptions_respect_githubs_limits_and_the_help_keeps_everything(sample_run: Run) -> None:
    docs = {"py/sql-injection": "Untrusted input is pasted into SQL. " * 60}
    (rule,) = [
        r
        for r in _sarif(sample_run, rule_docs=docs)["runs"][0]["tool"]["driver"]["rules"]
        if r["id"] == "py/sql-injection"
    ]
    assert len(rule["fullDescription"]["text"]) <= 1024
    assert rule["fullDescription"]["text"].endswith("…")
    assert docs["py/sql-injection"].strip() in rule["help"]["text"]


@pytest.mark.parametrize(
    ("version", "semantic"), [("0.1.0", True), ("1.2.0-rc.1", True), ("0.1.0.dev3", False)]
)
def test_semantic_version_only_for_a_semver_version(sample_run: Run, version: str, semantic: bool) -> None:
    driver = _sarif(dataclasses.replace(sample_run, tool_version=version))["runs"][0]["tool"]["driver"]
    assert driver["version"] == version
    assert ("semanticVersion" in driver) is semantic
