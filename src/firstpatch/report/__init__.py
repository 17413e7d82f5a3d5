"""Reporters: one module per `--format`, all registered in `REPORTERS`."""

from __future__ import annotations

from firstpatch.report.html_charts import Deadline
from firstpatch.report.html_report import HtmlReporter
from firstpatch.report.interface import InvalidReportError, Reporter, ReportError
from firstpatch.report.json_report import JsonReporter
from firstpatch.report.junit import JunitReporter
from firstpatch.report.markdown import MarkdownReporter
from firstpatch.report.osv_draft import OsvDraftReporter, write_drafts
from firstpatch.report.sarif import SarifReporter
from firstpatch.report.sbom import CycloneDxReporter
from firstpatch.report.table import TableReporter
from firstpatch.report.vex import VexReporter

DEFAULT_FORMAT = "table"

# Default-configured instances; a caller that wants colour or rule documentation builds its own
# `TableReporter(color=...)` or `SarifReporter(rule_docs=...)`.
REPORTERS: dict[str, Reporter] = {
    reporter.format: reporter
    for reporter in (
        TableReporter(),
        JsonReporter(),
        SarifReporter(),
        MarkdownReporter(),
        JunitReporter(),
        CycloneDxReporter(),
        VexReporter(),
        OsvDraftReporter(),
        HtmlReporter(),
    )
}


def reporter_for(format: str) -> Reporter:
    """The reporter registered for `format`; a `ReportError` naming the known ones otherwise."""
    try:
        return REPORTERS[format]
    except KeyError:
        known = ", ".join(sorted(REPORTERS))
        raise ReportError(f"unknown report format {format!r}; known formats: {known}") from None


__all__ = [
    "DEFAULT_FORMAT",
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
]
