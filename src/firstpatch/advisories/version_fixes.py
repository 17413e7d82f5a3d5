"""The one place where firstpatch corrects its version libraries.

Each correction is pinned by the osv-scalibr vectors in tests/advisories/test_advisories_version_order.py,
which fail for the library alone. (`packaging` needs none: the vectors it refuses are versions
that are not PEP 440, which firstpatch reports as not matched instead of ordering by a guess.)

- SemVer (`univers`): build metadata takes part in univers's order; SemVer 2.0 says it must not.
  univers also coerces any text with a digit into a version; only SemVer-shaped text is read.
- Debian, SemVer, NuGet, Maven (`univers`): equality compares spellings (`0.0.0-00` and `0.0.0`);
  `versions.OrderedVersion` takes equality from the order instead.
- RPM (`univers`): an epoch is only the digits before a `:` (`a:1` is a version with a colon,
  as rpm reads it), the release starts at the last `-`, and a version without a release sorts
  before one with an empty release (`1 < 1-`).
- Maven (`univers`): `release`, like `ga` and `final`, means the release itself (`1.0.RELEASE = 1.0`).
- RubyGems (`univers`): a letter glued to a number (`1beta`) is a segment of its own, as
  Gem::Version splits it; univers refuses the version.
- Alpine and Packagist have their own modules (`apk_versions`, `composer_versions`): univers
  uses Gentoo's grammar and SemVer for them, which those ecosystems do not follow.
"""

from __future__ import annotations

import re

from univers.rpm import vercmp

# ---- SemVer -----------------------------------------------------------------------------------


_SEMVER_SHAPE = re.compile(r"^v?\d+(?:\.\d+)*(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def semver_without_build(text: str) -> str:
    """The version without build metadata; ValueError for text that is not SemVer-shaped, which
    univers would otherwise coerce into some version (`1!1.1` into `1.0.0-1.1`). Missing minor
    and patch numbers (`1.2`) are accepted, as Go and npm tools read them."""
    if not _SEMVER_SHAPE.match(text.strip()):
        raise ValueError(f"{text!r} is not a SemVer version")
    return text.strip().split("+", 1)[0]


# ---- RPM --------------------------------------------------------------------------------------

Evr = tuple[int, str, str | None]
_EPOCH = re.compile(r"^(\d+):(.*)$", re.DOTALL)


def rpm_evr(text: str) -> Evr | None:
    """(epoch, version, release or None) as rpm splits `[epoch:]version[-release]`."""
    text = text.strip()
    if not text:
        return None
    epoch = 0
    found = _EPOCH.match(text)
    if found is not None:
        epoch, text = int(found.group(1)), found.group(2)
    version, dash, release = text.rpartition("-")
    if not dash:
        return epoch, text, None
    return epoch, version, release


def compare_rpm(a: Evr, b: Evr) -> int:
    if a[0] != b[0]:
        return -1 if a[0] < b[0] else 1
    result = int(vercmp(a[1], b[1]))  # type: ignore[no-untyped-call]  # univers has no hints here
    if result:
        return result
    if a[2] is None or b[2] is None:
        return (a[2] is not None) - (b[2] is not None)
    return int(vercmp(a[2], b[2]))  # type: ignore[no-untyped-call]


# ---- Maven ------------------------------------------------------------------------------------

_MAVEN_RELEASE = re.compile(r"[.\-]?(?<![a-z])(?:ga|final|release)(?![a-z])", re.IGNORECASE)


def maven_without_release_aliases(text: str) -> str:
    return _MAVEN_RELEASE.sub("", text) or text


# ---- RubyGems ---------------------------------------------------------------------------------

_GLUED = re.compile(r"(?<=\d)(?=[a-zA-Z])|(?<=[a-zA-Z])(?=\d)")


def gem_with_dots(text: str) -> str:
    return _GLUED.sub(".", text)
