"""The HTML report in a real browser: headless Debian Chromium driven by Playwright.

The page is opened from a file:// URL, as someone opens a report they were sent, with the
network switched off for the page. Skipped where Chromium or Playwright is not installed
(Debian's `chromium` package and the `playwright` Python package; no browser is downloaded).
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from firstpatch.model import Location, Run, Step, StepKind
from firstpatch.report import HtmlReporter

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
# The flags Chromium needs on a machine without network, as root, with no display.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def _open(browser: Any, run: Run, folder: Path) -> tuple[Any, list[str]]:
    path = folder / "report.html"
    path.write_text(HtmlReporter().render(run), encoding="utf-8")
    context = browser.new_context(offline=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "request",
        lambda request: problems.append(request.url) if not request.url.startswith("file:") else None,
    )
    page.goto(path.as_uri())
    return page, problems


def _column(page: Any, number: int) -> list[str]:
    cells = page.locator(f"#findings tbody tr:not(.hidden) td:nth-child({number})")
    return [text.strip() for text in cells.all_text_contents()]


def test_sorting_and_filtering_work_offline(browser: Any, sample_run: Run, tmp_path: Path) -> None:
    page, problems = _open(browser, sample_run, tmp_path)
    assert page.locator("#shown").text_content() == "6 of 6 shown"
    assert _column(page, 2) == ["9.6", "8.7", "7.1", "6.5", "4.0", "3.2"]
    page.get_by_role("button", name="Risk").click()
    assert _column(page, 2) == ["3.2", "4.0", "6.5", "7.1", "8.7", "9.6"]
    page.get_by_role("button", name="Risk").click()
    assert _column(page, 2) == ["9.6", "8.7", "7.1", "6.5", "4.0", "3.2"]
    page.get_by_role("button", name="Location").click()
    assert _column(page, 5)[0] == "app.py:9"
    page.select_option("#filter-severity", "critical")
    assert page.locator("#shown").text_content() == "2 of 6 shown"
    page.check("#filter-kev")
    assert _column(page, 4) == ["PYSEC-2021-142CWE-20"]
    page.uncheck("#filter-kev")
    page.select_option("#filter-severity", "")
    page.fill("#filter-text", "urllib3")
    assert _column(page, 4) == ["PYSEC-2018-32"]
    page.fill("#filter-text", "")
    page.select_option("#filter-proof", "untestable")
    assert _column(page, 4) == ["py/sql-injectionCWE-89"]
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    # Our script ran under the CSP (it filled in the counts), and nothing else was fetched or failed.
    assert problems == []


def test_a_hostile_snippet_does_not_run(browser: Any, sample_run: Run, tmp_path: Path) -> None:
    payload = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    base = sample_run.findings[3]
    location = Location(f"{payload}.py", 3, 1, 3, 9, payload)
    hostile = dataclasses.replace(
        base,
        title=payload,
        message=payload,
        location=location,
        trace=(Step(StepKind.SINK, location, payload),),
    )
    page, _ = _open(browser, dataclasses.replace(sample_run, findings=(hostile,)), tmp_path)
    assert page.evaluate("window.pwned") is None
    assert page.locator("img").count() == 0
    assert page.locator("article h3").text_content().endswith(payload)
