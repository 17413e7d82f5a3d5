"""py/weak-hash: MD5 and SHA-1 where the digest protects something."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from firstpatch.analysis.patterns.context import FunctionNode, ModuleContext, keyword, last_name
from firstpatch.analysis.patterns.localflow import mentioned
from firstpatch.analysis.patterns.registry import Hit, pattern_rule
from firstpatch.analysis.patterns.vocabulary import names_secret, names_secret_maker, names_session, words
from firstpatch.model import Confidence, Severity

# Constructors by resolved name, and the algorithm each one is.
_CONSTRUCTORS = {
    "hashlib.md5": "MD5",
    "hashlib.sha1": "SHA-1",
    "cryptography.hazmat.primitives.hashes.MD5": "MD5",
    "cryptography.hazmat.primitives.hashes.SHA1": "SHA-1",
    **{
        f"{package}.Hash.{name}.new": algorithm
        for package in ("Crypto", "Cryptodome")
        for name, algorithm in (
            ("MD2", "MD2"),
            ("MD4", "MD4"),
            ("MD5", "MD5"),
            ("SHA", "SHA-1"),
            ("SHA1", "SHA-1"),
        )
    },
}
_CONSTRUCTOR_NAMES = frozenset({name.rsplit(".", 1)[-1] for name in _CONSTRUCTORS} | {"new"})
_KEYED_PREFIXES = ("HMAC", "TOTP", "HOTP", "HKDF", "PBKDF2", "CONCATKDF", "X963KDF", "KBKDF")
# Names `hashlib.new` accepts for broken algorithms, lower-cased.
_NAMED = {"md4": "MD4", "md5": "MD5", "sha1": "SHA-1", "sha": "SHA-1", "md5-sha1": "MD5-SHA1"}
_USER_INPUT = frozenset({"request", "req", "input", "raw_input", "getpass", "argv", "stdin"})
_SIGNING_WORDS = frozenset(
    {"sign", "signed", "signature", "hmac", "verify", "authenticate", "login", "encrypt"}
)


@pattern_rule(
    "py/weak-hash",
    cwe=328,
    title="Broken hash algorithm used for security",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    triggers=("md5", "MD5", "sha1", "SHA1", "MD4", "md4", "MD2", "hashlib.new", "Hash.SHA"),
)
def weak_hash(context: ModuleContext) -> Iterator[Hit]:
    """MD5 or SHA-1 (or MD4, MD2) protects something: collisions for both are practical and
    MD5 digests of short secrets are looked up in precomputed tables, so a password stored,
    a token derived or a signature made with them can be forged or reversed.

    What counts: `hashlib.md5`/`sha1` and `hashlib.new` with such a constant name, PyCryptodome's
    `Crypto.Hash.MD5/SHA1/SHA/MD4/MD2`, and `cryptography`'s `hashes.MD5()`/`hashes.SHA1()`.
    Never a call with `usedforsecurity=False`, never SHA-2, SHA-3 or BLAKE2, and not a hash
    handed to HMAC, TOTP/HOTP or a key derivation function (HMAC-SHA1 is not broken by
    collisions; TOTP is specified with SHA-1).

    Security use, so that checksums and cache keys stay quiet: the code runs while serving an
    HTTP request (a routed function, a view taking a request, or one reading the request global;
    a digest there reaches clients); or the hashed data involves a name that says secret,
    password, token, salt, nonce, session or signature, or user input (request, input(),
    getpass, sys.argv, stdin), directly or through local variables and `.update()` calls; or the
    digest is stored as, or compared with, such a name; or the enclosing function's name says
    it makes or checks a secret or signs (`hash_password`, `make_token`, `sign_request`). Test
    code is not checked.

    Fix: SHA-256 or better; argon2, scrypt, bcrypt or PBKDF2 for passwords; HMAC for
    signatures; or `usedforsecurity=False` when the digest protects nothing."""
    keyed = _keyed_constructions(context)
    for call, function, statement in context.nodes(ast.Call):
        if last_name(call.func) not in _CONSTRUCTOR_NAMES or call in keyed:
            continue
        algorithm = _weak_algorithm(context, call, function)
        if algorithm is None:
            continue
        reason = _security_use(context, call, function, statement)
        if reason is None:
            continue
        yield Hit(
            call,
            f"{algorithm} is broken for security use ({reason}). Use SHA-256 or better (a password "
            "hash such as argon2 or scrypt for passwords), or pass usedforsecurity=False if the "
            "digest protects nothing.",
        )


def _keyed_constructions(context: ModuleContext) -> set[ast.AST]:
    """Hash objects handed to a keyed construction (`HMAC(key, hashes.SHA1())`, TOTP, HKDF,
    PBKDF2), where collisions do not break the result."""
    keyed: set[ast.AST] = set()
    for call, _, _ in context.nodes(ast.Call):
        name = (last_name(call.func) or "").upper()
        if name.startswith(_KEYED_PREFIXES) or (name == "NEW" and context.resolve(call.func) == "hmac.new"):
            keyed.update(call.args)
            keyed.update(k.value for k in call.keywords)
    return keyed


def _weak_algorithm(context: ModuleContext, call: ast.Call, function: FunctionNode | None) -> str | None:
    name = context.resolve(call.func)
    if name is None:
        return None
    algorithm = _CONSTRUCTORS.get(name)
    if name == "hashlib.new":
        chosen = call.args[0] if call.args else keyword(call, "name")
        value = context.constant(chosen, function) if chosen is not None else None
        algorithm = _NAMED.get(value.lower()) if isinstance(value, str) else None
    if algorithm is None:
        return None
    flag = keyword(call, "usedforsecurity")
    if flag is not None and context.constant(flag, function) is False:
        return None
    return algorithm


def _security_use(
    context: ModuleContext, call: ast.Call, function: FunctionNode | None, statement: ast.stmt | None
) -> str | None:
    """Why this digest protects something, or None when nothing says it does."""
    if context.is_request_handler(function):
        handler = function.name if function is not None else "?"
        return f"in `{handler}()`, which serves HTTP requests"
    data: set[str] = set()
    for argument in (*call.args, *(k.value for k in call.keywords)):
        data |= mentioned(context, argument, function)
    holder = _holder(statement)
    if holder is not None:  # h = hashlib.md5(); h.update(secret)
        for other, owner, _ in context.nodes(ast.Call):
            func = other.func
            if (
                owner is function
                and isinstance(func, ast.Attribute)
                and func.attr == "update"
                and isinstance(func.value, ast.Name)
                and func.value.id == holder
            ):
                for argument in other.args:
                    data |= mentioned(context, argument, function)
    if word := next((w for w in sorted(data) if _protects(w) or w in _USER_INPUT), None):
        return f"it hashes `{word}`"
    if statement is not None:
        for name in _result_names(statement):
            if _protects(name):
                return f"the digest is kept as `{name}`"
    for around in context.functions_around(function):
        if names_secret_maker(around.name) or set(words(around.name)) & _SIGNING_WORDS:
            return f"in `{around.name}()`"
    return None


def _protects(name: str) -> bool:
    return names_secret(name) or names_session(name) or bool(set(words(name)) & _SIGNING_WORDS)


def _holder(statement: ast.stmt | None) -> str | None:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        return target.id if isinstance(target, ast.Name) else None
    return None


def _result_names(statement: ast.stmt) -> Iterator[str]:
    """Names the statement stores the digest as or compares it with."""
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AnnAssign | ast.AugAssign):
        targets = [statement.target]
    for target in targets:
        if name := last_name(target):
            yield name
    for node in (n for part in _own_parts(statement) for n in ast.walk(part)):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                if name := last_name(operand):
                    yield name
        elif isinstance(node, ast.keyword) and node.arg:
            yield node.arg


def _own_parts(statement: ast.stmt) -> list[ast.AST]:
    """The parts of a statement that are not nested statements (an `if`'s test, not its body)."""
    match statement:
        case ast.If(test=test) | ast.While(test=test):
            return [test]
        case ast.For(iter=iterable) | ast.AsyncFor(iter=iterable):
            return [iterable]
        case ast.With(items=items) | ast.AsyncWith(items=items):
            return list(items)
        case ast.Match(subject=subject):
            return [subject]
        case ast.FunctionDef() | ast.AsyncFunctionDef() | ast.ClassDef() | ast.Try() | ast.TryStar():
            return []
    return [statement]
