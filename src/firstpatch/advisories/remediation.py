"""The smallest upgrade that closes a vulnerable component's advisories.

Candidates are versions the advisories themselves name (their `fixed` events and their listed
`versions`), above the current version; pre-releases only when the current version is one.
Candidates are tried in the ecosystem's order, so the first fix found stays within the current
major version whenever one there fixes everything; `Remedy.major` says when it does not. The
answer is the first candidate that fixes every matched advisory and is affected by no other
known advisory of the package; when every fix is hit by another advisory, the first that fixes
the matched ones, with the others named. A candidate whose verdict cannot be decided does not
count as a fix.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from heapq import merge
from itertools import islice

from firstpatch.advisories.matching import Affects, compiled, escape_floor, evaluate
from firstpatch.advisories.names import normalise
from firstpatch.advisories.versions import Scheme, VersionKey, ecosystem_scheme
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
    scheme = ecosystem_scheme(ecosystem)
    now = scheme.parse(current) if scheme is not None else None
    if now is None or scheme is None:
        kind = scheme.name if scheme is not None else str(ecosystem)
        return Remedy(None, False, f"{current!r} is not a {kind} version; no upgrade computed")
    matched_ids = {advisory.id for advisory in matched}
    others = [advisory for advisory in known if advisory.id not in matched_ids]
    mine = _entries(ecosystem, name, matched)
    theirs = _entries(ecosystem, name, others)
    fixed = ", ".join(sorted(matched_ids))
    no_fix = Remedy(None, False, f"no fix available: no known version above {current} fixes {fixed}")

    # Versions below where the current version's affected intervals end are affected too: start there.
    floor: tuple[VersionKey, bool] = (now, True)
    for _, entry in mine:
        escape = escape_floor(current, entry)
        if escape is None:
            return no_fix  # an interval holding the current version never ends
        if escape[0] > floor[0] or (escape[0] == floor[0] and escape[1] and not floor[1]):
            floor = escape

    partial: tuple[VersionKey, str, tuple[AdvisoryId, ...]] | None = None
    for candidate, text in _candidates(floor, [entry for _, entry in (*mine, *theirs)]):
        if scheme.is_prerelease(candidate) and not scheme.is_prerelease(now):
            continue
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
            return Remedy(text, _is_major(scheme, now, candidate), reason)
        if partial is None:
            partial = (candidate, text, tuple(hit))
    if partial is not None:
        candidate, text, still = partial
        reason = f"{text} fixes {fixed} but is affected by {', '.join(still)}; no known version fixes all"
        return Remedy(text, _is_major(scheme, now, candidate), reason, still)
    return no_fix


def _entries(
    ecosystem: Ecosystem, name: str, advisories: Sequence[Advisory]
) -> list[tuple[Advisory, Affected]]:
    package = (ecosystem.value, normalise(ecosystem, name))
    return [
        (advisory, entry)
        for advisory in advisories
        if advisory.withdrawn is None
        for entry in advisory.affected
        if compiled(entry).package == package
    ]


def _candidates(floor: tuple[VersionKey, bool], entries: list[Affected]) -> Iterator[tuple[VersionKey, str]]:
    """Versions the entries name, ascending, each once (first spelling), from the floor up:
    above it when the floor itself is affected, from it otherwise. Lazy: the search stops early."""
    bound, affected = floor
    cut = bisect_right if affected else bisect_left
    streams = []
    for entry in entries:
        named = compiled(entry).named
        streams.append(islice(named, cut(named, _Key((bound, "")), key=_Key), None))
    previous: VersionKey | None = None
    for version, text in merge(*streams, key=_Key):
        if previous is None or version != previous:
            previous = version
            yield version, text


class _Key:
    """A candidate as sorting sees it: its version alone (keys of a scheme are not hashable)."""

    __slots__ = ("version",)

    def __init__(self, item: tuple[VersionKey, str]) -> None:
        self.version = item[0]

    def __lt__(self, other: _Key) -> bool:
        return bool(self.version < other.version)


def _is_major(scheme: Scheme, now: VersionKey, fix: VersionKey) -> bool:
    return scheme.major(fix) > scheme.major(now)
