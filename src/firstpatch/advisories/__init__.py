"""The known-vulnerability stage: advisory sources, OSV range matching, fixes and findings.

A scan calls `audit(components, source)` (or `dependency_findings` for the findings alone) with
`SnapshotSource()` (shipped records) or `DirectorySource(path)` (an unpacked OSV export).
"""

from firstpatch.advisories.directory import DirectorySource
from firstpatch.advisories.facts import AdvisoryFacts
from firstpatch.advisories.findings import Audit, audit, dependency_findings, title_of, vulnerabilities
from firstpatch.advisories.interface import AdvisoryError, AdvisorySource
from firstpatch.advisories.matching import (
    Affects,
    Match,
    MatchResult,
    Undecided,
    Unknown,
    evaluate,
    in_range,
    match,
    parse_version,
)
from firstpatch.advisories.memory import MemorySource
from firstpatch.advisories.osv import from_data, loads
from firstpatch.advisories.remediation import Remedy, smallest_fix
from firstpatch.advisories.severity import advisory_severity, vector_severity
from firstpatch.advisories.snapshot import SnapshotSource

__all__ = [
    "AdvisoryError",
    "AdvisoryFacts",
    "AdvisorySource",
    "Affects",
    "Audit",
    "DirectorySource",
    "Match",
    "MatchResult",
    "MemorySource",
    "Remedy",
    "SnapshotSource",
    "Undecided",
    "Unknown",
    "advisory_severity",
    "audit",
    "dependency_findings",
    "evaluate",
    "from_data",
    "in_range",
    "loads",
    "match",
    "parse_version",
    "smallest_fix",
    "title_of",
    "vector_severity",
    "vulnerabilities",
]
