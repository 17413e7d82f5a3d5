"""The reporter registry and the package's public names."""

from __future__ import annotations

import pytest

import firstpatch.report
from firstpatch.model import Run
from firstpatch.report import (
    DEFAULT_FORMAT,
    REPORTERS,
    JsonReporter,
    ReportError,
    SarifReporter,
    TableReporter,
    reporter_for,
)


def test_public_api_is_pinned() -> None:
    assert set(firstpatch.report.__all__) == {
        "DEFAULT_FORMAT",
        "REPORTERS",
        "InvalidReportError",
        "JsonReporter",
        "ReportError",
        "Reporter",
        "SarifReporter",
        "TableReporter",
        "reporter_for",
    }


def test_each_format_has_one_reporter() -> None:
    assert set(REPORTERS) == {"table", "json", "sarif"}
    assert DEFAULT_FORMAT in REPORTERS
    assert isinstance(reporter_for("table"), TableReporter)
    assert isinstance(reporter_for("json"), JsonReporter)
    assert isinstance(reporter_for("sarif"), SarifReporter)
    for name, reporter in REPORTERS.items():
        assert reporter.format == name


def test_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(ReportError, match=r"'xml'.*json, sarif, table") as caught:
        reporter_for("xml")
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("name", ["table", "json", "sarif"])
def test_every_reporter_renders_text_ending_in_a_newline(sample_run: Run, name: str) -> None:
    text = reporter_for(name).render(sample_run)
    assert text.endswith("\n")
    assert sample_run.findings[0].rule_id in text
