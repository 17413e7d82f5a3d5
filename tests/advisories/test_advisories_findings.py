"""Dependency findings: what is vulnerable, where it was declared, how bad, and the upgrade."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from firstpatch.advisories import (
    DirectorySource,
    MemorySource,
    SnapshotSource,
    audit,
    dependency_findings,
    from_data,
    title_of,
    vector_severity,
    vulnerabilities,
)
from firstpatch.inventory import collect
from firstpatch.model import (
    Advisory,
    Component,
    Confidence,
    Ecosystem,
    FindingKind,
    Location,
    Severity,
    SeverityVector,
    Skipped,
    fingerprint,
)
from firstpatch.target import Target

DEMO = Path(__file__).parents[2] / "examples" / "vulnerable-flask"
Record = Callable[[str], Advisory]


def component(name: str, version: str | None, line: int = 1, path: str = "requirements.txt") -> Component:
    purl = f"pkg:pypi/{name}" + (f"@{version}" if version else "")
    return Component(
        purl, name, version, Ecosystem.PYPI, (Location(path, line, 1, snippet=f"{name}=={version}"),)
    )


def test_demo_project_against_the_shipped_snapshot() -> None:
    components, problems = collect(Target.open(DEMO))
    assert problems == ()
    result = audit(components, SnapshotSource())
    assert result.skipped == ()
    rows = [
        (f.component.name if f.component else "", f.rule_id, f.advisory_ids, f.fix_version, f.location.line)
        for f in result.findings
    ]
    assert rows == [
        ("flask", "PYSEC-2018-66", ("PYSEC-2018-66", "PYSEC-2019-179", "PYSEC-2023-62"), "2.2.5", 2),
        ("jinja2", "PYSEC-2019-217", ("PYSEC-2019-217", "PYSEC-2021-66"), "2.11.3", 3),
        ("pyyaml", "PYSEC-2020-96", ("PYSEC-2020-96", "PYSEC-2021-142"), "5.4", 4),
        ("requests", "PYSEC-2018-28", ("PYSEC-2018-28", "PYSEC-2023-74"), "2.31.0", 5),
    ]
    flask = result.findings[0]
    assert flask.kind is FindingKind.DEPENDENCY
    assert flask.confidence is Confidence.HIGH
    assert flask.location == Location("requirements.txt", 2, 1, snippet="flask==0.12.2")
    assert flask.aliases == (
        "CVE-2018-1000656",
        "CVE-2019-1010083",
        "CVE-2023-30861",
        "GHSA-562c-5r94-xh97",
        "GHSA-5wv5-4vpf-pj6m",
        "GHSA-m2qf-hxjv-5gpq",
    )
    assert flask.fingerprint == fingerprint("PYSEC-2018-66", "requirements.txt", "pkg:pypi/flask")
    assert flask.title.startswith("The Pallets Project flask version Before 0.12.3 contains a CWE-20")
    # None of these records carries a CVSS vector: medium, and the message says why.
    assert {f.severity for f in result.findings} == {Severity.MEDIUM}
    assert flask.message == (
        "flask 0.12.2 is affected by 3 known vulnerabilities: "
        "PYSEC-2018-66 (CVE-2018-1000656; affected < 0.12.3); "
        "PYSEC-2019-179 (CVE-2019-1010083; affected < 1.0); "
        "PYSEC-2023-62 (CVE-2023-30861; affected < 2.2.5 and 1 other range). "
        "Upgrade to 2.2.5 (a new major version). "
        "Severity unknown (no CVSS v3/v4 vector or severity in the advisories): rated medium."
    )
    assert dependency_findings(components, SnapshotSource()) == result.findings


def test_severity_from_cvss_and_the_unrated_are_named(pypi_source: DirectorySource) -> None:
    (finding,) = dependency_findings([component("werkzeug", "2.2.2", line=7)], pypi_source)
    assert finding.advisory_ids == ("PYSEC-2023-221", "PYSEC-2023-57", "PYSEC-2023-58")
    assert finding.severity is Severity.HIGH  # PYSEC-2023-221: CVSS:3.1/.../A:H, 7.5
    assert finding.fix_version == "2.3.8"
    assert finding.location.line == 7
    assert finding.message.endswith(
        "Upgrade to 2.3.8. Severity high from CVSS. "
        "No CVSS vector for PYSEC-2023-57, PYSEC-2023-58: not rated."
    )


def test_aliases_across_advisories_count_once(tmp_path: Path, record: Record) -> None:
    # A GitHub-style OSV JSON record of the same Flask vulnerability (written for this test).
    ghsa = {
        "schema_version": "1.4.0",
        "id": "GHSA-m2qf-hxjv-5gpq",
        "modified": "2023-05-02T19:52:39Z",
        "published": "2023-05-01T20:56:28Z",
        "aliases": ["CVE-2023-30861"],
        "summary": "Flask vulnerable to possible disclosure of permanent session cookie "
        "due to missing Vary: Cookie header",
        "details": "When all of the following conditions are met...",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "flask"},
                "ranges": [
                    {
                        "type": "ECOSYSTEM",
                        "events": [
                            {"introduced": "2.3.0"},
                            {"fixed": "2.3.2"},
                            {"introduced": "0"},
                            {"fixed": "2.2.5"},
                        ],
                    }
                ],
            }
        ],
        "references": [
            {"type": "WEB", "url": "https://github.com/pallets/flask/security/advisories/GHSA-m2qf-hxjv-5gpq"}
        ],
    }
    (tmp_path / "GHSA-m2qf-hxjv-5gpq.json").write_text(json.dumps(ghsa))
    source = DirectorySource(tmp_path)
    both = MemorySource([record("flask/PYSEC-2023-62"), *source.advisories()])

    (finding,) = dependency_findings([component("flask", "2.2.4")], both)

    assert finding.rule_id == "GHSA-m2qf-hxjv-5gpq"  # the first id, sorted
    assert finding.advisory_ids == ("GHSA-m2qf-hxjv-5gpq", "PYSEC-2023-62")
    assert finding.aliases == ("CVE-2023-30861",)
    assert finding.title == ghsa["summary"]
    assert finding.severity is Severity.HIGH  # from the GHSA vector; the PYSEC record has none
    assert finding.message.startswith(
        "flask 2.2.4 is affected by 1 known vulnerability: "
        "GHSA-m2qf-hxjv-5gpq / PYSEC-2023-62 (CVE-2023-30861; affected < 2.2.5 and 1 other range)."
    )
    assert finding.fix_version == "2.2.5"


def test_vulnerabilities_group_transitively() -> None:
    def advisory(advisory_id: str, *aliases: str) -> Advisory:
        return from_data(
            {"id": advisory_id, "modified": "2024-01-01T00:00:00Z", "aliases": list(aliases)}, "t"
        )

    groups = vulnerabilities(
        [
            advisory("PYSEC-1", "CVE-1"),
            advisory("OTHER-9"),
            advisory("GHSA-1", "GHSA-2"),
            advisory("GHSA-2", "CVE-1"),
        ]
    )
    assert [[a.id for a in group] for group in groups] == [["GHSA-1", "GHSA-2", "PYSEC-1"], ["OTHER-9"]]


def test_what_cannot_be_checked_is_skipped_with_reasons(pypi_source: DirectorySource) -> None:
    components = [
        component("flask", None, line=3),
        component("flask", "0.12-bulbasaur", line=4),
        component("steam", "1.0", line=5, path="sub/requirements.txt"),
        component("markupsafe", "2.1.5", line=6),
    ]
    result = audit(components, pypi_source)
    assert result.findings == ()
    assert result.skipped == (
        Skipped("requirements.txt", "flask: no exact version pinned; not checked against advisories", 3),
        Skipped(
            "requirements.txt",
            "flask 0.12-bulbasaur: version '0.12-bulbasaur' is not a PEP 440 version; not matched",
            4,
        ),
        Skipped(
            "sub/requirements.txt",
            "steam 1.0: PYSEC-2019-125 not decided: range bound '2019-09-12' is not a PEP 440 version",
            5,
        ),
    )


def test_fingerprint_survives_moves_and_upgrades_that_stay_vulnerable(pypi_source: DirectorySource) -> None:
    (before,) = dependency_findings([component("requests", "2.19.0", line=5)], pypi_source)
    (after,) = dependency_findings([component("requests", "2.19.1", line=12)], pypi_source)
    assert before.rule_id == after.rule_id == "PYSEC-2018-28"
    assert before.fingerprint == after.fingerprint
    (elsewhere,) = dependency_findings(
        [component("requests", "2.19.1", path="api/requirements.txt")], pypi_source
    )
    assert elsewhere.fingerprint != after.fingerprint


def test_withdrawn_records_make_no_finding(pypi_source: DirectorySource) -> None:
    # PYSEC-2023-73 (withdrawn) covers every redis version; the other two end at 4.5.3 and 4.5.4.
    assert [a.id for a in pypi_source.for_package(Ecosystem.PYPI, "redis")] == [
        "PYSEC-2023-45",
        "PYSEC-2023-46",
        "PYSEC-2023-73",
    ]
    assert dependency_findings([component("redis", "4.5.4")], pypi_source) == ()
    (older,) = dependency_findings([component("redis", "4.5.3")], pypi_source)
    assert older.advisory_ids == ("PYSEC-2023-46",)


def test_findings_are_sorted_by_component(pypi_source: DirectorySource) -> None:
    findings = dependency_findings(
        [component("urllib3", "1.24.1"), component("django", "3.2.0"), component("jinja2", "2.10")],
        pypi_source,
    )
    assert [f.component.name for f in findings if f.component] == ["django", "jinja2", "urllib3"]


@pytest.mark.parametrize(
    ("vector", "severity"),
    [
        (SeverityVector("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), Severity.CRITICAL),
        (SeverityVector("CVSS_V3", "CVSS:3.0/AV:A/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N"), Severity.MEDIUM),
        (SeverityVector("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"), Severity.NONE),
        (
            SeverityVector("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:N"),
            Severity.CRITICAL,
        ),
        (
            SeverityVector("CVSS_V4", "CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"),
            Severity.LOW,
        ),
        (SeverityVector("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P"), None),
        (SeverityVector("CVSS_V3", "CVSS:3.1/AV:N"), None),
    ],
)
def test_vector_severity(vector: SeverityVector, severity: Severity | None) -> None:
    assert vector_severity(vector) is severity


def test_cvss_v4_vector_rates_the_finding() -> None:
    advisory = from_data(
        {
            "id": "GHSA-test-v4",
            "modified": "2024-01-01T00:00:00Z",
            "details": "First sentence. Second sentence.",
            "severity": [
                {
                    "type": "CVSS_V4",
                    "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:N",
                }
            ],
            "affected": [{"package": {"ecosystem": "PyPI", "name": "pkg"}, "versions": ["1.0"]}],
        },
        "t",
    )
    (finding,) = dependency_findings([component("pkg", "1.0")], MemorySource([advisory]))
    assert (finding.severity, finding.title, finding.fix_version) == (
        Severity.CRITICAL,
        "First sentence.",
        None,
    )
    assert "No fix available." in finding.message


def test_title_falls_back_to_the_first_sentence_then_the_id(record: Record) -> None:
    assert title_of(record("flask/PYSEC-2023-62")) == "Flask is a lightweight WSGI web application framework."
    assert title_of(record("gratient/PYSEC-2024-1")) == "gratient 0.5 contains credential harvesting code"
    bare = from_data({"id": "X-1", "modified": "2024-01-01T00:00:00Z"}, "t")
    assert title_of(bare) == "X-1"
