"""Package names as each ecosystem compares them, so lookups agree with the advisories."""

from __future__ import annotations

from packaging.utils import canonicalize_name

from firstpatch.model import Ecosystem


def ecosystem_base(ecosystem: str) -> str:
    """`Debian:10` -> `Debian`: OSV ecosystems may carry a release suffix after a colon."""
    return ecosystem.split(":", 1)[0]


def normalise(ecosystem: str, name: str) -> str:
    """PyPI names compare after PEP 503 normalisation; other ecosystems' names compare as written."""
    if ecosystem_base(ecosystem) == Ecosystem.PYPI:
        return canonicalize_name(name)
    return name
