"""The overview's Fleet section and /api/fleet, on SQLite and on a real PostgreSQL server: the
newest fleet run with the targets that failed and why, written through the real FleetLedger;
absent, and the fleet's tables not made, on a database that never saw a fleet."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from web_samples import BLOG, BLOG_1, SHOP, SHOP_3
from web_site import Site, cheap_hasher, populate

from firstpatch.fleet.interface import FleetTarget, TargetKind
from firstpatch.fleet.ledger import FleetLedger, FleetState, TaskState
from firstpatch.store import SqlStore
from firstpatch.web import Accounts, create_app, project_key
from firstpatch.web.urls import project_url, run_url

CONFIGURATION = "cfg-1"
ELSEWHERE = "/srv/checkouts/elsewhere"  # done, but its run went to another store
REFUSED = "https://git.example/private.git"
GONE = "/srv/checkouts/gone"
SLOW = "/srv/checkouts/slow"
BUSY = "/srv/checkouts/busy"
WAITING = "/srv/checkouts/waiting"
REFUSED_WHY = "git clone failed: fatal: could not read Username for 'https://git.example'"
GONE_WHY = "cannot open /srv/checkouts/gone: <not a folder>"
SLOW_REVISION = "9f" * 20


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _write_fleets(url: str) -> str:
    """An older finished fleet run, then the newest one with every way a task can stand; its id."""
    with FleetLedger(url) as ledger:
        older = ledger.begin("/etc/firstpatch/old.txt", [FleetTarget(TargetKind.PATH, SHOP)], "cfg-0", {})
        ledger.started(older, 0)
        ledger.settle(older, 0, TaskState.FAILED, reason="an old failure")
        ledger.end(older, FleetState.FINISHED)
        targets = [
            FleetTarget(TargetKind.PATH, SHOP),
            FleetTarget(TargetKind.PATH, BLOG),
            FleetTarget(TargetKind.PATH, ELSEWHERE),
            FleetTarget(TargetKind.GIT, REFUSED),
            FleetTarget(TargetKind.PATH, GONE),
            FleetTarget(TargetKind.PATH, SLOW),
            FleetTarget(TargetKind.PATH, BUSY),
            FleetTarget(TargetKind.PATH, WAITING),
        ]
        newest = ledger.begin("/etc/firstpatch/nightly.txt", targets, CONFIGURATION, {"workers": 2})
        for position in range(7):
            ledger.started(newest, position)
        ledger.scanned_into(newest, 0, SHOP, "rev-shop", CONFIGURATION, SHOP_3.id)
        ledger.settle(newest, 1, TaskState.UNCHANGED, revision="rev-blog", run_id=BLOG_1.id)
        ledger.scanned_into(newest, 2, ELSEWHERE, "rev-elsewhere", CONFIGURATION, "e5" * 16)
        ledger.settle(newest, 3, TaskState.FAILED, reason=REFUSED_WHY)
        ledger.settle(newest, 4, TaskState.FAILED, reason=GONE_WHY)
        ledger.settle(newest, 5, TaskState.FAILED, revision=SLOW_REVISION, reason="timed out after 600 s")
        # BUSY is still running and WAITING pending: the fleet was stopped halfway.
        ledger.end(newest, FleetState.INTERRUPTED)
    return newest


def _site(url: str) -> Iterator[Site]:
    """A seeded dashboard over `url`, opened as `firstpatch serve` opens it: the fleet ledger read-only."""
    with (
        SqlStore(url) as store,
        Accounts(url, cheap_hasher()) as accounts,
        FleetLedger(url, create_tables=False) as fleet,
    ):
        tokens = populate(store, accounts)
        yield Site(create_app(store, accounts, fleet=fleet), store, accounts, tokens)


@pytest.fixture
def fleet_site(any_db_url: str) -> Iterator[tuple[Site, str]]:
    """A seeded dashboard whose database holds two fleet runs; the newest's id."""
    for site in _site(any_db_url):
        yield site, _write_fleets(any_db_url)


@pytest.fixture
def fleetless(any_db_url: str) -> Iterator[tuple[Site, str]]:
    """A seeded dashboard over a database that no fleet has touched; its URL."""
    for site in _site(any_db_url):
        yield site, any_db_url


def _fleet_section(site: Site) -> str:
    html = site.signed_in("bob").get("/").text
    start = html.index('<section aria-label="Fleet" id="fleet">')
    return html[start : html.index("</section>", start)]


def _api_fleet(site: Site) -> Any:
    return site.client().get("/api/fleet", headers={"Authorization": f"Bearer {site.tokens['bob']}"})


def test_the_overview_shows_the_newest_fleet_run_and_why_targets_failed(fleet_site: tuple[Site, str]) -> None:
    site, newest = fleet_site
    section = _fleet_section(site)
    assert f"<code>{newest[:12]}</code>" in section
    assert "<code>/etc/firstpatch/nightly.txt</code>" in section
    assert "old.txt" not in section
    assert "an old failure" not in section
    assert '<span class="status fleet-interrupted">interrupted</span>' in section
    assert "finished 20" in section  # the fleet run ended (interrupted), with its time
    for state, count in (("done", 2), ("unchanged", 1), ("failed", 3), ("running", 1), ("pending", 1)):
        assert f'class="card task-card-{state}"><span class="number">{count}</span>' in section
    failed = section[section.index('<table class="fleet-failed">') : section.index("</table>")]
    rows = failed.split("<tr>")[2:]  # after the heading's row
    assert [REFUSED in r for r in rows] == [True, False, False]
    refused, gone, slow = rows
    assert "could not read Username for &#39;https://git.example&#39;" in refused
    assert '<span class="muted">unknown</span>' in refused  # no revision: the clone never came
    assert "&lt;not a folder&gt;" in gone  # the reason is text, never markup
    assert "timed out after 600 s" in slow
    assert f'<code title="{SLOW_REVISION}">{SLOW_REVISION[:12]}</code>' in slow
    assert "<a " not in failed  # a failed target has no run, so no page to link
    # Scanned targets link to their project and run when the store has them; ELSEWHERE's run
    # is in another store, so it is listed without a link.
    scanned = section[section.index('<details class="fleet-scanned">') :]
    for target, run_id in ((SHOP, SHOP_3.id), (BLOG, BLOG_1.id)):
        assert f'<a href="{project_url(target)}">' in scanned
        assert f'<a href="{run_url(run_id)}">' in scanned
    assert ELSEWHERE in scanned
    assert project_url(ELSEWHERE) not in scanned
    # BUSY and WAITING are counted, not listed.
    assert BUSY not in section
    assert WAITING not in section


def test_the_api_gives_the_same_fleet_run_as_its_description_says(fleet_site: tuple[Site, str]) -> None:
    site, newest = fleet_site
    response = _api_fleet(site)
    assert response.status_code == 200, response.text
    fleet = response.json()
    assert fleet["id"] == newest
    assert fleet["source"] == "/etc/firstpatch/nightly.txt"
    assert fleet["configuration"] == CONFIGURATION
    assert fleet["state"] == "interrupted"
    assert fleet["finished"] is not None
    assert fleet["counts"] == {"done": 2, "unchanged": 1, "failed": 3, "running": 1, "pending": 1}
    tasks = {task["target"]: task for task in fleet["tasks"]}
    assert [task["position"] for task in fleet["tasks"]] == list(range(8))
    shop = tasks[SHOP]
    assert shop.pop("started") <= shop.pop("finished")  # ISO 8601 in UTC: they sort as text
    assert shop == {
        "position": 0,
        "target": SHOP,
        "kind": "path",
        "state": "done",
        "revision": "rev-shop",
        "reason": None,
        "run_id": SHOP_3.id,
        "project_key": project_key(SHOP),
    }
    assert tasks[BLOG]["state"] == "unchanged"
    assert tasks[BLOG]["project_key"] == project_key(BLOG)
    assert tasks[ELSEWHERE]["project_key"] is None
    assert (tasks[REFUSED]["kind"], tasks[REFUSED]["state"]) == ("git", "failed")
    assert tasks[REFUSED]["reason"] == REFUSED_WHY
    assert tasks[REFUSED]["project_key"] is None
    assert tasks[GONE]["reason"] == GONE_WHY
    assert tasks[SLOW]["revision"] == SLOW_REVISION
    assert (tasks[BUSY]["state"], tasks[BUSY]["finished"]) == ("running", None)
    assert (tasks[WAITING]["state"], tasks[WAITING]["started"]) == ("pending", None)
    # The answer matches the OpenAPI description that schemathesis fuzzes the API by.
    headers = {"Authorization": f"Bearer {site.tokens['alice']}"}
    described = schemathesis.openapi.from_asgi("/api/openapi.json", site.app, headers=headers)
    operation = described["/api/fleet"]["GET"]
    assert operation.Case().call_and_validate(headers=headers).json()["id"] == newest


def test_without_fleet_tables_there_is_no_section_and_viewing_makes_none(
    fleetless: tuple[Site, str],
) -> None:
    site, url = fleetless
    before = _tables(url)
    assert not {name for name in before if name.startswith("fleet_")}
    html = site.signed_in("bob").get("/").text
    assert 'aria-label="Projects"' in html
    assert 'id="fleet"' not in html
    response = _api_fleet(site)
    assert response.status_code == 404
    assert response.json() == {"detail": "no fleet run in this database"}
    assert _tables(url) == before


def test_fleet_tables_without_a_fleet_run_show_no_section(fleetless: tuple[Site, str]) -> None:
    site, url = fleetless
    FleetLedger(url).close()  # what a fleet that stopped before its first run leaves
    assert {"fleet_runs", "fleet_tasks"} <= _tables(url)
    assert 'id="fleet"' not in site.signed_in("bob").get("/").text
    assert _api_fleet(site).status_code == 404


def test_the_api_asks_for_a_token_before_it_reads_the_fleet(fleet_site: tuple[Site, str]) -> None:
    site, _ = fleet_site
    assert site.client().get("/api/fleet").status_code == 401


def test_the_dashboard_reads_the_fleet_without_importing_ray() -> None:
    # Ray is the optional `fleet` extra: a dashboard must start where it is not installed.
    code = "import sys, firstpatch.web.app; print(sorted(m for m in sys.modules if m.split('.')[0] == 'ray'))"
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert shown.stdout.strip() == "[]"
