"""packages.lock.json: NuGet's lock, one section per target framework (and runtime).

Each package says whether the project references it (`Direct`) or it came along (`Transitive`,
`CentralTransitive`); `Project` entries are other projects of the solution, not packages. The
same package usually appears under several frameworks: each appearance is a location, and
`merge` joins them. NuGet has no development-only dependencies, so all count as runtime.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from firstpatch.inventory._lines import Lines, advance, json_object_keys
from firstpatch.inventory._load import load_json
from firstpatch.inventory._purl import component
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Component, Ecosystem, Skipped


class NugetLockParser(ManifestParser):
    name = "packages.lock.json"

    def handles(self, filename: str) -> bool:
        return PurePosixPath(filename).name == "packages.lock.json"

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        data = load_json(text, path)
        if isinstance(data, Skipped):
            return Parsed((), (data,))
        frameworks = data.get("dependencies") if isinstance(data, dict) else None
        if not isinstance(frameworks, dict):
            return Parsed((), (Skipped(path, "not a NuGet lock: no dependencies by framework", 1),))
        lines = Lines(text)
        keys = iter(json_object_keys(text))
        components: list[Component] = []
        problems: list[Skipped] = []
        for framework, packages in frameworks.items():
            advance(keys, framework)
            if not isinstance(packages, dict):
                problems.append(Skipped(path, f"framework {framework} must be an object", 0))
                continue
            for name, entry in packages.items():
                if not isinstance(entry, dict):
                    problems.append(Skipped(path, f"{framework}: {name} must be an object", 0))
                    continue
                line = advance(keys, name)
                kind = entry.get("type")
                if kind == "Project":
                    continue
                version = entry.get("resolved")
                if not isinstance(version, str) or not version:
                    problems.append(Skipped(path, f"{framework}: {name} has no resolved version", line))
                    continue
                components.append(
                    component(
                        Ecosystem.NUGET, name, version, lines.location(path, line), direct=kind == "Direct"
                    )
                )
        return Parsed(tuple(components), tuple(problems))
