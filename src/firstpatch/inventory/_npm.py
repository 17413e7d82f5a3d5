"""What the npm lockfile parsers share: specifiers, aliases, and the project's package.json."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from firstpatch.inventory._python_lock import sibling
from firstpatch.inventory.interface import Reader

_RUNTIME_FIELDS = ("dependencies", "optionalDependencies", "peerDependencies")
# A specifier or resolution that names no registry release: git, a hosted-git shorthand, a URL.
_UNVERSIONED = re.compile(r"^(?:git\+|git:|github:|gitlab:|bitbucket:|gist:|https?:|file:)")
_LOCAL = re.compile(r"^(?:file:|link:|portal:|workspace:)")


@dataclass(frozen=True, slots=True)
class PackageJson:
    """The dependencies a package.json declares: install name -> range."""

    runtime: dict[str, str]
    dev: dict[str, str]  # declared for development only

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.runtime) | frozenset(self.dev)


def split_specifier(specifier: str) -> tuple[str, str]:
    """`@scope/name@^1` -> (`@scope/name`, `^1`); the range is "" when there is none."""
    at = specifier.find("@", 1)
    if at == -1:
        return specifier, ""
    return specifier[:at], specifier[at + 1 :]


def alias_target(range_: str) -> tuple[str, str] | None:
    """`npm:bar@^1` (an alias) -> (`bar`, `^1`); None for an ordinary range."""
    if not range_.startswith("npm:"):
        return None
    return split_specifier(range_[4:])


def is_unversioned(reference: str) -> bool:
    """A git, hosted-git, URL or file reference: installed from outside the registry."""
    return bool(_UNVERSIONED.match(reference)) or (
        "/" in reference and not reference.startswith(("@", "npm:")) and ":" not in reference
    )  # `user/repo` is GitHub shorthand


def is_local(reference: str) -> bool:
    return bool(_LOCAL.match(reference))


def is_registry_tarball(url: str) -> bool:
    """A registry's tarball (`<registry>/<name>/-/<name>-<version>.tgz`), as against any other URL."""
    return "/-/" in url


def read_package_json(read: Reader | None, path: str, folder: str | None = None) -> PackageJson | None:
    """The package.json beside `path` (or in `folder`, relative to it); None when missing or unreadable."""
    manifest = sibling(path, "package.json" if folder is None else _join(folder, "package.json"))
    text = read(manifest) if read is not None else None
    if text is None:
        return None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None  # the lock still says what is installed; only roles are lost
    if not isinstance(data, dict):
        return None
    runtime: dict[str, str] = {}
    for field in _RUNTIME_FIELDS:
        runtime.update(_ranges(data.get(field)))
    dev = {
        name: range_ for name, range_ in _ranges(data.get("devDependencies")).items() if name not in runtime
    }
    return PackageJson(runtime, dev)


def _ranges(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {name: range_ for name, range_ in value.items() if isinstance(range_, str)}


def _join(folder: str, name: str) -> str:
    folder = folder.strip("/")
    return f"{folder}/{name}" if folder and folder != "." else name
