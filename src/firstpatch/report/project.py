"""The package that was scanned, as an advisory or an SBOM names it: from its pyproject.toml.

Read as text with tomllib, never imported, under the same trust rules as the static stages: a
`pyproject.toml` that is a symlink out of the target or larger than the static stages read is
not used. Without a usable one, the package is named after the target's folder, version unknown,
and `source` says why.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePath

from packageurl import PackageURL

from firstpatch.model import Ecosystem
from firstpatch.target import MAX_FILE_BYTES


@dataclass(frozen=True, slots=True)
class ScannedPackage:
    name: str
    version: str | None
    source: str  # where the name and version come from, in words
    from_manifest: bool = False  # False: named after the folder, not known to be a package
    ecosystem: Ecosystem = Ecosystem.PYPI

    @property
    def purl(self) -> str | None:
        """The package's purl; None for a folder that no manifest names as a package."""
        if not self.from_manifest:
            return None
        return str(PackageURL(type="pypi", name=self.name.lower(), version=self.version))


def scanned_package(target: str) -> ScannedPackage:
    folder = PurePath(target).name or target
    root = Path(target)
    manifest = root / "pyproject.toml"
    try:
        if not manifest.is_file():
            return ScannedPackage(folder, None, "the target's folder name: it has no pyproject.toml")
        if not manifest.resolve().is_relative_to(root.resolve()):
            return ScannedPackage(folder, None, "the target's folder name: pyproject.toml leads outside it")
        if manifest.stat().st_size > MAX_FILE_BYTES:
            return ScannedPackage(folder, None, "the target's folder name: pyproject.toml is too large")
        document = tomllib.loads(manifest.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return ScannedPackage(
            folder, None, f"the target's folder name: pyproject.toml cannot be read ({exc})"
        )
    for table, where in ((document.get("project"), "[project]"), (_poetry(document), "[tool.poetry]")):
        if isinstance(table, dict) and isinstance(table.get("name"), str) and table["name"].strip():
            version = table.get("version")
            return ScannedPackage(
                table["name"].strip(),
                version.strip() if isinstance(version, str) and version.strip() else None,
                f"pyproject.toml {where}",
                from_manifest=True,
            )
    return ScannedPackage(folder, None, "the target's folder name: pyproject.toml names no project")


def _poetry(document: dict[str, object]) -> object:
    tool = document.get("tool")
    return tool.get("poetry") if isinstance(tool, dict) else None
