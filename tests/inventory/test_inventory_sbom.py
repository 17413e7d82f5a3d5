"""SBOMs as inventory: CycloneDX 1.4–1.6 in JSON and XML, SPDX 2.3 JSON, recognised by name or by
content, and documents of the wrong schema reported, not read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from firstpatch.inventory import PARSERS, collect
from firstpatch.inventory.interface import ManifestParser
from firstpatch.model import Skipped
from firstpatch.target import Target

DATA = Path(__file__).parent / "data" / "sbom"


def parser(name: str) -> ManifestParser:
    return next(p for p in PARSERS if p.name == name)


def test_every_sbom_in_a_tree_by_name_or_content() -> None:
    components, problems = collect(Target.open(DATA))
    found = [
        (c.purl, c.version, c.direct, c.dev, [(x.path, x.line) for x in c.locations]) for c in components
    ]
    assert found == [
        (
            "pkg:nuget/Newtonsoft.Json@12.0.1",
            "12.0.1",
            True,
            False,
            [("inventory-1.6.json", 17)],
        ),  # by content
        ("pkg:pypi/django@3.2.0", "3.2.0", True, False, [("bom.xml", 11)]),
        ("pkg:golang/github.com/gin-gonic/gin@v1.9.0", "1.9.0", False, False, [("app.cdx.json", 51)]),
        ("pkg:npm/jest@29.7.0", "29.7.0", True, True, [("app.cdx.json", 43)]),  # scope optional
        ("pkg:pypi/jinja2@2.10", "2.10", True, False, [("app.spdx.json", 21)]),
        (
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
            "3.0.11-1~deb12u2",
            False,
            False,
            [("app.cdx.json", 58)],
        ),
        ("pkg:npm/lodash@4.17.20", "4.17.20", True, False, [("app.cdx.json", 18)]),
        ("pkg:pypi/markupsafe@1.1.1", "1.1.1", False, False, [("app.spdx.json", 35)]),
        ("pkg:npm/mocha@9.2.2", "9.2.2", True, True, [("app.spdx.json", 49)]),  # DEV_DEPENDENCY_OF
        ("pkg:composer/monolog/monolog@2.9.1", "2.9.1", True, False, [("inventory-1.6.json", 9)]),
        (
            "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3",
            "1.2.5-r0",
            False,
            False,
            [("app.spdx.json", 63)],
        ),
        # nested inside log4j-core in the BOM, which the subject does not list directly
        (
            "pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1",
            "2.14.1",
            False,
            False,
            [("app.cdx.json", 33)],
        ),
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "2.14.1",
            True,
            False,
            [("app.cdx.json", 25)],
        ),
        ("pkg:gem/rack@2.2.4", "2.2.4", False, False, [("bom.xml", 16)]),
        ("pkg:cargo/tokio@1.18.0", "1.18.0", True, True, [("bom.xml", 21)]),  # scope excluded
    ]
    assert problems == ()


def test_json_files_that_are_not_sboms_are_not_claimed(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text('{"editor": {"tabSize": 4}}\n')
    (tmp_path / "data.xml").write_text("<rows><row/></rows>\n")
    assert collect(Target.open(tmp_path)) == ((), ())


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        (
            "bom.json",
            '{"bomFormat": "CycloneDX", "specVersion": "1.5", '
            '"components": [{"type": "banana", "name": "x"}]}',
            "not a valid CycloneDX 1.5 document: ",
        ),
        (
            "bom.json",
            (DATA / "app.spdx.json").read_text(),
            'not a CycloneDX SBOM: no "bomFormat": "CycloneDX"',
        ),
        (
            "x.cdx.json",
            '{"bomFormat": "CycloneDX", "specVersion": "1.2"}',
            "CycloneDX 1.2 is not read; 1.4–1.6 are",
        ),
        (
            "bom.xml",
            '<bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1">'
            '<components><component type="library"><version>1</version></component></components></bom>',
            "not a valid CycloneDX 1.4 document: ",
        ),
        (
            "bom.xml",
            "<project><dependencies/></project>",
            "not a CycloneDX SBOM: the root is not a CycloneDX <bom>",
        ),
        ("a.spdx.json", '{"spdxVersion": "SPDX-2.3", "packages": []}', "not a valid SPDX-2.3 document: "),
        ("a.spdx.json", '{"spdxVersion": "SPDX-3.0"}', "SPDX-3.0 is not read; SPDX 2.2 and 2.3 JSON are"),
        ("a.spdx.json", (DATA / "app.cdx.json").read_text(), 'not an SPDX document: no "spdxVersion"'),
    ],
)
def test_wrong_schema_is_one_problem_naming_the_file(name: str, text: str, reason: str) -> None:
    sbom = next(p for p in PARSERS if p.handles(name))
    parsed = sbom.parse(text, name)
    assert parsed.components == ()
    (problem,) = parsed.problems
    assert problem.path == name
    assert problem.reason.startswith(reason), problem.reason


def test_truncated_sbom_names_its_line() -> None:
    text = (DATA / "app.cdx.json").read_text()
    cut = text[: text.index('"type": "file"')]
    parsed = parser("cyclonedx").parse(cut, "app.cdx.json")
    assert parsed.components == ()
    (problem,) = parsed.problems
    assert problem.reason.startswith("invalid JSON: ")
    assert problem.line == len(cut.splitlines())


def test_spdx_rule_breaks_are_reported_and_the_packages_kept() -> None:
    document = json.loads((DATA / "app.spdx.json").read_text())
    document["relationships"].append(
        {
            "spdxElementId": "SPDXRef-storefront",
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": "SPDXRef-gone",
        }
    )
    parsed = parser("spdx").parse(json.dumps(document, indent=2), "app.spdx.json")
    assert "pkg:pypi/jinja2@2.10" in {c.purl for c in parsed.components}
    (problem,) = parsed.problems
    assert problem == Skipped(
        "app.spdx.json",
        "breaks 1 SPDX rule(s), read anyway; first: "
        'did not find the referenced spdx_id "SPDXRef-gone" in the SPDX document',
    )


@pytest.mark.parametrize("version", ["1.4", "1.5", "1.6"])
def test_every_cyclonedx_version_in_xml_and_json(version: str) -> None:
    # The fixtures above are 1.4 XML, 1.5 JSON and 1.6 JSON; here bom.xml and app.cdx.json are
    # restated in each version, so that every version is read in both encodings.
    xml = (DATA / "bom.xml").read_text().replace("schema/bom/1.4", f"schema/bom/{version}")
    document = json.loads((DATA / "app.cdx.json").read_text())
    document["specVersion"] = version
    for name, text in (("bom.xml", xml), ("app.cdx.json", json.dumps(document, indent=2))):
        as_written = parser("cyclonedx").parse((DATA / name).read_text(), name)
        parsed = parser("cyclonedx").parse(text, name)
        assert parsed.problems == (), (version, name)
        assert [(c.purl, c.direct, c.dev) for c in parsed.components] == [
            (c.purl, c.direct, c.dev) for c in as_written.components
        ], (version, name)
