"""The reporter registry and the package's public names."""

from __future__ import annotations

import re

import pytest

import firstpatch.report
from firstpatch.model import Run
from firstpatch.report import (
    DEFAULT_FORMAT,
    REPORTERS,
    CycloneDxReporter,
    HtmlReporter,
    JsonReporter,
    JunitReporter,
    MarkdownReporter,
    OsvDraftReporter,
    ReportError,
    SarifReporter,
    TableReporter,
    VexReporter,
    reporter_for,
)

EXPECTED = {
    "table": TableReporter,
    "json": JsonReporter,
    "sarif": SarifReporter,
    "markdown": MarkdownReporter,
    "junit": JunitReporter,
    "cyclonedx": CycloneDxReporter,
    "vex": VexReporter,
    "osv-draft": OsvDraftReporter,
    "html": HtmlReporter,
}


def test_every_exported_name_resolves() -> None:
    for name in firstpatch.report.__all__:
        assert getattr(firstpatch.report, name) is not None, name


def test_public_api_is_pinned() -> None:
    assert set(firstpatch.report.__all__) == {
        "DEFAULT_FORMAT",
        "FORMATS",
        "REPORTERS",
        "CycloneDxReporter",
        "Deadline",
        "HtmlReporter",
        "InvalidReportError",
        "JsonReporter",
        "JunitReporter",
        "MarkdownReporter",
        "OsvDraftReporter",
        "ReportError",
        "Reporter",
        "SarifReporter",
        "TableReporter",
        "VexReporter",
        "reporter_for",
        "write_drafts",
    }


def test_each_format_has_one_reporter() -> None:
    assert list(REPORTERS) == list(EXPECTED)
    assert DEFAULT_FORMAT in REPORTERS
    for name, cls in EXPECTED.items():
        assert isinstance(reporter_for(name), cls)
        assert REPORTERS[name].format == name


def test_unknown_format_names_the_known_ones() -> None:
    known = re.escape(", ".join(sorted(EXPECTED)))
    with pytest.raises(ReportError, match=rf"'xml'.*{known}") as caught:
        reporter_for("xml")
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_reporter_renders_text_ending_in_a_newline(sample_run: Run, name: str) -> None:
    text = reporter_for(name).render(sample_run)
    assert text.endswith("\n")
    # Every format that reports findings names them; the SBOM lists the inventory instead.
    # The OSV draft holds only the confirmed code finding.
    named = {
        "cyclonedx": sample_run.components[0].purl,
        "osv-draft": sample_run.findings[3].rule_id,
    }.get(name, sample_run.findings[1].rule_id)
    assert named in text
