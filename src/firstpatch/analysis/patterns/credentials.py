"""py/hardcoded-credentials: passwords, keys and tokens written into the source."""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator

from firstpatch.analysis.patterns.context import ModuleContext, assignment_targets, last_name
from firstpatch.analysis.patterns.registry import Hit, pattern_rule
from firstpatch.analysis.patterns.vocabulary import (
    is_placeholder,
    looks_generated,
    names_credential,
    names_secret,
    words,
)
from firstpatch.model import Confidence, Severity

# Formats whose shape alone says "credential"; public facts about each issuer's token format.
_KEY_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an AWS access key id", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}")),
    ("a Stripe live secret key", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    (
        "a private key",
        # The header alone is code that looks for keys; a key has its base64 body after it.
        re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----\s*[A-Za-z0-9+/=\s:,-]{40,}"),
    ),
)
# An access key's id is half of a credential and public in logs; the secret half is reported.
_IDENTIFIERS = frozenset({"id", "ids", "identifier"})
_KEY_PREFIXES = re.compile(r"AKIA|ASIA|gh[pousr]_|github_pat_|xox|k_live_|AIza|PRIVATE KEY")
# A module without any of these words names no credential and holds no known key format.
_TRIGGERS = re.compile(
    r"pass|secret|token|key|pwd|pw|auth|cred|AKIA|ASIA|gh[pousr]_|github_pat|xox|_live_|AIza", re.IGNORECASE
)


@pattern_rule(
    "py/hardcoded-credentials",
    cwe=798,
    title="Credential written into the source",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    triggers=_TRIGGERS,
)
def hardcoded_credentials(context: ModuleContext) -> Iterator[Hit]:
    """A password, secret key, API key, token or private key is a literal in the code. Anyone
    who can read the repository, a package built from it or a leaked copy can use it, and it
    cannot be rotated without a release.

    What counts: a string literal assigned to a variable, attribute or constant key, passed as a
    keyword argument, given as a parameter's default, put in a dict under a key, or compared
    with a name, when that name says password, passphrase, secret, API key, private or signing
    key, access key, credential or token (for vague names such as `token` the literal must also
    look machine-made: long, no spaces, mixed letters and digits). Names that describe rather
    than hold a secret (`password_field`, `token_url`, `SECRET_KEY_FILE`, `PASSWORD_MIN_LENGTH`)
    are not reported. Also any literal in a well-known credential format: AWS access key ids
    (`AKIA...`), GitHub tokens (`ghp_...`, `github_pat_...`), Slack tokens (`xoxb-...`), Stripe
    live keys, Google API keys, and PEM private keys with their body.

    Not reported: empty or short strings, placeholders (`changeme`, `<password>`, `xxx`,
    `your-api-key`, `${DB_PASSWORD}`, `%(password)s`, the name of an environment variable),
    values read at run time (`os.environ[...]`, `os.getenv(...)`, a secrets manager), AWS's
    documented example keys, and code in test folders and test files. The reported snippet masks
    the secret.

    Fix: read the secret at run time from the environment or a secrets manager, and rotate the
    one that was committed."""
    reported: set[ast.Constant] = set()
    for constant, _, _ in context.nodes(ast.Constant):
        if isinstance(constant.value, str) and (what := _key_format(constant.value)):
            reported.add(constant)
            yield Hit(constant, f"The literal is {what}; it is committed with the code.", redact=constant)
    for name, literal in _named_literals(context):
        if literal in reported or not _credential(name, str(literal.value)):
            continue
        reported.add(literal)
        yield Hit(
            literal,
            f"A literal is used as `{name}`: the credential is committed with the code. Read it at "
            "run time from the environment or a secrets manager.",
            redact=literal,
        )


def _key_format(value: str) -> str | None:
    if len(value) < 20 or "EXAMPLE" in value or not _KEY_PREFIXES.search(value):
        return None
    for what, pattern in _KEY_FORMATS:
        if pattern.search(value):
            return what
    return None


def _credential(name: str, value: str) -> bool:
    if not names_secret(name) or is_placeholder(value) or set(words(name)) & _IDENTIFIERS:
        return False
    return names_credential(name) or looks_generated(value)


def _named_literals(context: ModuleContext) -> Iterator[tuple[str, ast.Constant]]:
    """(name, literal) wherever code gives a string literal a name."""
    for node, _, _ in context.assignment_nodes():
        if node.value is not None and not isinstance(node, ast.AugAssign):
            for target in assignment_targets(node):
                yield from _pairs(target, node.value)
    for call, _, _ in context.nodes(ast.Call):
        for given in call.keywords:
            if given.arg and (literal := _text(given.value)):
                yield given.arg, literal
    for mapping, _, _ in context.nodes(ast.Dict):
        for key, value in zip(mapping.keys, mapping.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and (literal := _text(value)):
                yield key.value, literal
    for function in context.definitions():
        if isinstance(function, ast.ClassDef):
            continue
        arguments = function.args
        positional = [*arguments.posonlyargs, *arguments.args]
        with_defaults = positional[len(positional) - len(arguments.defaults) :]
        pairs = [
            *zip(with_defaults, arguments.defaults, strict=True),
            *zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True),
        ]
        for argument, default in pairs:
            if default is not None and (literal := _text(default)):
                yield argument.arg, literal
    for compare, _, _ in context.nodes(ast.Compare):
        operands = [compare.left, *compare.comparators]
        for op, (left, right) in zip(compare.ops, itertools.pairwise(operands), strict=True):
            if not isinstance(op, ast.Eq | ast.NotEq):
                continue
            for named, other in ((left, right), (right, left)):
                if (literal := _text(other)) and (name := last_name(named)):
                    yield name, literal


def _pairs(target: ast.expr, value: ast.expr) -> Iterator[tuple[str, ast.Constant]]:
    if isinstance(target, ast.Tuple | ast.List) and isinstance(value, ast.Tuple | ast.List):
        if len(target.elts) == len(value.elts):
            for element, part in zip(target.elts, value.elts, strict=True):
                yield from _pairs(element, part)
        return
    if isinstance(value, ast.Constant) and isinstance(value.value, str) and (name := last_name(target)):
        yield name, value


def _text(node: ast.expr) -> ast.Constant | None:
    return node if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
