"""The reporter registry and the package's public names."""

from __future__ import annotations

import pytest

import firstpatch.report
from firstpatch.model import Run
from firstpatch.report import (
    DEFAULT_FORMAT,
    REPORTERS,
    JsonReporter,
    JunitReporter,
    MarkdownReporter,
    ReportError,
    SarifReporter,
    TableReporter,
    reporter_for,
)

EXPECTED = {
    "table": TableReporter,
    "json": JsonReporter,
    "sarif": SarifReporter,
    "markdown": MarkdownReporter,
    "junit": JunitReporter,
}


def test_public_api_is_pinned() -> None:
    assert set(firstpatch.report.__all__) == {
        "DEFAULT_FORMAT",
        "REPORTERS",
        "InvalidReportError",
        "JsonReporter",
        "JunitReporter",
        "MarkdownReporter",
        "ReportError",
        "Reporter",
        "SarifReporter",
        "TableReporter",
        "reporter_for",
    }


def test_each_format_has_one_reporter() -> None:
    assert list(REPORTERS) == list(EXPECTED)
    assert DEFAULT_FORMAT in REPORTERS
    for name, cls in EXPECTED.items():
        assert isinstance(reporter_for(name), cls)
        assert REPORTERS[name].format == name


def test_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(ReportError, match=r"'xml'.*json, junit, markdown, sarif, table") as caught:
        reporter_for("xml")
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_reporter_renders_text_ending_in_a_newline(sample_run: Run, name: str) -> None:
    text = reporter_for(name).render(sample_run)
    assert text.endswith("\n")
    assert sample_run.findings[0].rule_id in text
