"""composer.lock: `packages` (run time) and `packages-dev` (development) as Composer resolved them.

Direct packages are those the `composer.json` beside the lock requires; without it, those no
other locked package requires. A branch checkout (`dev-main`, `1.x-dev`) has no release version
and is reported without one, and so is a package whose only source is a path. Versions drop the
`v` Packagist tags often carry (`v5.4.0` is release 5.4.0); purls keep the version as written.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from firstpatch.inventory._graph import Locked, locked_components
from firstpatch.inventory._lines import Lines, json_member
from firstpatch.inventory._load import load_json
from firstpatch.inventory._python_lock import sibling
from firstpatch.inventory.interface import ManifestParser, Parsed, Reader
from firstpatch.model import Ecosystem, Skipped

_SECTIONS = (("packages", False), ("packages-dev", True))


class ComposerLockParser(ManifestParser):
    name = "composer.lock"

    def handles(self, filename: str) -> bool:
        return PurePosixPath(filename).name == "composer.lock"

    def parse(self, text: str, path: str, read: Reader | None = None) -> Parsed:
        data = load_json(text, path)
        if isinstance(data, Skipped):
            return Parsed((), (data,))
        if not isinstance(data, dict) or "packages" not in data:
            return Parsed((), (Skipped(path, "not a composer.lock: no packages", 1),))
        lines = Lines(text)
        entries: list[Locked] = []
        problems: list[Skipped] = []
        start = 1
        for section, dev in _SECTIONS:
            packages = data.get(section) or []
            if not isinstance(packages, list):
                problems.append(Skipped(path, f"`{section}` must be a list", 1))
                continue
            for package in packages:
                name = package.get("name") if isinstance(package, dict) else None
                written = package.get("version") if isinstance(package, dict) else None
                if not isinstance(package, dict) or not isinstance(name, str) or not isinstance(written, str):
                    problems.append(Skipped(path, f"a package in `{section}` without a name and version", 0))
                    continue
                line = lines.find(json_member("name", name), start)
                start = line or start
                requires = tuple(n.lower() for n in _names(package.get("require")))
                version = None if _unversioned(written, package) else written.removeprefix("v")
                entries.append(
                    Locked(
                        name.lower(),
                        name.lower(),
                        version,
                        lines.location(path, line),
                        requires,
                        dev=dev,
                        purl_version=written if version is not None else None,
                    )
                )
        return Parsed(locked_components(Ecosystem.PACKAGIST, entries, _required(read, path)), tuple(problems))


def _names(value: object) -> list[str]:
    return [name for name in value if "/" in name] if isinstance(value, dict) else []  # not php, ext-*


def _unversioned(version: str, package: dict[str, Any]) -> bool:
    dist = package.get("dist")
    local = isinstance(dist, dict) and dist.get("type") == "path"
    return version.startswith("dev-") or version.endswith("-dev") or local


def _required(read: Reader | None, lock_path: str) -> set[str] | None:
    text = read(sibling(lock_path, "composer.json")) if read is not None else None
    if text is None:
        return None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None  # the lock still lists what is installed; only which are direct is lost
    if not isinstance(data, dict):
        return None
    return {name.lower() for field in ("require", "require-dev") for name in _names(data.get(field))}
