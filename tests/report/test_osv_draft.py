"""OSV advisory drafts: valid against the OSV schema, one per confirmed code finding."""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from firstpatch.model import Evidence, ProofStatus, Run
from firstpatch.report import OsvDraftReporter, ReportError, write_drafts
from firstpatch.report.project import ScannedPackage

OSV_SCHEMA = Path("/work/shared/data/osv-schema/schema.json")


@functools.cache
def _validator() -> Draft202012Validator:
    schema = json.loads(OSV_SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _valid(record: Any) -> dict[str, Any]:
    errors = sorted(_validator().iter_errors(record), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    assert isinstance(record, dict)
    return record


def _with_pyproject(run: Run, tmp_path: Path, text: str) -> Run:
    target = tmp_path / "notes-app"
    target.mkdir()
    (target / "pyproject.toml").write_text(text, encoding="utf-8")
    return dataclasses.replace(run, target=str(target))


def test_one_confirmed_finding_gives_one_valid_draft(sample_run: Run, tmp_path: Path) -> None:
    run = _with_pyproject(sample_run, tmp_path, '[project]\nname = "notes-app"\nversion = "1.4.2"\n')
    draft = _valid(json.loads(OsvDraftReporter().render(run)))
    command = sample_run.findings[3]
    assert draft["id"] == "x_FIRSTPATCH-DRAFT-" + command.fingerprint[:16].upper()
    assert draft["summary"] == "Command built from untrusted input in notes-app"
    assert "published" not in draft
    (affected,) = draft["affected"]
    assert affected["package"] == {
        "ecosystem": "PyPI",
        "name": "notes-app",
        "purl": "pkg:pypi/notes-app@1.4.2",
    }
    assert affected["versions"] == ["1.4.2"]
    details = draft["details"]
    assert (
        "It is reached from `GET /v/ping` (flask handler `app.ping`) through the query parameter `host`."
        in details
    )
    assert (
        '1. source at `app.py:14` — query parameter \'host\': `request.args.get("host", "localhost")`'
        in details
    )
    assert "4. sink at `app.py:9`" in details
    specific = draft["database_specific"]
    assert specific["cwe_ids"] == ["CWE-78"]
    assert specific["severity"] == "CRITICAL"
    assert command.evidence is not None
    assert command.patch is not None
    assert specific["reproducer"] == command.evidence.reproducer
    assert specific["request"].startswith("curl ")
    assert specific["patch"]["status"] == "verified"
    assert specific["patch"]["diff"] == command.patch.diff
    assert [c["name"] for c in specific["patch"]["checks"]] == ["reproducer", "rescan", "tests"]
    assert draft["credits"] == [{"name": f"firstpatch {sample_run.tool_version}", "type": "TOOL"}]


def test_only_confirmed_code_findings_are_drafted(sample_run: Run) -> None:
    drafts = OsvDraftReporter().drafts(sample_run)
    assert [d["database_specific"]["rule_id"] for d in drafts] == ["py/command-injection"]


def test_several_drafts_are_a_list_and_none_is_an_empty_list(sample_run: Run) -> None:
    confirmed = Evidence(ProofStatus.CONFIRMED, "the marker reached the query")
    sql = dataclasses.replace(sample_run.findings[2], evidence=confirmed)
    run = dataclasses.replace(sample_run, findings=(*sample_run.findings[:2], sql, *sample_run.findings[3:]))
    drafts = json.loads(OsvDraftReporter().render(run))
    assert isinstance(drafts, list)
    assert [_valid(d)["database_specific"]["rule_id"] for d in drafts] == [
        "py/sql-injection",
        "py/command-injection",
    ]
    assert "reproducer" not in drafts[0]["database_specific"]
    none = dataclasses.replace(sample_run, findings=sample_run.findings[:3])
    assert json.loads(OsvDraftReporter().render(none)) == []


def test_without_a_pyproject_the_folder_names_the_package_and_every_version_is_affected(
    sample_run: Run,
) -> None:
    (affected,) = _valid(OsvDraftReporter().drafts(sample_run)[0])["affected"]
    assert affected["package"] == {"ecosystem": "PyPI", "name": "vulnerable-flask"}
    assert affected["ranges"] == [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]
    assert "folder name" in affected["database_specific"]["source"]


def test_a_package_given_by_the_caller_wins(sample_run: Run) -> None:
    package = ScannedPackage("given", "9.9", "the caller", from_manifest=True)
    (draft,) = OsvDraftReporter(package).drafts(sample_run)
    assert draft["affected"][0]["package"]["purl"] == "pkg:pypi/given@9.9"


def test_write_drafts_puts_one_file_per_finding(sample_run: Run, tmp_path: Path) -> None:
    confirmed = Evidence(ProofStatus.CONFIRMED, "the marker reached the query")
    sql = dataclasses.replace(sample_run.findings[2], evidence=confirmed)
    run = dataclasses.replace(sample_run, findings=(sql, sample_run.findings[3]))
    folder = tmp_path / "drafts" / "new"
    paths = write_drafts(run, folder)
    assert [p.name for p in paths] == [f"{d['id']}.json" for d in OsvDraftReporter().drafts(run)]
    assert sorted(folder.iterdir()) == sorted(paths)  # no temporary file left behind
    for path in paths:
        _valid(json.loads(path.read_text(encoding="utf-8")))


def test_write_drafts_into_a_file_is_a_clear_error(sample_run: Run, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ReportError, match=r"file: cannot create the folder"):
        write_drafts(sample_run, blocker)
