"""JUnit XML: parses, counts agree with the cases, one failing case per finding."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

from firstpatch.model import Location, Run, Skipped
from firstpatch.report import JunitReporter


def _parse(run: Run) -> ET.Element:
    text = JunitReporter().render(run)
    assert text.startswith("<?xml version='1.0' encoding='utf-8'?>\n")
    return ET.fromstring(text)  # noqa: S314  (our own output, read as a CI system would)


def _counts(element: ET.Element) -> tuple[int, int, int, int]:
    return (
        int(element.attrib["tests"]),
        int(element.attrib["failures"]),
        int(element.attrib["errors"]),
        int(element.attrib["skipped"]),
    )


def test_counts_match_the_cases_in_every_suite_and_in_total(sample_run: Run) -> None:
    root = _parse(sample_run)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.attrib["name"] for s in suites] == [
        "firstpatch.code",
        "firstpatch.dependencies",
        "firstpatch.inputs",
    ]
    for suite in suites:
        cases = suite.findall("testcase")
        failures = sum(1 for c in cases if c.find("failure") is not None)
        skipped = sum(1 for c in cases if c.find("skipped") is not None)
        assert _counts(suite) == (len(cases), failures, 0, skipped)
        assert suite.attrib["timestamp"].count(":") == 2  # ISO 8601 without a zone, as Ant's schema
    assert _counts(root) == (8, 6, 0, 2)
    assert float(root.attrib["time"]) == 3.25


def test_each_finding_is_a_failing_case_where_it_was_found(sample_run: Run) -> None:
    root = _parse(sample_run)
    cases = {c.attrib["name"]: c for c in root.iter("testcase")}
    command = cases["py/command-injection at app.py:9"]
    assert command.attrib["classname"] == "firstpatch.code.py/command-injection"
    assert (command.attrib["file"], command.attrib["line"]) == ("app.py", "9")
    failure = command.find("failure")
    assert failure is not None
    assert failure.attrib == {"message": "critical: Command built from untrusted input", "type": "critical"}
    assert failure.text is not None
    assert "source app.py:14: query parameter 'host'" in failure.text
    assert "proof: confirmed" in failure.text
    assert "+    return subprocess.run(command, check=False).returncode" in failure.text
    pyyaml = cases["PYSEC-2021-142 at requirements.txt:3"].find("failure")
    assert pyyaml is not None
    assert pyyaml.attrib["message"].startswith("critical (KEV): PyYAML")
    assert "package pkg:pypi/pyyaml@5.3; upgrade to 5.4" in (pyyaml.text or "")


def test_skipped_inputs_are_skipped_cases(sample_run: Run) -> None:
    suite = _parse(sample_run).find("testsuite[@name='firstpatch.inputs']")
    assert suite is not None
    reasons = {c.attrib["name"]: c.find("skipped") for c in suite.findall("testcase")}
    assert set(reasons) == {"broken.py:3", "vendor/huge.py"}
    first = reasons["broken.py:3"]
    assert first is not None
    assert first.attrib["message"] == "does not parse: invalid syntax"


def test_a_clean_run_has_one_passing_case(sample_run: Run) -> None:
    root = _parse(dataclasses.replace(sample_run, findings=(), skipped=()))
    assert _counts(root) == (1, 0, 0, 0)
    (case,) = root.iter("testcase")
    assert case.attrib["name"].startswith("vulnerable-flask: no findings (inventory, advisories")
    assert list(case) == []


def test_text_xml_cannot_hold_is_escaped_and_markup_stays_text(sample_run: Run) -> None:
    hostile = "evil\x1b[2J\x00</failure><script>.py"
    finding = dataclasses.replace(sample_run.findings[0], title=hostile, location=Location(hostile, 2))
    run = dataclasses.replace(sample_run, findings=(finding,), skipped=(Skipped("a\x07b.py", "bell\x07"),))
    root = _parse(run)
    (case, skipped) = root.iter("testcase")
    assert case.attrib["file"] == "evil\\u001b[2J\\u0000</failure><script>.py"
    failure = case.find("failure")
    assert failure is not None
    assert failure.attrib["message"].endswith("evil\\u001b[2J\\u0000</failure><script>.py")
    assert skipped.attrib["name"] == "a\\u0007b.py"
