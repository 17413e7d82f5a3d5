"""Reporters: one module per `--format`, registered by name in `_REGISTRY`.

Each reporter module is imported only when its format is used (`reporter_for`) or its class is
named: some pull in heavy libraries (jsonschema, Jinja2, cyclonedx-python-lib), and the
command line should start in a fraction of a second.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from firstpatch.report.interface import InvalidReportError, Reporter, ReportError

if TYPE_CHECKING:
    from firstpatch.report.html_charts import Deadline
    from firstpatch.report.html_report import HtmlReporter
    from firstpatch.report.json_report import JsonReporter
    from firstpatch.report.junit import JunitReporter
    from firstpatch.report.markdown import MarkdownReporter
    from firstpatch.report.osv_draft import OsvDraftReporter, write_drafts
    from firstpatch.report.sarif import SarifReporter
    from firstpatch.report.sbom import CycloneDxReporter
    from firstpatch.report.table import TableReporter
    from firstpatch.report.vex import VexReporter

DEFAULT_FORMAT = "table"

# --format → the module and class that render it, in the order `--help` lists them.
_REGISTRY: dict[str, tuple[str, str]] = {
    "table": ("table", "TableReporter"),
    "json": ("json_report", "JsonReporter"),
    "sarif": ("sarif", "SarifReporter"),
    "markdown": ("markdown", "MarkdownReporter"),
    "junit": ("junit", "JunitReporter"),
    "cyclonedx": ("sbom", "CycloneDxReporter"),
    "vex": ("vex", "VexReporter"),
    "osv-draft": ("osv_draft", "OsvDraftReporter"),
    "html": ("html_report", "HtmlReporter"),
}
FORMATS: tuple[str, ...] = tuple(_REGISTRY)
_ELSEWHERE = {"Deadline": "html_charts", "write_drafts": "osv_draft"}
_CLASSES = {cls: module for module, cls in _REGISTRY.values()}


def reporter_for(format: str) -> Reporter:
    """A default-configured reporter for `format`; a `ReportError` naming the known ones otherwise.

    A caller that wants colour or rule documentation builds its own `TableReporter(color=...)`
    or `SarifReporter(rule_docs=...)`.
    """
    try:
        module, cls = _REGISTRY[format]
    except KeyError:
        raise ReportError(
            f"unknown report format {format!r}; known formats: {', '.join(sorted(_REGISTRY))}"
        ) from None
    reporter: Reporter = getattr(importlib.import_module(f"{__name__}.{module}"), cls)()
    return reporter


def __getattr__(name: str) -> Any:
    if name == "REPORTERS":  # every reporter, default-configured (imports them all)
        return {format: reporter_for(format) for format in _REGISTRY}
    module = _CLASSES.get(name) or _ELSEWHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
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
]
