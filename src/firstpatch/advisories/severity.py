"""An advisory's severity: from its CVSS vectors, computed by the maintained `cvss` package;
without a usable vector, from the record's own text rating (OSV `database_specific.severity`,
e.g. GitHub's MODERATE), which `AdvisoryFacts` carries and `model.Advisory` does not."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from cvss import CVSS3, CVSS4, CVSSError  # type: ignore[import-untyped]  # cvss ships no type hints

from firstpatch.advisories.facts import AdvisoryFacts
from firstpatch.model import Advisory, Severity, SeverityVector

# The words OSV databases rate with: GitHub (LOW, MODERATE, HIGH, CRITICAL), Red Hat
# (Low, Moderate, Important, Critical), Debian/Ubuntu (negligible, unimportant, low, medium, high).
_TEXT_RATINGS = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "important": Severity.HIGH,
    "moderate": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "negligible": Severity.LOW,
    "unimportant": Severity.LOW,
}


def vector_severity(vector: SeverityVector) -> Severity | None:
    """The qualitative rating of a CVSS v3.x or v4 base score; None for other or broken vectors."""
    return _rated(vector.type, vector.score)[1]


def vector_score(vector: SeverityVector) -> float | None:
    """The CVSS v3.x or v4 base score computed from the vector; None for other or broken ones."""
    return _rated(vector.type, vector.score)[0]


@lru_cache(maxsize=16384)
def _rated(kind: str, vector: str) -> tuple[float | None, Severity | None]:
    """(base score, rating) of one vector; many records share a vector, and parsing one costs."""
    try:
        if kind == "CVSS_V3":
            parsed = CVSS3(vector)
            return float(parsed.base_score), Severity(str(parsed.severities()[0]).lower())
        if kind == "CVSS_V4":
            parsed = CVSS4(vector)
            return float(parsed.base_score), Severity(str(parsed.severity).lower())
    except CVSSError:
        pass
    return None, None


def cvss_severity(advisory: Advisory | AdvisoryFacts) -> Severity | None:
    """The worst rating among the advisory's vectors; None when it has no usable vector."""
    return _worst_rating(advisory.severity)


@lru_cache(maxsize=16384)
def _worst_rating(vectors: tuple[SeverityVector, ...]) -> Severity | None:
    ratings = [rating for rating in map(vector_severity, vectors) if rating is not None]
    return max(ratings, key=lambda rating: rating.rank, default=None)


def text_rating(text: str | None) -> Severity | None:
    """A database's own severity word as a rating; None for none or one not known."""
    return _TEXT_RATINGS.get(text.strip().lower()) if text else None


def advisory_severity(advisory: Advisory | AdvisoryFacts) -> Severity | None:
    """The worst CVSS rating; else the record's own text rating (only `AdvisoryFacts` carry it);
    None when it has neither."""
    rating = cvss_severity(advisory)
    if rating is None and isinstance(advisory, AdvisoryFacts):
        return text_rating(advisory.text_severity)
    return rating


def worst_vector(advisories: Iterable[Advisory | AdvisoryFacts]) -> tuple[float, str] | None:
    """The highest base score among the advisories' vectors, with its vector (v4 wins a tie)."""
    best: tuple[float, int, str] | None = None
    for advisory in advisories:
        for vector in advisory.severity:
            score = vector_score(vector)
            if score is None:
                continue
            candidate = (score, vector.type == "CVSS_V4", vector.score)
            if best is None or candidate[:2] > best[:2]:
                best = (candidate[0], int(candidate[1]), candidate[2])
    return None if best is None else (best[0], best[2])


def clear_caches() -> None:
    _rated.cache_clear()
    _worst_rating.cache_clear()
