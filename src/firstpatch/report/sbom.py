"""`--format cyclonedx`: the inventory as a CycloneDX 1.6 SBOM (JSON).

Every component the inventory found, by purl, with the manifest lines that name it as evidence,
development dependencies in the optional scope, and the scanned project as the BOM's subject
depending on its direct dependencies.
"""

from __future__ import annotations

from firstpatch.model import Run
from firstpatch.report.cyclonedx_bom import new_bom, render_checked
from firstpatch.report.interface import Reporter


class CycloneDxReporter(Reporter):
    format = "cyclonedx"

    def render(self, run: Run) -> str:
        return render_checked(new_bom(run, "sbom", run.components), "the SBOM")
