"""The store's compiled form of each package: it judges every version exactly as the records do,
follows changed records, is written again when an older schema or form opens, and keeps the
GitHub-style severity word that `model.Advisory` has no field for."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, update

from firstpatch.advisories import DirectorySource, audit
from firstpatch.advisories.db import schema, tables
from firstpatch.advisories.db.store import AdvisoryStore
from firstpatch.advisories.package_index import PackageIndex, index_advisories, judge
from firstpatch.advisories.remediation import fix_in
from firstpatch.model import Component, Ecosystem, Location, Severity
from firstpatch.rank import ranked

DATA = Path("/work/shared/data")


def _record(advisory_id: str, *affected: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": advisory_id, "modified": "2025-01-01T00:00:00Z", "affected": list(affected), **extra}


def _entry(
    ecosystem: str, name: str, *ranges: tuple[str, list[dict[str, str]]], versions: tuple[str, ...] = ()
) -> dict[str, Any]:
    return {
        "package": {"ecosystem": ecosystem, "name": name},
        "ranges": [
            {"type": kind, "events": events, **({"repo": "https://example.test/r"} if kind == "GIT" else {})}
            for kind, events in ranges
        ],
        "versions": list(versions),
    }


# Small records, one rule or ordering each, in ecosystems the shared data does not cover.
RECORDS = [
    # Maven: `1.0` and `1.0.0` are one version; a listed spelling and a bound spelling of it.
    _record(
        "MVN-1",
        _entry(
            "Maven",
            "org.example:lib",
            ("ECOSYSTEM", [{"introduced": "1.0"}, {"fixed": "1.0.5"}]),
            versions=("1.0.0", "1.0.2"),
        ),
    ),
    _record(
        "MVN-2",
        _entry("Maven", "org.example:lib", ("ECOSYSTEM", [{"introduced": "0"}, {"last_affected": "1.0.0"}])),
    ),
    _record(
        "MVN-3",
        _entry(
            "Maven",
            "org.example:lib",
            ("ECOSYSTEM", [{"introduced": "2.0"}, {"limit": "2.5"}, {"limit": "*"}]),
        ),
    ),
    # PyPI with a SEMVER range: two orders in one package.
    _record(
        "PY-SEMVER", _entry("PyPI", "Some_Pkg", ("SEMVER", [{"introduced": "1.0.0"}, {"fixed": "1.2.0"}]))
    ),
    _record(
        "PY-ECO",
        _entry(
            "PyPI", "some-pkg", ("ECOSYSTEM", [{"introduced": "1.1"}, {"fixed": "1.3rc1"}, {"fixed": "1.3"}])
        ),
    ),
    # Debian: one record per release.
    _record(
        "DEB-1",
        _entry("Debian:11", "openssl", ("ECOSYSTEM", [{"introduced": "0"}, {"fixed": "1.1.1n-0+deb11u4"}])),
        _entry("Debian:12", "openssl", ("ECOSYSTEM", [{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u2"}])),
    ),
    # npm: a bound that is not SemVer is undecided, never guessed.
    _record("NPM-1", _entry("npm", "left-pad", ("SEMVER", [{"introduced": "0"}, {"fixed": "latest"}]))),
    _record("NPM-2", _entry("npm", "left-pad", ("SEMVER", [{"introduced": "1.1.0"}, {"fixed": "1.3.0"}]))),
    # Go: GIT ranges alone decide nothing; with a versions list, the list decides.
    _record("GO-GIT", _entry("Go", "example.com/mod", ("GIT", [{"introduced": "0"}, {"fixed": "a" * 40}]))),
    _record(
        "GO-LISTED",
        _entry(
            "Go", "example.com/mod", ("GIT", [{"introduced": "0"}, {"fixed": "b" * 40}]), versions=("v1.2.3",)
        ),
    ),
    # A withdrawn record matches nothing and blocks no fix.
    _record(
        "NPM-WITHDRAWN",
        _entry("npm", "left-pad", ("SEMVER", [{"introduced": "0"}])),
        withdrawn="2025-02-01T00:00:00Z",
    ),
    # crates.io: names compare with `-` and `_` alike.
    _record(
        "RUST-1", _entry("crates.io", "Foo_Bar", ("SEMVER", [{"introduced": "0.3.0"}, {"fixed": "0.3.4"}]))
    ),
]

PROBES = {
    (Ecosystem.MAVEN, "org.example:lib"): [
        "0.9",
        "1.0",
        "1.0.0",
        "1.0.1",
        "1.0.2",
        "1.0.5",
        "2.0",
        "2.4",
        "2.5",
        "3",
    ],
    (Ecosystem.PYPI, "some-pkg"): [
        "0.9",
        "1.0.0",
        "1.1",
        "1.1.5",
        "1.2.0",
        "1.3rc1",
        "1.3",
        "1!1.1",
        "1.0-x",
    ],
    (Ecosystem.DEBIAN, "openssl"): ["1.1.1n-0+deb11u3", "1.1.1n-0+deb11u4", "3.0.11-1~deb12u1", "3.0.11-1"],
    (Ecosystem.NPM, "left-pad"): ["1.0.0", "1.1.0", "1.2.9", "1.3.0", "2.0.0"],
    (Ecosystem.GO, "example.com/mod"): ["v1.2.3", "v1.2.4"],
    (Ecosystem.CRATES_IO, "foo-bar"): ["0.2.9", "0.3.0", "0.3.3", "0.3.4"],
    (Ecosystem.PYPI, "salt"): ["2015.8.9", "2015.8.10", "2019.2.0", "2019.2.5", "3000", "3002.4", "3003"],
    (Ecosystem.PYPI, "flask"): ["0.12.2", "1.0", "2.2.4", "2.2.5", "2.3.1.post1", "2.3.2"],
    (Ecosystem.PYPI, "redis"): ["4.5.3", "4.5.4"],
}
RELEASES = {Ecosystem.DEBIAN: ("11", "12", None)}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> AdvisoryStore:
    root = tmp_path_factory.mktemp("records")
    for record in RECORDS:
        (root / f"{record['id']}.json").write_text(json.dumps(record))
    if DATA.is_dir():
        for package in ("salt", "flask", "redis"):
            shutil.copytree(DATA / "osv/pypi/vulns" / package, root / package)
    opened = AdvisoryStore(f"sqlite:///{tmp_path_factory.mktemp('db') / 'fp.db'}")
    summary = opened.import_paths([root])
    assert summary.errors == []
    return opened


def _judged(index: PackageIndex, version: str, release: str | None) -> tuple[object, ...]:
    result = judge(index, version, release)
    records = index.records
    matched = {n for n, _ in result.matched}
    remedy = fix_in(index, version, matched, release) if matched else None
    return (
        [(records[n].id, why) for n, why in result.matched],
        [(records[n].id, why) for n, why in result.undecided],
        result.reason,
        remedy,
    )


@pytest.mark.parametrize(("ecosystem", "name"), list(PROBES))
def test_the_stored_form_judges_as_the_records_do(
    store: AdvisoryStore, ecosystem: Ecosystem, name: str
) -> None:
    if name in ("salt", "flask", "redis") and not DATA.is_dir():
        pytest.skip("offline data not present")
    source = store.source()
    stored = source.package_index(ecosystem, name)
    compiled = index_advisories(ecosystem, name, source.for_package(ecosystem, name))
    assert [r.id for r in stored.records] == [r.id for r in compiled.records]
    for release in RELEASES.get(ecosystem, (None,)):
        for version in PROBES[(ecosystem, name)]:
            assert _judged(stored, version, release) == _judged(compiled, version, release), (
                version,
                release,
            )


def _component(ecosystem: Ecosystem, name: str, version: str, purl: str) -> Component:
    return Component(purl, name, version, ecosystem, (Location("lock", 1),))


def test_what_the_stored_form_decides(store: AdvisoryStore) -> None:
    result = audit(
        [
            _component(Ecosystem.MAVEN, "org.example:lib", "1.0.0", "pkg:maven/org.example/lib@1.0.0"),
            _component(Ecosystem.PYPI, "Some.Pkg", "1.1.5", "pkg:pypi/some-pkg@1.1.5"),
            _component(
                Ecosystem.DEBIAN,
                "openssl",
                "1.1.1n-0+deb11u3",
                "pkg:deb/debian/openssl@1.1.1n-0%2Bdeb11u3?distro=debian-11",
            ),
            _component(Ecosystem.NPM, "left-pad", "1.2.0", "pkg:npm/left-pad@1.2.0"),
            _component(Ecosystem.GO, "example.com/mod", "v1.2.3", "pkg:golang/example.com/mod@v1.2.3"),
            _component(Ecosystem.CRATES_IO, "foo-bar", "0.3.3", "pkg:cargo/foo-bar@0.3.3"),
        ],
        store.source(),
    )
    found = {(f.component.name, f.advisory_ids, f.fix_version) for f in result.findings if f.component}
    assert found == {
        ("org.example:lib", ("MVN-1", "MVN-2"), "1.0.5"),  # 1.0.0 is listed, and at last_affected
        ("Some.Pkg", ("PY-ECO", "PY-SEMVER"), "1.3"),  # not 1.3rc1: no pre-release for a release
        ("openssl", ("DEB-1",), "1.1.1n-0+deb11u4"),  # the Debian 11 fix, not Debian 12's
        ("left-pad", ("NPM-2",), "1.3.0"),
        ("example.com/mod", ("GO-LISTED",), None),
        ("foo-bar", ("RUST-1",), "0.3.4"),
    }
    skipped = {s.reason for s in result.skipped}
    assert skipped == {
        "left-pad 1.2.0: NPM-1 not decided: range bound 'latest' is not a SemVer 2.0 version",
        "example.com/mod v1.2.3: GO-GIT not decided: "
        "only GIT ranges, which need the repository's commit graph",
    }


def test_a_changed_record_recompiles_every_package_it_names_or_named(tmp_path: Path) -> None:
    first = tmp_path / "v1"
    first.mkdir()
    (first / "X-1.json").write_text(
        json.dumps(
            _record("X-1", _entry("PyPI", "alpha", ("ECOSYSTEM", [{"introduced": "0"}, {"fixed": "2.0"}])))
        )
    )
    second = tmp_path / "v2"
    second.mkdir()
    changed = _record("X-1", _entry("PyPI", "beta", ("ECOSYSTEM", [{"introduced": "0"}, {"fixed": "3.0"}])))
    changed["modified"] = "2025-03-01T00:00:00Z"
    (second / "X-1.json").write_text(json.dumps(changed))
    pins = [
        _component(Ecosystem.PYPI, "alpha", "1.0", "pkg:pypi/alpha@1.0"),
        _component(Ecosystem.PYPI, "beta", "2.5", "pkg:pypi/beta@2.5"),
    ]
    with AdvisoryStore(f"sqlite:///{tmp_path / 'fp.db'}") as store:
        store.import_paths([first])
        assert [
            (f.component.name, f.fix_version) for f in audit(pins, store.source()).findings if f.component
        ] == [("alpha", "2.0")]
        assert store.import_paths([second]).changed == 1
        assert [
            (f.component.name, f.fix_version) for f in audit(pins, store.source()).findings if f.component
        ] == [("beta", "3.0")]


def test_a_record_with_a_control_character_is_refused_naming_it(tmp_path: Path) -> None:
    root = tmp_path / "records"
    root.mkdir()
    bad = _record("BAD-1", _entry("PyPI", "pkg", ("ECOSYSTEM", [{"introduced": "0"}, {"fixed": "1.0\x1f2"}])))
    (root / "BAD-1.json").write_text(json.dumps(bad))
    (root / "GOOD-1.json").write_text(json.dumps(_record("GOOD-1", _entry("PyPI", "pkg", versions=("1.0",)))))
    with AdvisoryStore(f"sqlite:///{tmp_path / 'fp.db'}") as store:
        summary = store.import_paths([root])
    assert summary.added == 1
    assert summary.errors == [
        f"{root / 'BAD-1.json'}: fixed version '1.0\\x1f2' contains a control character"
    ]


def test_a_store_of_the_first_schema_is_compiled_when_opened(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    record = _record(
        "OLD-1",
        _entry("PyPI", "pkg", ("ECOSYSTEM", [{"introduced": "0"}, {"fixed": "1.5"}])),
        summary="Old one",
    )
    with engine.begin() as connection:
        config = schema.MIGRATIONS.config(connection)
        command.upgrade(config, "adv0001")  # the schema as the first release wrote it
        connection.exec_driver_sql(
            "INSERT INTO advisory_records (id, digest, modified, withdrawn, data) VALUES (?, ?, NULL, 0, ?)",
            ("OLD-1", "0" * 64, json.dumps(record)),
        )
        connection.exec_driver_sql(
            "INSERT INTO advisory_packages (ecosystem, name, record_id) VALUES ('PyPI', 'pkg', 'OLD-1')"
        )
    engine.dispose()
    with AdvisoryStore(url) as store:
        (finding,) = audit(
            [_component(Ecosystem.PYPI, "pkg", "1.0", "pkg:pypi/pkg@1.0")], store.source()
        ).findings
    assert (finding.rule_id, finding.title, finding.fix_version) == ("OLD-1", "Old one", "1.5")


def test_compiled_forms_of_another_form_or_library_are_written_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fp.db'}"
    root = tmp_path / "records"
    root.mkdir()
    (root / "A-1.json").write_text(
        json.dumps(
            _record("A-1", _entry("npm", "pkg", ("SEMVER", [{"introduced": "0"}, {"fixed": "1.0.0"}])))
        )
    )
    with AdvisoryStore(url) as store:
        store.import_paths([root])
        with store._engine.begin() as connection:
            connection.execute(update(tables.meta).values(value="compiled 0; packaging 1; univers 1"))
            connection.execute(update(tables.matching).values(data="0\n\n"))  # what an older form wrote
    with AdvisoryStore(url) as store:
        (finding,) = audit(
            [_component(Ecosystem.NPM, "pkg", "0.9.0", "pkg:npm/pkg@0.9.0")], store.source()
        ).findings
    assert finding.fix_version == "1.0.0"


# A GitHub-style advisory (written for this test, after GHSA-2c8c-84w2-j38j's shape): no CVSS
# vector, only GitHub's own rating in `database_specific.severity`.
GHSA = {
    "schema_version": "1.6.0",
    "id": "GHSA-test-w0rd-5evr",
    "modified": "2025-05-02T12:00:00Z",
    "published": "2025-05-01T12:00:00Z",
    "aliases": ["CVE-2099-0001"],
    "summary": "examplelib parses untrusted archives without a size limit",
    "details": "Opening a crafted archive with `examplelib.open()` exhausts memory.",
    "severity": [],
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "examplelib"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.4.1"}]}],
        }
    ],
    "database_specific": {"cwe_ids": ["CWE-400"], "severity": "HIGH", "github_reviewed": True},
}


def test_github_severity_word_rates_a_record_without_a_vector(tmp_path: Path) -> None:
    root = tmp_path / "ghsa"
    root.mkdir()
    (root / "GHSA-test-w0rd-5evr.json").write_text(json.dumps(GHSA))
    moderate = {
        **GHSA,
        "id": "GHSA-test-w0rd-m0de",
        "aliases": ["CVE-2099-0002"],
        "database_specific": {"severity": "MODERATE"},
    }
    (root / "GHSA-test-w0rd-m0de.json").write_text(json.dumps(moderate))
    pin = [_component(Ecosystem.PYPI, "examplelib", "2.4.0", "pkg:pypi/examplelib@2.4.0")]
    with AdvisoryStore(f"sqlite:///{tmp_path / 'fp.db'}") as store:
        store.import_paths([root])
        from_store = audit(pin, store.source()).findings
    from_folder = audit(pin, DirectorySource(root)).findings
    for (finding,) in (from_store, from_folder):
        assert finding.severity is Severity.HIGH
        assert finding.cvss_score is None
        assert finding.message.endswith(
            "Severity high from GHSA-test-w0rd-5evr's own rating (HIGH; no CVSS vector)."
        )
        assert ranked((finding,))[0].risk_reasons[0] == "high severity: +7.5"
    assert from_store == from_folder


def test_a_cvss_vector_outranks_the_severity_word(tmp_path: Path) -> None:
    rated = {
        **GHSA,
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:L"}],
    }
    (tmp_path / "GHSA-test-w0rd-5evr.json").write_text(json.dumps(rated))
    (finding,) = audit(
        [_component(Ecosystem.PYPI, "examplelib", "2.4.0", "pkg:pypi/examplelib@2.4.0")],
        DirectorySource(tmp_path),
    ).findings
    assert (finding.severity, finding.cvss_score) == (Severity.MEDIUM, 4.3)  # not GitHub's HIGH
