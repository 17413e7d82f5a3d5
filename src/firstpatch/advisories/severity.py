"""An advisory's severity from its CVSS vectors, computed by the maintained `cvss` package."""

from __future__ import annotations

from collections.abc import Iterable

from cvss import CVSS3, CVSS4, CVSSError  # type: ignore[import-untyped]  # cvss ships no type hints

from firstpatch.model import Advisory, Severity, SeverityVector


def vector_severity(vector: SeverityVector) -> Severity | None:
    """The qualitative rating of a CVSS v3.x or v4 base score; None for other or broken vectors."""
    try:
        if vector.type == "CVSS_V3":
            rating = str(CVSS3(vector.score).severities()[0])
        elif vector.type == "CVSS_V4":
            rating = str(CVSS4(vector.score).severity)
        else:
            return None
    except CVSSError:
        return None
    return Severity(rating.lower())


def advisory_severity(advisory: Advisory) -> Severity | None:
    """The worst rating among the advisory's vectors; None when it has no usable vector."""
    ratings = [rating for rating in map(vector_severity, advisory.severity) if rating is not None]
    return max(ratings, key=lambda rating: rating.rank, default=None)


def vector_score(vector: SeverityVector) -> float | None:
    """The CVSS v3.x or v4 base score computed from the vector; None for other or broken ones."""
    try:
        if vector.type == "CVSS_V3":
            return float(CVSS3(vector.score).base_score)
        if vector.type == "CVSS_V4":
            return float(CVSS4(vector.score).base_score)
    except CVSSError:
        return None
    return None


def worst_vector(advisories: Iterable[Advisory]) -> tuple[float, str] | None:
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
