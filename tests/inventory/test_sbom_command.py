"""`firstpatch sbom`: the inventory written as CycloneDX 1.6 JSON, read back, and bad input reported."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from firstpatch.inventory import collect
from firstpatch.target import Target

DATA = Path(__file__).parent / "data"


def firstpatch(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "firstpatch", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_project_sbom_is_valid_cyclonedx_and_reads_back_the_same(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(DATA / "npm" / "lock-v3", project)
    shutil.copytree(DATA / "other" / "go", project / "svc")
    output = tmp_path / "out" / "bom.json"
    output.parent.mkdir()

    result = firstpatch("sbom", project, "--output", output, "--rootfs", DATA / "rootfs" / "alpine")

    assert result.returncode == 0, result.stderr
    text = output.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    document = json.loads(text)
    assert document["specVersion"] == "1.6"
    by_purl = {c["purl"]: c for c in document["components"]}
    lodash = by_purl["pkg:npm/lodash@4.17.20"]
    assert lodash["evidence"]["occurrences"] == [{"line": 42, "location": "package-lock.json"}]
    assert by_purl["pkg:npm/jest@29.7.0"]["scope"] == "optional"  # development only
    assert by_purl["pkg:golang/github.com/gin-gonic/gin@v1.9.0"]["evidence"]["occurrences"] == [
        {"line": 8, "location": "svc/go.mod"}
    ]
    musl = "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3&upstream=musl"
    assert by_purl[musl]["evidence"]["occurrences"] == [{"line": 1, "location": "lib/apk/db/installed"}]
    assert "components written to" in result.stderr

    # Our own SBOM is an SBOM our inventory reads: the same packages at the same versions.
    written, problems = collect(Target.open(output.parent))
    assert problems == ()
    assert {(c.purl, c.version) for c in written} == {(p, c.get("version")) for p, c in by_purl.items()}


def test_bad_manifest_is_reported_and_the_rest_written(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(DATA / "python-locks" / "pdm", project)
    (project / "package-lock.json").write_text('{\n  "lockfileVersion": 3,\n  "packages": {\n')

    result = firstpatch("sbom", project)

    assert result.returncode == 2
    assert "firstpatch: error: package-lock.json:4: invalid JSON: Expecting property name" in result.stderr
    assert "Traceback" not in result.stderr
    purls = {c["purl"] for c in json.loads(result.stdout)["components"]}
    assert "pkg:pypi/django@4.2.1" in purls


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    nothing = firstpatch("sbom")
    assert nothing.returncode == 2
    assert nothing.stderr.strip() == "firstpatch: error: give a project folder, --python or --rootfs"
    missing = firstpatch("sbom", "--rootfs", tmp_path / "nowhere")
    assert missing.returncode == 2
    assert missing.stderr.strip().endswith("nowhere: not a root filesystem folder")
    unwritable = firstpatch("sbom", DATA / "other" / "cargo", "-o", tmp_path / "no" / "such" / "bom.json")
    assert unwritable.returncode == 2
    assert "cannot write" in unwritable.stderr
    assert not (tmp_path / "no").exists()
