"""firstpatch: find, prove and patch vulnerabilities before attackers do."""

from __future__ import annotations

import functools


@functools.cache
def _installed_version() -> str:
    # Read lazily: importlib.metadata costs a third of a second at start-up.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("firstpatch")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _installed_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["__version__"]
