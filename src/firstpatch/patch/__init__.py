"""firstpatch.patch: idiomatic fixes for code findings, as libcst codemods, and their verification.

`propose(root, finding)` reads the files the fix needs as text (the target is never imported)
and returns the new contents, a unified diff and a one-line description; `verify(...)` applies
them to a copy and re-runs the proof, the scan and the target's own tests before calling the
patch verified. `verify_all(root, candidates, drivers)` verifies every patch of a target, sharing
one reproducer run, rescan and test run between patches to different files (see `batch`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from firstpatch.model import Finding, FindingKind
from firstpatch.patch.batch import verify_all
from firstpatch.patch.code import CodeFixer
from firstpatch.patch.command import CommandFixer
from firstpatch.patch.cookies import CookieFixer
from firstpatch.patch.deserialization import DeserializationFixer
from firstpatch.patch.diff import unified_diff
from firstpatch.patch.hashing import HashFixer
from firstpatch.patch.interface import FileChange, Fix, Fixer, PatchError, ProposedPatch, Reader
from firstpatch.patch.ldap import LdapFixer
from firstpatch.patch.log import LogFixer
from firstpatch.patch.path import PathFixer
from firstpatch.patch.randomness import RandomFixer
from firstpatch.patch.redirect import RedirectFixer
from firstpatch.patch.sql import SqlFixer
from firstpatch.patch.ssrf import SsrfFixer
from firstpatch.patch.template import TemplateFixer
from firstpatch.patch.tls import TlsFixer
from firstpatch.patch.tree import reader
from firstpatch.patch.trial import Candidate
from firstpatch.patch.verify import Rescan, verify
from firstpatch.patch.xpath import XPathFixer
from firstpatch.patch.xss import XssFixer
from firstpatch.patch.xxe import XxeFixer

# The one table of fixers, by the CWE each one fixes.
FIXERS: Mapping[int, Fixer] = MappingProxyType(
    {
        cwe: fixer
        for fixer in (
            SqlFixer(),
            CommandFixer(),
            PathFixer(),
            CodeFixer(),
            DeserializationFixer(),
            XssFixer(),
            XPathFixer(),
            LdapFixer(),
            XxeFixer(),
            RedirectFixer(),
            SsrfFixer(),
            TemplateFixer(),
            LogFixer(),
            HashFixer(),
            RandomFixer(),
            CookieFixer(),
            TlsFixer(),
        )
        for cwe in fixer.cwes
    }
)


def propose(root: Path, finding: Finding) -> ProposedPatch | None:
    """A fix for a code finding, not yet verified; None when no fixer has one that fits."""
    if finding.kind is not FindingKind.CODE or finding.cwe is None or finding.cwe not in FIXERS:
        return None
    fix = FIXERS[finding.cwe].fix(finding, reader(root))
    if fix is None:
        return None
    return ProposedPatch(fix.changes, unified_diff(fix.changes), fix.description)


__all__ = [
    "FIXERS",
    "Candidate",
    "FileChange",
    "Fix",
    "Fixer",
    "PatchError",
    "ProposedPatch",
    "Reader",
    "Rescan",
    "propose",
    "unified_diff",
    "verify",
    "verify_all",
]
