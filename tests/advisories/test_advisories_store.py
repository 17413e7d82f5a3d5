"""The advisory store on real data: import, re-import, status, matching from it, KEV and EPSS,
atomic updates (a killed import leaves the previous data), and downloads from a local stand-in."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from firstpatch.advisories import audit
from firstpatch.advisories.assess import AdvisoryData, known_vulnerabilities
from firstpatch.advisories.db.download import update_store
from firstpatch.advisories.db.store import AdvisoryStore
from firstpatch.advisories.interface import AdvisoryError
from firstpatch.model import Component, Ecosystem, Location
from firstpatch.rank import ranked

DATA = Path("/work/shared/data")
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="offline data not present")


def _subset(tmp_path: Path) -> Path:
    """A folder shaped like the shared data, with a few packages of each ecosystem."""
    root = tmp_path / "data"
    for package in ("salt", "flask", "pyyaml", "redis"):
        shutil.copytree(DATA / "osv/pypi/vulns" / package, root / "pypi" / package)
    (root / "go").mkdir(parents=True)
    for name in ("GO-2022-0969.json", "GO-2020-0001.json"):
        shutil.copy(DATA / "osv/go" / name, root / "go" / name)
    (root / "crates").mkdir()
    shutil.copy(DATA / "osv/crates.io/crates/RUSTSEC-2016-0001.json", root / "crates")
    shutil.copytree(DATA / "kev", root / "kev")  # the catalog, its JSON Schema and licence
    return root


def _component(ecosystem: Ecosystem, name: str, version: str, direct: bool = True) -> Component:
    kind = {Ecosystem.PYPI: "pypi", Ecosystem.GO: "golang", Ecosystem.CRATES_IO: "cargo"}[ecosystem]
    return Component(
        f"pkg:{kind}/{name}@{version}", name, version, ecosystem, (Location("requirements.txt", 1),), direct
    )


def test_import_status_match_and_unchanged_reimport(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fp.db'}"
    root = _subset(tmp_path)
    with AdvisoryStore(url) as store:
        first = store.import_paths([root], now=datetime(2026, 11, 1, tzinfo=UTC))
        assert first.errors == []
        assert first.ecosystems == {"PyPI", "Go", "crates.io"}
        assert first.feeds["kev"].endswith("known_exploited_vulnerabilities.json: 1404 entries")
        assert any(p.endswith("known_exploited_vulnerabilities_schema.json") for p in first.passed_over)
        status = {s.name: s for s in store.status()}
        assert status["osv:Go"].records == 2
        assert status["osv:crates.io"].records == 1
        assert status["kev"].records == 1404
        assert status["osv:PyPI"].data_as_of is not None
        # Stale: the shipped data is months old; every source says so.
        assert any(("osv:PyPI" in w and "days old" in w) for w in store.stale())

        again = store.import_paths([root])
        assert (again.added, again.changed) == (0, 0)
        assert again.unchanged == first.added
        assert again.feeds["kev"].endswith(": unchanged")

        source = store.source()
        result = audit(
            [
                _component(Ecosystem.PYPI, "Flask", "2.2.4"),
                _component(Ecosystem.GO, "stdlib", "1.18.5"),
                _component(Ecosystem.GO, "golang.org/x/net", "0.0.0-20220906165146-f3363e06e74c"),
                _component(Ecosystem.CRATES_IO, "openssl", "0.8.3"),
            ],
            source,
        )
        found = {(f.component.name, f.rule_id) for f in result.findings if f.component}
        assert ("Flask", "PYSEC-2023-62") in found
        assert ("stdlib", "GO-2022-0969") in found  # SEMVER [0, 1.18.6)
        assert ("openssl", "RUSTSEC-2016-0001") in found
        assert not any(name == "golang.org/x/net" for name, _ in found)  # exactly at the fix
        go = next(f for f in result.findings if f.rule_id == "GO-2022-0969")
        assert go.fix_version == "1.18.6"
        rust = next(f for f in result.findings if f.rule_id == "RUSTSEC-2016-0001")
        assert (rust.cvss_score, rust.cvss_vector) == (8.1, "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H")
        assert ranked((rust,))[0].risk_reasons[0] == "CVSS:3.0 base score 8.1"
        assert source.affected_symbols("GO-2022-0969")[0].module == "net/http"


def test_a_bad_record_is_one_line_naming_it_and_the_rest_is_imported(tmp_path: Path) -> None:
    root = tmp_path / "records"
    root.mkdir()
    shutil.copy(DATA / "osv/go/GO-2020-0001.json", root)
    (root / "GO-BROKEN.json").write_text('{"id": "GO-X",\n "modified": 12,\n')
    (root / "NO-ID.yaml").write_text("summary: nothing\nmodified: 2024-01-01T00:00:00Z\n")
    with AdvisoryStore(f"sqlite:///{tmp_path / 'fp.db'}") as store:
        summary = store.import_paths([root])
    assert summary.added == 1
    assert sorted(summary.errors) == [
        f"{root / 'GO-BROKEN.json'}:3: not valid JSON: Expecting property name enclosed in double quotes",
        f"{root / 'NO-ID.yaml'}: id is required",
    ]


def test_postgresql_store(postgres_url: str, tmp_path: Path) -> None:
    root = tmp_path / "go"
    root.mkdir()
    shutil.copy(DATA / "osv/go/GO-2022-0969.json", root)
    shutil.copy(DATA / "osv/go/GO-2020-0001.json", root)
    with AdvisoryStore(postgres_url) as store:
        store.import_paths([root])
        store.import_paths([DATA / "kev"])
        status = {s.name: s.records for s in store.status()}
        assert status["osv:Go"] >= 2
        assert status["kev"] == 1404
        (advisory,) = [
            a for a in store.source().for_package(Ecosystem.GO, "stdlib") if a.id == "GO-2022-0969"
        ]
        assert "CVE-2022-27664" in advisory.aliases
        # The compiled forms (control characters and all) come back from COPY as written.
        (finding,) = audit([_component(Ecosystem.GO, "stdlib", "1.18.5")], store.source()).findings
        assert (finding.advisory_ids, finding.fix_version) == (("GO-2022-0969",), "1.18.6")
        exploited = store.exploitation(["CVE-2022-2294", "CVE-1999-0001"])
        assert exploited["CVE-2022-2294"].in_kev
        assert exploited["CVE-2022-2294"].kev_ransomware


def test_kev_and_epss_reach_the_findings_and_their_risk(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fp.db'}"
    root = _subset(tmp_path)
    epss = tmp_path / "epss.csv.gz"
    rows = "#model_version:v2025.03.14,score_date:2026-11-20T00:00:00+0000\ncve,epss,percentile\n"
    rows += "CVE-2020-11651,0.97500,0.99990\nCVE-2023-30861,0.01000,0.50000\n"
    epss.write_bytes(gzip.compress(rows.encode()))
    with AdvisoryStore(url) as store:
        store.import_paths([root, epss])
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text("import flask\n")
    known = known_vulnerabilities(
        [_component(Ecosystem.PYPI, "salt", "2019.2.0"), _component(Ecosystem.PYPI, "flask", "2.2.4")],
        project,
        url,
    )
    assert known.source.startswith("advisory store sqlite:///")
    by_name = {f.component.name: f for f in ranked(known.findings) if f.component}
    salt, flask = by_name["salt"], by_name["flask"]
    assert salt.exploitation is not None
    assert salt.exploitation.in_kev
    assert salt.exploitation.epss == pytest.approx(0.975)
    assert any(r.startswith("exploited in the wild (CISA KEV") for r in salt.risk_reasons)
    assert salt.reachable is False  # a direct dependency the project never imports
    assert "never imports salt" in salt.message
    assert flask.reachable is True
    assert "app.py" in flask.message
    assert flask.exploitation is not None
    assert flask.exploitation.epss == pytest.approx(0.01)
    assert any(r.startswith("EPSS 0.0100") for r in flask.risk_reasons)
    # PyPI records carry no CVSS vector: the severity is the text rating, said so.
    assert flask.cvss_score is None
    assert flask.risk_reasons[0] == "medium severity: +5.0"


def test_advisory_data_kept_open_serves_many_scans_as_a_fresh_one_would(tmp_path: Path) -> None:
    # A fleet worker opens the store once and keeps it for every target it scans.
    url = f"sqlite:///{tmp_path / 'fp.db'}"
    with AdvisoryStore(url) as store:
        store.import_paths([_subset(tmp_path)])
    pins = [_component(Ecosystem.PYPI, "salt", "2019.2.0"), _component(Ecosystem.PYPI, "pyyaml", "5.3")]
    fresh = known_vulnerabilities(pins, None, url)
    data = AdvisoryData(url)
    try:
        kept = [known_vulnerabilities(pins, None, data=data) for _ in range(2)]
        assert data.store is not None
        assert data.store.ecosystems()  # still open after the scans that used it
    finally:
        data.close()
    assert fresh.findings  # salt and pyyaml have advisories in the subset
    for again in kept:
        assert again.findings == fresh.findings
        assert again.source == fresh.source


def _http_stand_in(tmp_path: Path) -> httpx.MockTransport:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(DATA / "osv/go/GO-2022-0969.json", "GO-2022-0969.json")
    kev = (DATA / "kev/known_exploited_vulnerabilities.json").read_bytes()
    epss = gzip.compress(
        b"#model_version:x,score_date:2026-11-28T00:00:00+0000\ncve,epss,percentile\nCVE-2022-27664,0.2,0.9\n"
    )
    served = {
        "/Go/all.zip": archive.getvalue(),
        "/feeds/known_exploited_vulnerabilities.json": kev,
        "/epss_scores-current.csv.gz": epss,
    }

    def handle(request: httpx.Request) -> httpx.Response:
        body = served.get(request.url.path)
        return httpx.Response(200, content=body) if body is not None else httpx.Response(404)

    return httpx.MockTransport(handle)


def test_update_downloads_and_imports(tmp_path: Path) -> None:
    client = httpx.Client(transport=_http_stand_in(tmp_path))
    with AdvisoryStore(f"sqlite:///{tmp_path / 'fp.db'}") as store:
        summary = update_store(
            store,
            ecosystems=("Go",),
            client=client,
            osv_base="https://osv.test",
            kev_url="https://kev.test/feeds/known_exploited_vulnerabilities.json",
            epss_url="https://epss.test/epss_scores-current.csv.gz",
        )
        assert summary.added == 1
        assert summary.errors == []
        assert {s.name: s.records for s in store.status()} == {"osv:Go": 1, "kev": 1404, "epss": 1}
        # A failed download changes nothing.
        with pytest.raises(AdvisoryError, match=r"https://osv.test/npm/all.zip: HTTP 404"):
            update_store(
                store,
                ecosystems=("Go", "npm"),
                client=client,
                osv_base="https://osv.test",
                kev=False,
                epss=False,
            )
        assert {s.name: s.records for s in store.status()}["osv:Go"] == 1


@pytest.mark.slow
def test_an_import_killed_midway_leaves_the_previous_data(tmp_path: Path) -> None:
    database = tmp_path / "fp.db"
    url = f"sqlite:///{database}"
    root = _subset(tmp_path)
    with AdvisoryStore(url) as store:
        store.import_paths([root / "go", root / "crates"])
        before = {s.name: s.records for s in store.status()}
    journal = Path(f"{database}-journal")
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "firstpatch",
            "db",
            "import",
            str(DATA / "epss"),
            str(root / "pypi"),
            "--db",
            url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not journal.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert child.poll() is None, "the import finished before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    with AdvisoryStore(url) as store:
        assert {s.name: s.records for s in store.status()} == before
        assert [a.id for a in store.source().for_package(Ecosystem.CRATES_IO, "openssl")] == [
            "RUSTSEC-2016-0001"
        ]
        assert store.source().for_package(Ecosystem.PYPI, "salt") == ()
