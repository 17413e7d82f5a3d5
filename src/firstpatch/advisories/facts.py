"""What a finding says about an advisory record: its names, text and severity.

`AdvisoryFacts` is the part of a record that findings, titles, severity and reachability read;
matching never needs it. The store keeps these fields in columns of their own, so a scan reads
them for the matched records only, without decoding whole records. It also carries OSV's
`database_specific.severity` (GitHub's LOW / MODERATE / HIGH / CRITICAL), which `model.Advisory`
has no field for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from firstpatch.model import Advisory, AdvisoryId, SeverityVector


@dataclass(frozen=True, slots=True)
class AdvisoryFacts:
    id: AdvisoryId
    summary: str
    details: str = ""
    aliases: tuple[str, ...] = ()
    severity: tuple[SeverityVector, ...] = ()
    text_severity: str | None = None  # `database_specific.severity` as the record writes it

    @classmethod
    def of(cls, advisory: Advisory, text_severity: str | None = None) -> AdvisoryFacts:
        return cls(
            advisory.id,
            advisory.summary,
            advisory.details,
            advisory.aliases,
            advisory.severity,
            text_severity,
        )


def text_severity_of(record: object) -> str | None:
    """A raw OSV record's `database_specific.severity`, when it is a non-empty string."""
    specific = record.get("database_specific") if isinstance(record, Mapping) else None
    value = specific.get("severity") if isinstance(specific, Mapping) else None
    return value.strip() if isinstance(value, str) and value.strip() else None
