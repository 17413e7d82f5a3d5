"""An advisory's severity from its CVSS vectors, computed by the maintained `cvss` package."""

from __future__ import annotations

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
