"""The smallest upgrade that closes a vulnerable component's advisories.

Candidates are versions the advisories themselves name (their `fixed` events and their listed
`versions`), above the current version; pre-releases only when the current version is one.
Candidates are tried in PEP 440 order. The answer is the first candidate that fixes every
matched advisory and is affected by no other known advisory of the package; when every fix is
hit by another advisory, the first that fixes the matched ones, with the others named. A
candidate whose verdict cannot be decided does not count as a fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from packaging.version import Version

from firstpatch.advisories.matching import Affects, evaluate, parse_version
from firstpatch.advisories.names import ecosystem_base, normalise
from firstpatch.model import Advisory, AdvisoryId, Affected, Ecosystem


@dataclass(frozen=True, slots=True)
class Remedy:
    """`version` None means no fix is available among the versions the advisories know."""

    version: str | None
    major: bool  # the fix is a new major version (or epoch): expect breaking changes
    reason: str
    still_affected_by: tuple[AdvisoryId, ...] = ()


def smallest_fix(
    ecosystem: Ecosystem,
    name: str,
    current: str,
    matched: Sequence[Advisory],
    known: Sequence[Advisory] = (),
) -> Remedy:
    """The smallest version of `name` above `current` that fixes every advisory in `matched`.

    `known` are the package's other advisories: a fix they affect is avoided when possible.
    """
    now = parse_version(current)
    if now is None:
        return Remedy(None, False, f"{current!r} is not a PEP 440 version; no upgrade computed")
    matched_ids = {advisory.id for advisory in matched}
    others = [advisory for advisory in known if advisory.id not in matched_ids]
    mine = _entries(ecosystem, name, matched)
    theirs = _entries(ecosystem, name, others)
    fixed = ", ".join(sorted(matched_ids))

    partial: tuple[Version, str, tuple[AdvisoryId, ...]] | None = None
    for candidate, text in _candidates(now, [*mine, *theirs]):
        # A matched advisory is fixed when none of its entries affects the candidate, or may.
        if any(evaluate(candidate, entry) is not None for _, entry in mine):
            continue
        hit = sorted(
            {advisory.id for advisory, entry in theirs if isinstance(evaluate(candidate, entry), Affects)}
        )
        if not hit:
            reason = f"{text} fixes {fixed}"
            if partial is not None:
                reason += f" ({partial[1]} does too but is affected by {', '.join(partial[2])})"
            return Remedy(text, _is_major(now, candidate), reason)
        if partial is None:
            partial = (candidate, text, tuple(hit))
    if partial is not None:
        candidate, text, still = partial
        reason = f"{text} fixes {fixed} but is affected by {', '.join(still)}; no known version fixes all"
        return Remedy(text, _is_major(now, candidate), reason, still)
    return Remedy(None, False, f"no fix available: no known version above {current} fixes {fixed}")


def _entries(
    ecosystem: Ecosystem, name: str, advisories: Sequence[Advisory]
) -> list[tuple[Advisory, Affected]]:
    key = normalise(ecosystem, name)
    return [
        (advisory, entry)
        for advisory in advisories
        if advisory.withdrawn is None
        for entry in advisory.affected
        if ecosystem_base(entry.ecosystem) == ecosystem and normalise(ecosystem, entry.name) == key
    ]


def _candidates(now: Version, entries: list[tuple[Advisory, Affected]]) -> list[tuple[Version, str]]:
    """Versions named by the entries, above `now`, ascending; the first spelling of each is kept."""
    found: dict[Version, str] = {}
    for _, entry in entries:
        texts = [
            e.version for r in entry.ranges if r.type == "ECOSYSTEM" for e in r.events if e.kind == "fixed"
        ]
        for text in [*texts, *entry.versions]:
            version = parse_version(text)
            if version is None or version <= now or (version.is_prerelease and not now.is_prerelease):
                continue
            found.setdefault(version, text)
    return sorted(found.items())


def _is_major(now: Version, fix: Version) -> bool:
    return (fix.epoch, fix.release[0]) > (now.epoch, now.release[0])
