"""The dashboard in a real browser: headless Debian Chromium driven by Playwright, against the
app served by uvicorn on a loopback port. Sign in, see the overview, open a finding, accept its
risk and see it move; a screenshot of each page is kept under test-artifacts/web/.

Skipped where Chromium or Playwright is not installed (.ci/run installs Debian's chromium;
no browser is ever downloaded).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from web_samples import COMMAND, SHOP
from web_site import PASSWORDS, Site, free_port

from firstpatch.web.urls import finding_url, project_url

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
pytestmark = [
    pytest.mark.slow,
    # CI installs Chromium (.ci/run), so there a missing browser fails instead of skipping.
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="Debian's chromium is not installed"
    ),
]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
STARTUP_SECONDS = 20


@pytest.fixture
def served(site: Site) -> Iterator[str]:
    """The site's app under uvicorn on 127.0.0.1, as `firstpatch serve` runs it."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(site.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_SECONDS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def _page(browser: Any, problems: list[str]) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    # A CSP violation, a failed load or a script error all show up here.
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return page


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _sign_in(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/login?next=")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_sign_in_open_a_finding_accept_its_risk_and_see_it_move(
    browser: Any, served: str, site: Site
) -> None:
    problems: list[str] = []
    page = _page(browser, problems)
    page.goto(f"{served}/")
    _shot(page, "1-login")
    _sign_in(page, served, "alice")
    assert page.locator("#kev-count").text_content() == "1"
    assert page.locator("#overdue-count").text_content() == "2"
    _shot(page, "2-overview")

    page.click(f'table.projects a[href="{project_url(SHOP)}"]')
    page.wait_for_url(f"{served}{project_url(SHOP)}")
    open_rows = page.locator("#findings tbody tr")
    assert open_rows.count() == 3
    page.fill("#filter-text", "requirements")  # our script filters the table as one types
    assert page.locator("#findings tbody tr:not(.hidden)").count() == 1
    page.fill("#filter-text", "")
    _shot(page, "3-project")

    page.click(f'#findings a[href="{finding_url(SHOP, COMMAND.fingerprint)}"]')
    page.wait_for_url(f"{served}{finding_url(SHOP, COMMAND.fingerprint)}")
    assert page.locator(".lifecycle .status").first.text_content() == "patched"
    assert page.evaluate("window.pwned") is None  # the finding's <script> stayed text
    assert page.locator("main img").count() == 0
    _shot(page, "4-finding")

    last_day = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
    form = page.locator("form#accept-risk")
    form.locator("textarea[name=reason]").fill("Only reachable from the admin VPN until the rewrite ships.")
    form.locator("input[name=expires]").fill(last_day)
    form.locator("button[type=submit]").click()
    page.wait_for_url("**?done=accepted-risk")
    assert page.get_by_role("status").text_content() == f"Recorded: now accepted risk through {last_day}."
    latest = page.locator("#history tbody tr").first
    assert "alice" in latest.text_content()
    assert "Only reachable from the admin VPN" in latest.text_content()
    _shot(page, "5-accepted")

    page.click(f'.crumbs a[href="{project_url(SHOP)}"]')
    assert page.locator("#findings tbody tr").count() == 2
    page.get_by_role("link", name="Accepted risk (1)").click()
    page.wait_for_url("**?show=accepted-risk")
    assert page.locator("#findings tbody tr").count() == 1
    assert "accepted risk" in page.locator("#findings tbody tr").text_content()
    _shot(page, "6-project-accepted")

    page.locator("table.runs a").first.click()
    page.wait_for_url("**/runs/**")
    _shot(page, "7-run")
    assert problems == []


def test_a_read_only_user_sees_no_triage_forms(browser: Any, served: str) -> None:
    problems: list[str] = []
    page = _page(browser, problems)
    _sign_in(page, served, "bob")
    page.goto(f"{served}{finding_url(SHOP, COMMAND.fingerprint)}")
    assert page.locator("form.decision").count() == 0
    assert page.locator(".who").text_content().strip().startswith("bob")
    _shot(page, "8-finding-read-only")
    page.click("header button[type=submit]")  # sign out
    page.wait_for_url(f"{served}/login")
    page.goto(f"{served}/")
    assert page.url.startswith(f"{served}/login")
    assert problems == []
