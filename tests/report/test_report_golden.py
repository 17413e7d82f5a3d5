"""Every reporter against its golden file, with times, versions and absolute paths masked."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from firstpatch.model import Run
from firstpatch.report import (
    CycloneDxReporter,
    HtmlReporter,
    JsonReporter,
    JunitReporter,
    MarkdownReporter,
    OsvDraftReporter,
    Reporter,
    SarifReporter,
    TableReporter,
    VexReporter,
)

GOLDEN = Path(__file__).parent / "golden"
MASK = "<masked>"

# JSON pointers of the fields that differ between two renderings of the same findings.
JSON_VOLATILE = ("/run/started", "/run/finished", "/run/tool_version", "/run/target")
SARIF_VOLATILE = (
    "/runs/0/tool/driver/version",
    "/runs/0/invocations/0/startTimeUtc",
    "/runs/0/invocations/0/endTimeUtc",
    "/runs/0/originalUriBaseIds/%SRCROOT%/uri",
)
# Present only when the version is a semantic version, which a development build's is not.
SARIF_OPTIONAL = ("/runs/0/tool/driver/semanticVersion",)


def _mask_pointers(document: Any, pointers: tuple[str, ...], optional: tuple[str, ...] = ()) -> Any:
    for pointer in pointers + optional:
        *parents, last = pointer.strip("/").split("/")
        node = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if pointer in optional and last not in node:
            continue
        assert last in node, f"volatile field {pointer} is missing: update the mask"
        node[last] = MASK
    return document


def _mask_text(text: str, run: Run) -> str:
    """The absolute target, wherever it leaks into free text, is masked too. (The version is
    masked only by pointer: a short string such as "1.0" also names fixed versions.)"""
    return text.replace(run.target, MASK)


def _check(name: str, actual: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run pytest tests/report --update-golden"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs; regenerate if the change is meant"


def test_json_report_matches_golden(sample_run: Run, update_golden: bool) -> None:
    document = json.loads(JsonReporter().render(sample_run))
    masked = json.dumps(_mask_pointers(document, JSON_VOLATILE), indent=2, sort_keys=True, ensure_ascii=False)
    _check("run.json", _mask_text(masked, sample_run) + "\n", update_golden)


def test_sarif_report_matches_golden(sample_run: Run, update_golden: bool) -> None:
    log = json.loads(SarifReporter().render(sample_run))
    masked = json.dumps(_mask_pointers(log, SARIF_VOLATILE, SARIF_OPTIONAL), indent=2, ensure_ascii=False)
    _check("run.sarif", _mask_text(masked, sample_run) + "\n", update_golden)


def test_table_report_matches_golden(sample_run: Run, update_golden: bool) -> None:
    text = TableReporter(width=120).render(sample_run)
    _check("run.txt", _mask_text(text, sample_run), update_golden)


@pytest.mark.parametrize("width", [60, 80, 200])
def test_table_stays_within_its_width(sample_run: Run, width: int) -> None:
    text = TableReporter(width=width).render(sample_run)
    assert max(len(line) for line in text.splitlines()) <= width


def test_markdown_report_matches_golden(sample_run: Run, update_golden: bool) -> None:
    text = MarkdownReporter().render(sample_run)
    versioned = f"firstpatch {sample_run.tool_version}</sub>"
    assert versioned in text
    _check(
        "run.md", _mask_text(text.replace(versioned, f"firstpatch {MASK}</sub>"), sample_run), update_golden
    )


def test_junit_report_matches_golden(sample_run: Run, update_golden: bool) -> None:
    text = JunitReporter().render(sample_run)
    masked = re.sub(r'timestamp="[^"]+"', f'timestamp="{MASK}"', text)
    _check("run.junit.xml", _mask_text(masked, sample_run), update_golden)


CYCLONEDX_VOLATILE = ("/metadata/timestamp", "/metadata/tools/components/0/version")


@pytest.mark.parametrize(
    ("reporter", "name"), [(CycloneDxReporter(), "run.cdx.json"), (VexReporter(), "run.vex.json")]
)
def test_cyclonedx_reports_match_golden(
    sample_run: Run, update_golden: bool, reporter: Reporter, name: str
) -> None:
    document = json.loads(reporter.render(sample_run))
    masked = json.dumps(_mask_pointers(document, CYCLONEDX_VOLATILE), indent=2, ensure_ascii=False)
    _check(name, _mask_text(masked, sample_run) + "\n", update_golden)


def test_osv_draft_matches_golden(sample_run: Run, update_golden: bool) -> None:
    draft = json.loads(OsvDraftReporter().render(sample_run))
    masked = _mask_pointers(draft, ("/modified", "/credits/0/name"))
    _check(
        "run.osv.json",
        _mask_text(json.dumps(masked, indent=2, ensure_ascii=False), sample_run) + "\n",
        update_golden,
    )


def test_html_report_matches_golden(sample_run: Run, update_golden: bool) -> None:
    # The report counts deadline days from the run's end: a fixed end keeps the golden stable.
    finished = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    run = dataclasses.replace(sample_run, started=finished - timedelta(seconds=3), finished=finished)
    text = HtmlReporter().render(run).replace(f"firstpatch {run.tool_version}", f"firstpatch {MASK}")
    # The inline style and script are our own files, checked by hash in the CSP line; the golden
    # file is about the markup around them.
    text = re.sub(r"(<style>|<script>).*?(</style>|</script>)", rf"\1{MASK}\2", text, flags=re.S)
    _check("run.html", _mask_text(text, run), update_golden)
