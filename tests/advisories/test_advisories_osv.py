"""Reading OSV records: real YAML records field by field, JSON, and records that do not fit."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from firstpatch.advisories import AdvisoryError, DirectorySource, from_data, loads
from firstpatch.model import Advisory, Affected, AffectedRange, RangeEvent, SeverityVector

Record = Callable[[str], Advisory]


def test_flask_record_field_by_field(record: Record) -> None:
    advisory = record("flask/PYSEC-2023-62")
    assert advisory.id == "PYSEC-2023-62"
    assert advisory.summary == ""
    assert advisory.details.startswith("Flask is a lightweight WSGI web application framework.")
    assert advisory.aliases == ("CVE-2023-30861", "GHSA-m2qf-hxjv-5gpq")
    (affected,) = advisory.affected
    assert (affected.ecosystem, affected.name) == ("PyPI", "flask")
    assert affected.ranges == (
        AffectedRange(
            "GIT",
            (
                RangeEvent("introduced", "0"),
                RangeEvent("fixed", "70f906c51ce49c485f1d355703e9cc3386b1cc2b"),
                RangeEvent("fixed", "afd63b16170b7c047f5758eb910c416511e9c965"),
            ),
        ),
        AffectedRange(
            "ECOSYSTEM",
            (
                RangeEvent("introduced", "0"),
                RangeEvent("fixed", "2.2.5"),
                RangeEvent("introduced", "2.3.0"),
                RangeEvent("fixed", "2.3.2"),
            ),
        ),
    )
    assert affected.versions[:3] == ("0.1", "0.10", "0.10.1")
    assert affected.versions[-2:] == ("2.3.0", "2.3.1")
    assert len(affected.versions) == 53
    assert (
        advisory.references[0]
        == "https://github.com/pallets/flask/commit/70f906c51ce49c485f1d355703e9cc3386b1cc2b"
    )
    assert advisory.published == datetime(2023, 5, 2, 18, 15, tzinfo=UTC)
    assert advisory.modified == datetime(2023, 6, 5, 1, 12, 52, 229549, tzinfo=UTC)
    assert advisory.withdrawn is None
    assert advisory.severity == ()


def test_severity_vector(record: Record) -> None:
    advisory = record("werkzeug/PYSEC-2023-221")
    assert advisory.severity == (SeverityVector("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"),)


def test_withdrawn_and_unquoted_timestamps(record: Record) -> None:
    withdrawn = record("loguru/PYSEC-2022-15")
    assert withdrawn.withdrawn == datetime(2022, 2, 22, 16, 15, 7, tzinfo=UTC)
    assert withdrawn.affected == (Affected("PyPI", "loguru"),)  # a package with no ranges or versions
    gratient = record("gratient/PYSEC-2024-1")  # `modified: 2024-01-03T22:31:36Z`, unquoted in YAML
    assert gratient.modified == datetime(2024, 1, 3, 22, 31, 36, tzinfo=UTC)
    assert gratient.summary == "gratient 0.5 contains credential harvesting code"
    assert gratient.affected == (Affected("PyPI", "gratient", (), ("0.5",)),)


def test_json_and_yaml_give_the_same_advisory(vulns_dir: Path) -> None:
    path = vulns_dir / "salt" / "PYSEC-2021-50.yaml"
    data = yaml.safe_load(path.read_text())
    assert loads(json.dumps(data), "as.json") == loads(path.read_text(), str(path))


def _minimal(**fields: Any) -> dict[str, Any]:
    return {"id": "X-1", "modified": "2024-01-01T00:00:00Z", **fields}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "rec.json: record must be an object, not array"),
        ({"modified": "2024-01-01T00:00:00Z"}, "rec.json: id is required"),
        ({"id": "X-1"}, "rec.json: modified is required"),
        (_minimal(id=7), "rec.json: id must be a string, not int 7"),
        (_minimal(modified="yesterday"), "rec.json: modified is not an RFC 3339 timestamp: 'yesterday'"),
        (_minimal(aliases="CVE-1"), "rec.json: aliases must be an array, not string"),
        (_minimal(aliases=["CVE-1", 2]), "rec.json: aliases[1] must be a string, not int 2"),
        (
            _minimal(affected=[{"package": {"name": "x"}}]),
            "rec.json: affected[0].package.ecosystem is required",
        ),
        (
            _minimal(affected=[{"package": {"ecosystem": "PyPI", "name": "x"}, "versions": [1.1]}]),
            "rec.json: affected[0].versions[0] must be a string, not float 1.1",
        ),
        (
            _minimal(affected=[{"ranges": [{"type": "RPM", "events": [{"introduced": "0"}]}]}]),
            "rec.json: affected[0].ranges[0].type must be one of ECOSYSTEM, SEMVER, GIT, not 'RPM'",
        ),
        (
            _minimal(
                affected=[{"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0", "fixed": "1"}]}]}]
            ),
            "rec.json: affected[0].ranges[0].events[0] must have exactly one of introduced, fixed, "
            "last_affected, limit, has ['fixed', 'introduced']",
        ),
        (
            _minimal(affected=[{"ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1"}]}]}]),
            "rec.json: affected[0].ranges[0].events must contain an introduced event",
        ),
        (
            _minimal(affected=[{"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": 0}]}]}]),
            "rec.json: affected[0].ranges[0].events[0].introduced must be a string, not int 0",
        ),
        (
            _minimal(severity=[{"type": "CVSS_V3"}]),
            "rec.json: severity[0].score is required",
        ),
        (_minimal(references=[{"type": "WEB"}]), "rec.json: references[0].url is required"),
    ],
)
def test_records_that_do_not_fit_the_schema(data: object, message: str) -> None:
    with pytest.raises(AdvisoryError) as info:
        from_data(data, "rec.json")
    assert str(info.value) == message


def test_yaml_pitfall_unquoted_zero_is_refused() -> None:
    # `introduced: 0` unquoted is an integer in YAML; the schema wants a string, so it is refused.
    text = (
        "id: X-1\nmodified: '2024-01-01T00:00:00Z'\n"
        "affected:\n- ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: 0\n"
    )
    with pytest.raises(
        AdvisoryError, match=r"x\.yaml: affected\[0\]\.ranges\[0\]\.events\[0\]\.introduced must be a string"
    ):
        loads(text, "x.yaml")


@pytest.mark.parametrize("text", ["{not json", "id: [unclosed", "key: value: other"])
def test_undecodable_text(text: str) -> None:
    with pytest.raises(AdvisoryError, match=r"^bad\.txt: not a JSON or YAML document"):
        loads(text, "bad.txt")


def test_directory_source_names_the_bad_file(tmp_path: Path, vulns_dir: Path) -> None:
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "PYSEC-2023-62.yaml").write_text(
        (vulns_dir / "flask" / "PYSEC-2023-62.yaml").read_text()
    )
    (tmp_path / "good" / "broken.json").write_text(json.dumps({"id": "X-1"}))
    source = DirectorySource(tmp_path)
    with pytest.raises(AdvisoryError) as info:
        source.advisories()
    assert str(info.value) == f"{tmp_path / 'good' / 'broken.json'}: modified is required"
    assert info.value.exit_code == 2


def test_directory_source_rejects_undecodable_file(tmp_path: Path) -> None:
    (tmp_path / "X-1.yaml").write_bytes(b"id: \xff\n")
    with pytest.raises(AdvisoryError, match=r"X-1\.yaml: not UTF-8 text"):
        DirectorySource(tmp_path).advisories()


def test_directory_source_needs_a_folder(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryError, match="not a folder of OSV records"):
        DirectorySource(tmp_path / "missing")
