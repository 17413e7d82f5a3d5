"""Secrets found in the target's files, kept out of everything the model sees and the transcript.

Before the agent starts, the target's text files are scanned with detect-secrets (keywords such
as `password`/`secret`/`api_key`, cloud and service key formats, private keys), plus assignments
to names that say token or credential, which its keyword list leaves out. Every value found is
replaced wherever it appears by a placeholder `{secret:N}`. The model may use a placeholder in an
input it wants to run; only the trusted side puts the real value back, just before the request
enters the sandbox, so a hard-coded credential can be proved without the model ever reading it.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from firstpatch.target import Target

MIN_SECRET_LENGTH = 6  # shorter values would mangle ordinary text wherever they occur
_TEXT_SUFFIXES = (".py", ".env", ".cfg", ".ini", ".toml", ".yaml", ".yml", ".json", ".txt", ".conf", ".sh")
_TEXT_NAMES = (".env", "Dockerfile", "Procfile")
_TOKEN_ASSIGNMENT = re.compile(
    r"""(?i)\b\w*(?:token|credential|bearer|signing_key|secret_key)\w*["']?\s*[:=]\s*[rbu]?["']([^"'\s]{6,})["']"""
)
_PLACEHOLDER = re.compile(r"\{secret:(\d+)\}")
# Source lines worth handing to detect-secrets: a quoted value next to a word it (or we) treat
# as secret, or a quoted value that looks like a key format or a long random string. Its
# per-line plugin dispatch is too slow to run over every line of a large tree.
_QUOTED = re.compile(r"""["'][^"'\s]{6,}["']""")
_CANDIDATE_LINE = re.compile(
    r"(?i)pass|pwd|secret|api_?key|auth|priv|token|credential|bearer|contrase|-----BEGIN|AKIA|ghp_|xox[abp]|"
    r"""sk_live|sk-|AIza|eyJ|["'][A-Za-z0-9+/=_\-]{20,}["']"""
)


class Redactor:
    def __init__(self, secrets: Iterable[str] = (), extra: Iterable[str] = ()) -> None:
        ordered = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=lambda s: (-len(s), s))
        self._secrets = ordered  # longest first, so a secret inside another is not half-replaced
        self._extra = [value for value in extra if value]  # the API key: removed, never restorable

    @classmethod
    def for_target(cls, root: Path, api_key: str | None = None) -> Redactor:
        return cls(find_secrets(root), [api_key] if api_key else [])

    @property
    def count(self) -> int:
        return len(self._secrets)

    def redact(self, text: str) -> str:
        for value in self._extra:
            text = text.replace(value, "[api key]")
        for number, value in enumerate(self._secrets, 1):
            text = text.replace(value, f"{{secret:{number}}}")
        return text

    def redact_json(self, value: Any) -> Any:
        """A copy of a JSON value with every string redacted (keys too)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list | tuple):
            return [self.redact_json(item) for item in value]
        if isinstance(value, dict):
            return {self.redact(str(key)): self.redact_json(item) for key, item in value.items()}
        return value

    def restore(self, text: str) -> str:
        """Placeholders replaced by the values they stand for (trusted side only)."""

        def value(match: re.Match[str]) -> str:
            index = int(match[1]) - 1
            return self._secrets[index] if 0 <= index < len(self._secrets) else match[0]

        return _PLACEHOLDER.sub(value, text)


def find_secrets(root: Path) -> set[str]:
    """Secret values in the target's text files (read as text through `Target`'s rules).

    Configuration files go to detect-secrets whole (it parses YAML and INI itself). Of the Python
    files only the candidate lines go, gathered into one scratch file, so that its filters still
    judge them as Python source while a large tree costs one scan instead of one per file.
    """
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import default_settings

    target = Target.open(root)
    found: set[str] = set()
    candidates: list[str] = []
    # detect-secrets logs a warning per unreadable file; the agent only wants the values.
    logging.getLogger("detect-secrets").setLevel(logging.ERROR)
    with default_settings(), tempfile.TemporaryDirectory(prefix="firstpatch-secrets-") as scratch:
        for path in target.files(suffixes=_TEXT_SUFFIXES, names=_TEXT_NAMES):
            text = target.read_text(path)
            if text is None:
                continue
            found.update(_token_assignments(text))
            if path.suffix == ".py":
                candidates += (
                    line
                    for line in text.splitlines()
                    if _QUOTED.search(line) and _CANDIDATE_LINE.search(line)
                )
            else:
                found.update(secret.secret_value for secret in scan_file(str(path)) if secret.secret_value)
        lines = Path(scratch) / "candidates.py"
        lines.write_text("\n".join(candidates) + "\n", encoding="utf-8")
        found.update(secret.secret_value for secret in scan_file(str(lines)) if secret.secret_value)
    return found


def _token_assignments(text: str) -> Iterator[str]:
    for match in _TOKEN_ASSIGNMENT.finditer(text):
        yield match[1]
