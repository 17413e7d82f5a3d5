"""Finding fingerprints that survive edits elsewhere in a file."""

from __future__ import annotations

import hashlib
import re

from firstpatch.model.types import Fingerprint

_SPACE = re.compile(r"\s+")


def normalise_code(code: str) -> str:
    """Collapse whitespace so that reformatting a line does not change its identity."""
    return _SPACE.sub(" ", code).strip()


def fingerprint(rule_id: str, path: str, *code: str) -> Fingerprint:
    """Hash of the rule, the relative path and the normalised code of sink and source.

    Line numbers are deliberately left out: code added above a finding must not make it new.
    """
    digest = hashlib.sha256()
    for part in (rule_id, path, *map(normalise_code, code)):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return Fingerprint(digest.hexdigest()[:32])
