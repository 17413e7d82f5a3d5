"""Packagist's version ordering: PHP's `version_compare`, which Composer's constraints use.

univers orders Composer versions as SemVer, which they are not (`1.0 < 1.0.0`, `1.0-dev <
1.0a1 < 1.0RC1 < 1.0 < 1.0pl1` in PHP), so this is the one correction for Packagist. A version
is split into parts at `.`, `-`, `_`, `+` and wherever digits meet other characters; numbers
compare as numbers; words compare by their rank (`dev` < `alpha`/`a` < `beta`/`b` < `RC`/`rc` <
`#` < `pl`/`p`, any other word lowest), and a number ranks as `#` against a word. When one
version runs out, the other is greater if its next part is a number, otherwise its remaining
parts are compared with `#`. A leading `v` is dropped, as Composer does.
"""

from __future__ import annotations

import re

Parts = tuple[str, ...]

_SPLIT = re.compile(r"\d+|[^\d.\-_+]+")
# Each word's rank, matched by prefix in this order, as PHP does (`abc` ranks as `a`).
_RANKS = (("dev", 0), ("alpha", 1), ("a", 1), ("beta", 2), ("b", 2), ("RC", 3), ("rc", 3), ("#", 4))
_RANKS_POST = (("pl", 5), ("p", 5))
_NUMBER_RANK = 4  # a number against a word ranks as "#"
_UNKNOWN_RANK = -6
_UNSTABLE = re.compile(r"(?:^|[^a-z])(?:dev|alpha|a|beta|b|rc)(?:[^a-z]|$)", re.IGNORECASE)


def parts(text: str) -> Parts | None:
    """The parts of a version, or None for an empty one."""
    text = text.strip()
    if text[:1] in ("v", "V") and text[1:2].isdigit():
        text = text[1:]
    found = tuple(_SPLIT.findall(text))
    return found or None


def _rank(word: str) -> int:
    for name, rank in (*_RANKS, *_RANKS_POST):
        if word.startswith(name):
            return rank
    return _UNKNOWN_RANK


def _compare_part(a: str, b: str) -> int:
    if a.isdigit() and b.isdigit():
        x, y = int(a), int(b)
    else:
        x = _NUMBER_RANK if a.isdigit() else _rank(a)
        y = _NUMBER_RANK if b.isdigit() else _rank(b)
    return (x > y) - (x < y)


def compare(a: Parts, b: Parts) -> int:
    """-1, 0 or 1 as PHP's version_compare orders the two versions."""
    for left, right in zip(a, b, strict=False):
        result = _compare_part(left, right)
        if result:
            return result
    if len(a) == len(b):
        return 0
    longer, sign = (a, 1) if len(a) > len(b) else (b, -1)
    rest = longer[min(len(a), len(b)) :]
    if rest[0].isdigit():
        return sign
    # The rest compared against "#": equal ranks go on to the next part.
    for part in rest:
        result = _compare_part(part, "#")
        if result:
            return sign * result
        if part.isdigit():
            return sign
    return 0


def is_prerelease(text: str) -> bool:
    """Composer's stability below `stable`: dev, alpha, beta or RC."""
    return bool(_UNSTABLE.search(text))
