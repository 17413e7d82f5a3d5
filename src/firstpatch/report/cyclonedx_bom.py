"""What the CycloneDX SBOM and VEX reports share: the inventory as a BOM, written and checked by
cyclonedx-python-lib.

The library is imported when a report is made, not when `firstpatch.report` is: it costs a
third of a second that `firstpatch --help` should not pay.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING

from firstpatch.model import Component, Run
from firstpatch.report.interface import InvalidReportError
from firstpatch.report.project import scanned_package

if TYPE_CHECKING:
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component as CdxComponent

SPEC_VERSION = "1.6"
# A fixed namespace, so that one run's SBOM and VEX have serial numbers that anyone can recompute.
_SERIAL_NAMESPACE = uuid.UUID("5b0f54f6-2f3c-4f7e-9a59-6d1a0c2b6f11")
TARGET_REF = "firstpatch:target"


def serial_number(run: Run, document: str) -> uuid.UUID:
    """Unique per run and document, and the same each time the same run is rendered."""
    return uuid.uuid5(_SERIAL_NAMESPACE, f"{run.id}/{document}")


def new_bom(run: Run, document: str, components: Iterable[Component]) -> Bom:
    """A BOM about the scanned project holding `components`, its direct dependencies linked."""
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component import ComponentType
    from cyclonedx.model.tool import ToolRepository
    from packageurl import PackageURL

    package = scanned_package(run.target)
    root = CdxComponent(
        type=ComponentType.APPLICATION,
        name=package.name,
        version=package.version,
        bom_ref=TARGET_REF,
        purl=PackageURL.from_string(package.purl) if package.purl else None,
        properties=[Property(name="firstpatch:name-source", value=package.source)],
    )
    tool = CdxComponent(type=ComponentType.APPLICATION, name="firstpatch", version=run.tool_version)
    unique = {component.purl: component for component in components}
    converted = {purl: _component(component) for purl, component in unique.items()}
    bom = Bom(
        serial_number=serial_number(run, document),
        metadata=BomMetaData(
            timestamp=run.finished,
            tools=ToolRepository(components=[tool]),
            component=root,
            properties=[Property(name="firstpatch:run", value=run.id)],
        ),
        components=converted.values(),
    )
    direct = [converted[purl] for purl, component in unique.items() if component.direct]
    bom.register_dependency(root, direct)
    return bom


def _component(component: Component) -> CdxComponent:
    from cyclonedx.model import Property
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component import ComponentScope
    from cyclonedx.model.component_evidence import ComponentEvidence, Occurrence
    from packageurl import PackageURL

    try:
        purl = PackageURL.from_string(component.purl)
    except ValueError:
        purl = None  # listed all the same, by name; the bom-ref keeps the text we had
    occurrences = [
        Occurrence(location=location.path, line=location.line or None) for location in component.locations
    ]
    return CdxComponent(
        name=component.name,
        version=component.version,
        purl=purl,
        bom_ref=component.purl,
        # CycloneDX's "optional" is what a development dependency is: not needed at run time.
        scope=ComponentScope.OPTIONAL if component.dev else ComponentScope.REQUIRED,
        evidence=ComponentEvidence(occurrences=occurrences) if occurrences else None,
        properties=[Property(name="firstpatch:direct", value="true" if component.direct else "false")],
    )


def render_checked(bom: Bom, what: str) -> str:
    """The BOM as CycloneDX 1.6 JSON, checked against the schema by the library's own validator."""
    from cyclonedx.output.json import JsonV1Dot6
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    with warnings.catch_warnings():
        # Manifests name direct dependencies, not who needs each transitive one: the library
        # rightly calls such a graph incomplete, and it is.
        warnings.filterwarnings(
            "ignore", message="The Component this BOM is describing", category=UserWarning
        )
        text = JsonV1Dot6(bom).output_as_string(indent=2)
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        raise InvalidReportError(f"{what} breaks the CycloneDX {SPEC_VERSION} schema: {error}")
    return text + "\n"
