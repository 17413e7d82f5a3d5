"""The JSON API on SQLite and on a real PostgreSQL server: what it answers, and how it refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
from web_samples import BLOG, COMMAND, DEPENDENCY, PATH, SHOP, SHOP_1, SHOP_2, SHOP_3, SQL
from web_site import Site

from firstpatch.model import schema
from firstpatch.web import project_key

KEY = project_key(SHOP)
FINDING = f"/api/projects/{KEY}/findings/{COMMAND.fingerprint}"


def _get(site: Site, path: str, **params: Any) -> Any:
    response = site.client().get(
        path, params=params, headers={"Authorization": f"Bearer {site.tokens['bob']}"}
    )
    assert response.status_code == 200, response.text
    return response.json()


def _post(site: Site, path: str, body: dict[str, Any], who: str = "alice") -> Any:
    return site.client().post(path, json=body, headers={"Authorization": f"Bearer {site.tokens[who]}"})


def test_the_overview_and_projects(any_site: Site) -> None:
    overview = _get(any_site, "/api/overview")
    assert overview["open_by_severity"] == {"critical": 1, "high": 1, "medium": 0, "low": 2, "none": 0}
    assert overview["open_in_kev"] == 1
    assert overview["overdue"] == 2
    assert overview["oldest_open"]["fingerprint"] == COMMAND.fingerprint
    assert overview["oldest_open"]["window"]["days_open"] == 40
    assert overview["oldest_open"]["window"]["days_allowed"] == 15
    assert [r["id"] for r in overview["trend"]] == [SHOP_1.id, SHOP_2.id, "d4" * 16, SHOP_3.id]
    projects = {p["target"]: p for p in _get(any_site, "/api/projects")}
    assert set(projects) == {SHOP, BLOG}
    assert projects[SHOP]["key"] == KEY
    assert projects[SHOP]["by_status"]["fixed"] == 1
    assert _get(any_site, f"/api/projects/{KEY}") == projects[SHOP]


def test_findings_are_findings_v1_with_their_windows(any_site: Site) -> None:
    page = _get(any_site, f"/api/projects/{KEY}/findings", status=["new", "patched"])
    found = {f["fingerprint"]: f for f in page["findings"]}
    assert set(found) == {COMMAND.fingerprint, DEPENDENCY.fingerprint, PATH.fingerprint}
    finding_schema = {"$schema": schema()["$schema"], "$defs": schema()["$defs"], "$ref": "#/$defs/finding"}
    for tracked in found.values():
        jsonschema.validate(tracked["finding"], finding_schema)
    assert found[DEPENDENCY.fingerprint]["window"]["days_allowed"] == 7  # in KEV
    assert found[DEPENDENCY.fingerprint]["window"]["overdue"] is True
    fixed = _get(any_site, f"/api/projects/{KEY}/findings", status="fixed")["findings"]
    assert [f["fingerprint"] for f in fixed] == [SQL.fingerprint]
    assert fixed[0]["window"] is None
    second = _get(any_site, f"/api/projects/{KEY}/findings", limit=1, offset=1)["findings"]
    assert len(second) == 1
    one = _get(any_site, FINDING)
    assert one["finding"]["evidence"]["status"] == "confirmed"
    assert one["status"] == "patched"


def test_runs_diffs_and_events(any_site: Site) -> None:
    runs = _get(any_site, f"/api/projects/{KEY}/runs")
    assert [r["id"] for r in runs] == [SHOP_3.id, SHOP_2.id, SHOP_1.id]
    assert runs[1]["fixed"] == 1
    document = _get(any_site, f"/api/runs/{SHOP_1.id}")
    assert document["schema"] == "findings-v1"
    assert [f["fingerprint"] for f in document["run"]["findings"]] == [
        COMMAND.fingerprint,
        DEPENDENCY.fingerprint,
        SQL.fingerprint,
    ]
    diff = _get(any_site, f"/api/runs/{SHOP_1.id}/diff/{SHOP_3.id}")
    assert [f["fingerprint"] for f in diff["new"]] == [PATH.fingerprint]
    assert [f["fingerprint"] for f in diff["fixed"]] == [SQL.fingerprint]
    events = _get(any_site, f"{FINDING}/events")
    assert [(e["before"], e["after"]) for e in events] == [
        (None, "new"),
        ("new", "confirmed"),
        ("confirmed", "patched"),
    ]
    assert events[0]["run"] == SHOP_1.id


def test_triage_through_the_api_is_recorded_with_the_tokens_user(any_site: Site) -> None:
    last_day = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    accepted = _post(any_site, f"{FINDING}/accept-risk", {"reason": "WAF rule 912", "expires": last_day})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted-risk"
    assert accepted.json()["accepted_until"] == last_day
    again = _post(any_site, f"{FINDING}/reopen", {"reason": "WAF removed"})
    assert again.json()["status"] == "reopened"
    events = _get(any_site, f"{FINDING}/events")
    assert [(e["after"], e["who"]) for e in events[-2:]] == [
        ("accepted-risk", "alice"),
        ("reopened", "alice"),
    ]
    assert events[-2]["run"] is None


def test_refusals_are_statuses_with_a_reason(any_site: Site) -> None:
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    past = _post(any_site, f"{FINDING}/accept-risk", {"reason": "late", "expires": yesterday})
    assert past.status_code == 409
    assert "already have expired" in past.json()["detail"]
    assert _post(any_site, f"{FINDING}/reopen", {"reason": "it is open"}).status_code == 409
    assert _post(any_site, f"{FINDING}/reopen", {"reason": ""}).status_code == 422
    assert _post(any_site, f"{FINDING}/reopen", {"reason": "a\x00b"}).status_code == 422
    assert _post(any_site, f"{FINDING}/reopen", {"reason": "x", "extra": 1}).status_code == 422
    missing = _post(any_site, f"/api/projects/{KEY}/findings/{'0' * 32}/reopen", {"reason": "x"})
    assert missing.status_code == 404
    headers = {"Authorization": f"Bearer {any_site.tokens['bob']}"}
    client = any_site.client()
    assert client.get(f"/api/projects/{project_key('/elsewhere')}", headers=headers).status_code == 404
    assert client.get("/api/projects/AAAA", headers=headers).status_code == 404  # decodes to NULs
    assert client.get(f"/api/runs/{'e' * 32}", headers=headers).status_code == 404


def test_the_openapi_description_is_behind_the_login_and_describes_the_api(site: Site) -> None:
    assert site.client().get("/api/openapi.json").status_code == 401
    description = _get(site, "/api/openapi.json")
    assert description["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert set(description["paths"]) >= {
        "/api/overview",
        "/api/projects/{key}/findings/{fingerprint}/accept-risk",
        "/api/runs/{base}/diff/{head}",
    }
    assert not [p for p in description["paths"] if not p.startswith("/api/")]
