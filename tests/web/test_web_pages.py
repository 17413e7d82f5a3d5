"""The pages show what the store holds: open findings against deadlines, runs, a finding's
proof, patch and history; the triage forms move a finding and record who did it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from web_samples import BLOG, COMMAND, DEPENDENCY, PATH, SHOP, SHOP_1, SHOP_2, SHOP_3, SQL
from web_site import Site, csrf_of

from firstpatch.store import FindingStatus
from firstpatch.web import project_key
from firstpatch.web.urls import finding_url, project_url, run_url

FINDING = finding_url(SHOP, COMMAND.fingerprint)


def test_the_overview_counts_open_findings_kev_and_the_oldest_against_its_deadline(site: Site) -> None:
    html = site.signed_in("alice").get("/").text
    # Open: command (critical, 40 days of 15: overdue), dependency (high, KEV: 7 days, overdue),
    # path (low, 1 day of 180) in shop; the blog's low finding. The SQL injection was fixed.
    assert '<span class="number">1</span><span class="label">open critical</span>' in html
    assert '<span class="number">1</span><span class="label">open high</span>' in html
    assert '<span class="number">2</span><span class="label">open low</span>' in html
    assert '<span class="number" id="kev-count">1</span>' in html
    assert '<span class="number" id="overdue-count">2</span>' in html
    oldest = html[html.index('class="card wide oldest-card"') :]
    assert f'href="{FINDING}"' in oldest.split("</div>")[0]
    assert "open 40 of 15 d, overdue" in oldest.split("</div>")[0]
    for target in (SHOP, BLOG):
        assert f'href="{project_url(target)}"' in html
    # One column per run in the trend, linking to the run.
    for run in (SHOP_1, SHOP_2, SHOP_3):
        assert f'<a href="{run_url(run.id)}">' in html


def test_a_project_page_lists_runs_and_open_findings_with_their_windows(site: Site) -> None:
    client = site.signed_in("alice")
    html = client.get(project_url(SHOP)).text
    table = html[html.index('id="findings"') : html.index("</table>")]
    rows = table.split("<tr data-status=")[1:]
    assert [r.split('"')[1] for r in rows] == ["patched", "new", "new"]
    command, dependency, path = rows
    assert "open 40 of 15 d, overdue" in command
    assert "open 40 of 7 d, overdue" in dependency
    assert ">KEV<" in dependency
    assert "open 1 of 180 d, 179 d left" in path
    assert SQL.title not in table
    for run in (SHOP_1, SHOP_2, SHOP_3):
        assert f'<a href="{run_url(run.id)}"><code>{run.id[:12]}</code></a>' in html
    fixed = client.get(project_url(SHOP), params={"show": "fixed"}).text
    assert SQL.title in fixed[fixed.index('id="findings"') :]


def test_a_finding_page_shows_trace_reproducer_patch_and_history(site: Site) -> None:
    html = site.signed_in("alice").get(FINDING).text
    assert "request.args.get(&#39;host&#39;)" in html  # the trace's source
    assert 'id="reproducer"' in html
    assert "params={&#39;host&#39;: &#39;;id&#39;}" in html
    assert '<span class="add">+    subprocess.run([&#39;ping&#39;, host], check=False)</span>' in html
    assert '<li class="passed">passed: reproducer (no second command)</li>' in html
    history = html[html.index('id="history"') :]
    assert history.index("verified patch: run ping without a shell") < history.index("first seen in run")
    assert "open 40 of 15 d, overdue" in html


def test_accepting_a_risk_in_the_form_moves_the_finding_and_records_who(site: Site) -> None:
    client = site.signed_in("alice")
    last_day = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
    response = client.post(
        f"{FINDING}/accept-risk",
        data={
            "csrf_token": csrf_of(client, FINDING),
            "reason": "behind the VPN until the rewrite",
            "expires": last_day,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{FINDING}?done=accepted-risk"
    tracked = site.store.tracked_finding(SHOP, COMMAND.fingerprint)
    assert tracked.status is FindingStatus.ACCEPTED_RISK
    assert tracked.status_by == "alice"
    assert tracked.accepted_until is not None
    assert tracked.accepted_until.isoformat() == last_day
    page = client.get(response.headers["location"]).text
    assert "Recorded: now" in page
    assert f"through {last_day}" in page
    latest = page[page.index('id="history"') :].split("<tr>")[2]
    assert "alice" in latest
    assert "behind the VPN until the rewrite" in latest
    # The project's open list no longer has it; the accepted list does.
    project = client.get(project_url(SHOP)).text
    assert COMMAND.fingerprint not in project[project.index('id="findings"') :]
    accepted = client.get(project_url(SHOP), params={"show": "accepted-risk"}).text
    assert FINDING in accepted


def test_a_refused_decision_keeps_what_was_typed(site: Site) -> None:
    client = site.signed_in("alice")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    response = client.post(
        f"{FINDING}/accept-risk",
        data={"csrf_token": csrf_of(client, FINDING), "reason": "my careful reasoning", "expires": yesterday},
    )
    assert response.status_code == 409
    assert "already have expired" in response.text
    assert ">my careful reasoning</textarea>" in response.text
    missing = client.post(
        f"{FINDING}/false-positive", data={"csrf_token": csrf_of(client, FINDING), "reason": " "}
    )
    assert missing.status_code == 400
    assert "A reason is needed" in missing.text
    assert site.store.tracked_finding(SHOP, COMMAND.fingerprint).status is FindingStatus.PATCHED


def test_false_positive_then_reopen_through_the_forms(site: Site) -> None:
    client = site.signed_in("alice")
    target = finding_url(SHOP, PATH.fingerprint)
    marked = client.post(
        f"{target}/false-positive",
        data={"csrf_token": csrf_of(client, target), "reason": "constant file name"},
    )
    assert marked.status_code == 200  # after the redirect
    assert 'action="' + target + '/reopen"' in marked.text
    reopened = client.post(
        f"{target}/reopen", data={"csrf_token": csrf_of(client, target), "reason": "name is input"}
    )
    assert reopened.status_code == 200
    events = site.store.events(SHOP, PATH.fingerprint)
    assert [(e.after, e.who) for e in events[-2:]] == [
        (FindingStatus.FALSE_POSITIVE, "alice"),
        (FindingStatus.REOPENED, "alice"),
    ]


def test_a_run_page_shows_what_changed_since_the_run_before(site: Site) -> None:
    html = site.signed_in("bob").get(run_url(SHOP_3.id)).text
    new = html[html.index("<h3>New (1)</h3>") : html.index("<h3>Fixed")]
    assert PATH.title in new
    still = html[html.index("<h3>Still there (2)</h3>") :]
    assert COMMAND.fingerprint in still
    assert DEPENDENCY.fingerprint in still
    second = site.signed_in("bob").get(run_url(SHOP_2.id)).text
    assert SQL.title in second[second.index("<h3>Fixed (1)</h3>") : second.index("<h3>Still there")]


def test_unknown_projects_findings_and_runs_are_404_pages(site: Site) -> None:
    client = site.signed_in("bob")
    for path in (
        f"/projects/{project_key('/nowhere')}",
        "/projects/%00%ff",
        finding_url(SHOP, "0" * 32),
        finding_url(SHOP, "not a fingerprint"),
        run_url("f" * 32),
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "<h1>404</h1>" in response.text
