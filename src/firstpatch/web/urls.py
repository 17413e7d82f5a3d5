"""The dashboard's addresses: projects are named in URLs by a key made from their target.

A target is whatever the run recorded (an absolute path, a repository URL), so it is carried
as unpadded URL-safe base64 of its UTF-8: one path segment, reversible, nothing to escape.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import quote

# Fingerprints are 32 hex digits and scan run ids 32 more; fleets and imports may name runs
# with a few other characters. Anything else in a URL names nothing that can be stored.
ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
_ID = re.compile(ID_PATTERN)
MAX_TARGET = 4096


def project_key(target: str) -> str:
    return base64.urlsafe_b64encode(target.encode("utf-8")).decode("ascii").rstrip("=")


def target_of(key: str) -> str | None:
    """The target a key names; None for one that no `project_key` could have made."""
    if not key or len(key) > MAX_TARGET * 2 or not re.fullmatch(r"[A-Za-z0-9_-]+", key):
        return None
    try:
        target = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    # NUL cannot be stored in PostgreSQL text, and a key must round-trip to be the one we made.
    if "\x00" in target or project_key(target) != key:
        return None
    return target


def is_id(value: str) -> bool:
    return bool(_ID.fullmatch(value))


def project_url(target: str) -> str:
    return f"/projects/{project_key(target)}"


def finding_url(target: str, fingerprint: str) -> str:
    return f"{project_url(target)}/findings/{quote(fingerprint, safe='')}"


def run_url(run_id: str) -> str:
    return f"/runs/{quote(run_id, safe='')}"
