"""pylock.toml and pylock.<name>.toml: the standard lock file of PEP 751.

A package needed only for a dependency group outside `default-groups` carries a marker such as
`'dev' in dependency_groups`: it is development-only when its marker holds with every declared
group and not with the default ones (evaluated by `packaging` in its lock-file context). A
package from `vcs` or an `archive` URL has no release version and is reported without one; a
`directory` is the project's own code.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName

from firstpatch.inventory._graph import Locked, locked_components
from firstpatch.inventory._lines import Lines
from firstpatch.inventory._load import load_toml
from firstpatch.inventory._python_lock import canonical, declared_in_pyproject, package_lines
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Ecosystem, Skipped

_NAME = re.compile(r"^pylock\.([^.]+\.)?toml$")


class PylockParser(ManifestParser):
    name = "pylock.toml"

    def handles(self, filename: str) -> bool:
        return bool(_NAME.match(PurePosixPath(filename).name))

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        data = load_toml(text, path)
        if isinstance(data, Skipped):
            return Parsed((), (data,))
        if "lock-version" not in data:
            return Parsed((), (Skipped(path, "not a PEP 751 lock: no lock-version", 1),))
        packages = data.get("packages", [])
        if not isinstance(packages, list):
            return Parsed((), (Skipped(path, "`packages` must be an array of tables", 1),))
        groups = _strings(data.get("dependency-groups"))
        defaults = _strings(data.get("default-groups"))
        extras = _strings(data.get("extras"))
        lines = Lines(text)
        names = [str(p.get("name", "")) if isinstance(p, dict) else "" for p in packages]
        entries: list[Locked] = []
        problems: list[Skipped] = []
        for package, line in zip(packages, package_lines(lines, "packages", names), strict=True):
            name = package.get("name") if isinstance(package, dict) else None
            if not isinstance(package, dict) or not isinstance(name, str) or not name:
                problems.append(Skipped(path, "a [[packages]] entry without a name", line))
                continue
            if "directory" in package:
                continue  # the project's own code
            version = package.get("version")
            if not isinstance(version, str) or "vcs" in package or "archive" in package:
                version = None
            dev, problem = _dev_only(package.get("marker"), groups, defaults, extras)
            if problem:
                problems.append(Skipped(path, f"{name}: {problem}", line))
            dependencies = package.get("dependencies")
            requires = tuple(
                canonical(d["name"])
                for d in (dependencies if isinstance(dependencies, list) else ())
                if isinstance(d, dict) and isinstance(d.get("name"), str)
            )
            entries.append(
                Locked(canonical(name), name, version, lines.location(path, line), requires, dev=dev)
            )
        declared = declared_in_pyproject(read, path)
        runtime = declared.runtime if declared else None
        dev_roots = declared.dev if declared else ()
        return Parsed(locked_components(Ecosystem.PYPI, entries, runtime, dev_roots), tuple(problems))


def _strings(value: object) -> frozenset[str]:
    return frozenset(v for v in value if isinstance(v, str)) if isinstance(value, list) else frozenset()


def _dev_only(
    marker_text: object, groups: frozenset[str], defaults: frozenset[str], extras: frozenset[str]
) -> tuple[bool | None, str]:
    """Whether the marker admits the package only for non-default groups; a problem if unreadable."""
    if not isinstance(marker_text, str) or "dependency_groups" not in marker_text:
        return None, ""
    try:
        marker = Marker(marker_text)
        with_all = marker.evaluate({"dependency_groups": groups, "extras": extras}, context="lock_file")
        with_defaults = marker.evaluate(
            {"dependency_groups": defaults, "extras": extras}, context="lock_file"
        )
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName) as exc:
        return None, f"unreadable marker {marker_text!r}: {str(exc).splitlines()[0]}"
    return with_all and not with_defaults, ""
