"""How fast the dashboard answers over a store the size of a team's, on SQLite.

    python benchmarks/web_speed.py [--projects 20] [--findings 200] [--runs 5] [--repeat 5]

Seeds a fresh SQLite store with --projects projects of --runs runs each, every run seeing
--findings code findings (severities and KEV membership spread across them), then times each
request in this process through Starlette's TestClient (no network): the overview, a project
page (100 findings with their windows, charts, runs), a finding page, the JSON findings list,
an accepted risk through the API, and a sign-in with argon2's default parameters.
Prints the median of --repeat wall-clock milliseconds per request.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from firstpatch.model import (
    Confidence,
    Exploitation,
    Finding,
    FindingKind,
    Location,
    RuleId,
    Run,
    RunId,
    Severity,
    fingerprint,
)
from firstpatch.store import SqlStore, sqlite_url
from firstpatch.web import Accounts, Role, create_app, project_key

PASSWORD = "benchmark password"  # noqa: S105 - a throwaway user's
SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)


def _finding(project: int, index: int) -> Finding:
    sink = f"cursor.execute(query_{index})"
    path = f"app/module_{index % 40}.py"
    return Finding(
        kind=FindingKind.CODE,
        rule_id=RuleId("py/sql-injection"),
        title=f"SQL built from untrusted input #{index}",
        severity=SEVERITIES[index % 4],
        confidence=Confidence.HIGH,
        location=Location(path, 10 + index, 5, 10 + index, 30, sink),
        fingerprint=fingerprint("py/sql-injection", f"{project}/{path}", sink),
        cwe=89,
        exploitation=Exploitation(in_kev=index % 25 == 0),
        risk=9.0 - (index % 4) * 2,
    )


def _seed(store: SqlStore, projects: int, findings: int, runs: int) -> None:
    now = datetime.now(UTC)
    for project in range(projects):
        target = f"/srv/checkouts/project-{project:02d}"
        seen = [_finding(project, i) for i in range(findings)]
        for number in range(runs):
            started = now - timedelta(days=10 * (runs - number))
            run = Run(
                id=RunId(f"{project:04d}{number:04d}" + "0" * 24),
                target=target,
                started=started,
                finished=started + timedelta(seconds=30),
                tool_version="bench",
                findings=tuple(seen),
                stages=("inventory", "advisories", "analysis"),
            )
            store.save_run(run, now=run.finished)


def _median_ms(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--findings", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = sqlite_url(Path(folder) / "firstpatch.db")
        with SqlStore(url) as store, Accounts(url) as accounts:
            start = time.perf_counter()
            _seed(store, options.projects, options.findings, options.runs)
            seeded = time.perf_counter() - start
            accounts.create_user("bench", PASSWORD, Role.TRIAGE)
            token = accounts.create_token("bench")
            web = create_app(store, accounts)
            client = TestClient(web)

            def sign_in(client: TestClient = client) -> None:
                form = client.get("/login").text
                csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
                response = client.post(
                    "/login",
                    data={"name": "bench", "password": PASSWORD, "csrf_token": csrf},
                    follow_redirects=False,
                )
                assert response.status_code == 303, response.text  # noqa: S101

            sign_in()
            key = project_key("/srv/checkouts/project-00")
            first = _finding(0, 0).fingerprint
            api = {"Authorization": f"Bearer {token}"}
            expires = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
            requests: dict[str, Callable[[], object]] = {
                "overview /": lambda: client.get("/"),
                "project page (100 findings)": lambda: client.get(f"/projects/{key}"),
                "finding page": lambda: client.get(f"/projects/{key}/findings/{first}"),
                "API findings (limit 100)": lambda: client.get(
                    f"/api/projects/{key}/findings", params={"limit": 100}, headers=api
                ),
                "API accept risk": lambda: client.post(
                    f"/api/projects/{key}/findings/{first}/accept-risk",
                    json={"reason": "benchmark", "expires": expires},
                    headers=api,
                ),
                "sign-in form + sign-in (argon2)": lambda: sign_in(TestClient(web)),
            }
            tracked = options.projects * options.findings
            print(
                f"{options.projects} projects × {options.runs} runs × {options.findings} findings "
                f"({tracked} tracked findings), seeded in {seeded:.1f} s"
            )
            for name, action in requests.items():
                print(f"{name:32} {_median_ms(action, options.repeat):8.1f} ms")


if __name__ == "__main__":
    main()
