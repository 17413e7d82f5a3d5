"""What the PyPI manifest parsers share: normalised names, exact pins, purls, dev groups."""

from __future__ import annotations

import functools
import re

from packageurl import PackageURL
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from firstpatch.model import Component, Ecosystem, Location

# Words that mark a dependency group or a requirements file as development-only.
_DEV_WORDS = frozenset(
    {
        "dev", "devel", "develop", "development", "test", "tests", "testing", "lint", "linting",
        "linters", "doc", "docs", "documentation", "typing", "types", "style", "qa", "ci",
    }
)  # fmt: skip
_WORD_SPLIT = re.compile(r"[-_.\s/]+")


def is_dev_group(name: str) -> bool:
    """Whether a group or file name (`dev`, `test-extras`, `requirements-docs`) is for development."""
    return any(word in _DEV_WORDS for word in _WORD_SPLIT.split(name.lower()))


def exact_version(specifier: SpecifierSet) -> str | None:
    """The one version an `==` (or `===`) pin allows; None for ranges and `==1.*` wildcards.

    The version is kept as written: it is what the user will look for in the file.
    """
    pins = {
        spec.version
        for spec in specifier
        if spec.operator == "===" or (spec.operator == "==" and not spec.version.endswith(".*"))
    }
    return pins.pop() if len(pins) == 1 else None


def pypi_component(
    name: str, version: str | None, location: Location, *, dev: bool = False, direct: bool = True
) -> Component:
    """A PyPI component with its PEP 503 name and its purl (with the version when known)."""
    normalised, purl = _identity(name, version)
    return Component(
        purl=purl,
        name=normalised,
        version=version,
        ecosystem=Ecosystem.PYPI,
        locations=(location,),
        direct=direct,
        dev=dev,
    )


@functools.lru_cache(maxsize=65536)
def _identity(name: str, version: str | None) -> tuple[str, str]:
    """The PEP 503 name and the purl; cached, since the same pins recur across a tree."""
    normalised = canonicalize_name(name)
    return normalised, PackageURL(type="pypi", name=normalised, version=version).to_string()
