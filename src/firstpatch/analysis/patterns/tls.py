"""py/tls-verification-disabled: HTTPS without checking whom it talks to."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from firstpatch.analysis.patterns.context import FunctionNode, ModuleContext, keyword, last_name
from firstpatch.analysis.patterns.registry import Hit, pattern_rule
from firstpatch.model import Confidence, Severity

# Methods of sessions and clients that take `verify=`; other APIs use the same keyword for
# other checks (PyJWT's `decode(verify=False)` skips the signature, which is CWE-347).
_REQUEST_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream", "build_request"}
)
_UNVERIFIED_CONTEXTS = frozenset({"ssl._create_unverified_context", "ssl._create_stdlib_context"})
_UNVERIFIED_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in _UNVERIFIED_CONTEXTS)
_TLS_KEYWORDS = frozenset({"verify", "ssl", "verify_ssl", "assert_hostname", "cert_reqs"})
_TRIGGERS = ("verify", "CERT_NONE", "check_hostname", "_create_", "ssl", "assert_hostname")


@pattern_rule(
    "py/tls-verification-disabled",
    cwe=295,
    title="TLS certificate verification turned off",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    triggers=_TRIGGERS,
)
def tls_verification_disabled(context: ModuleContext) -> Iterator[Hit]:
    """A TLS connection is made without verifying the server's certificate or host name, so
    anyone on the network path can impersonate the server, read everything sent (credentials,
    tokens) and change the answers.

    What counts: `verify=False` passed to requests or httpx (module functions, `Session` and
    `Client` methods and constructors, and the request methods of any session or client object);
    `ssl=False` or `verify_ssl=False` in aiohttp; `cert_reqs='CERT_NONE'` or `ssl.CERT_NONE` in any
    call (urllib3 pools, `ssl.wrap_socket`) and urllib3's `assert_hostname=False`;
    `ssl._create_unverified_context` (called, or installed as the default HTTPS context);
    `ssl.CERT_NONE` assigned to a context's `verify_mode`; `check_hostname = False`; and a
    session's `verify` attribute set to False. A name that is only ever assigned False counts as
    False. Not reported: `verify=True`, a CA bundle path, an `ssl.SSLContext` object, or any
    value computed at run time, nor test code (which often talks to a local server on purpose).

    Fix: leave verification on; to trust a private CA, pass its bundle (`verify="/path/ca.pem"`)
    or load it into the context with `load_verify_locations`."""
    for call, function, _ in context.nodes(ast.Call):
        if last_name(call.func) in _UNVERIFIED_NAMES or any(k.arg in _TLS_KEYWORDS for k in call.keywords):
            yield from _call(context, call, function)
    for assign, function, _ in context.nodes(ast.Assign):
        yield from _assignment(context, assign, function)


def _call(context: ModuleContext, call: ast.Call, function: FunctionNode | None) -> Iterator[Hit]:
    name = context.resolve(call.func) or ""
    if name in _UNVERIFIED_CONTEXTS:
        yield Hit(call, f"`{name}()` makes a context that accepts any certificate for any host.")
        return
    reasons = [
        f"`{flag}=False`"
        for flag in ("verify", "ssl", "verify_ssl", "assert_hostname")
        if (given := keyword(call, flag)) is not None
        and _checks_tls(flag, name, call)
        and context.constant(given, function) is False
    ]
    requirement = keyword(call, "cert_reqs")
    if requirement is not None and _cert_none(context, requirement, function):
        reasons.append("`cert_reqs=CERT_NONE`")
    if reasons:
        yield Hit(call, f"{' and '.join(reasons)} turns off certificate verification for this connection.")


def _checks_tls(flag: str, name: str, call: ast.Call) -> bool:
    """Whether this keyword of this call is about certificate verification."""
    on_client = not name and isinstance(call.func, ast.Attribute) and call.func.attr in _REQUEST_METHODS
    match flag:
        case "verify":
            return name.startswith(("requests.", "httpx.")) or on_client
        case "ssl" | "verify_ssl":
            return name.startswith("aiohttp.") or on_client
        case "assert_hostname":
            return name.startswith("urllib3.")
    return False


def _assignment(context: ModuleContext, assign: ast.Assign, function: FunctionNode | None) -> Iterator[Hit]:
    value = assign.value
    if isinstance(value, ast.Attribute) and context.resolve(value) in _UNVERIFIED_CONTEXTS:
        yield Hit(
            assign, "The unverified context is installed: every HTTPS connection accepts any certificate."
        )
        return
    for target in assign.targets:
        if not isinstance(target, ast.Attribute):
            continue
        if target.attr == "verify_mode" and _cert_none(context, value, function):
            yield Hit(assign, "`verify_mode = CERT_NONE`: the server's certificate is not checked.")
        elif target.attr == "check_hostname" and context.constant(value, function) is False:
            yield Hit(assign, "`check_hostname = False`: a valid certificate for any host is accepted.")
        elif target.attr == "verify" and context.constant(value, function) is False:
            yield Hit(assign, "`verify = False` turns off certificate verification for the whole session.")


def _cert_none(context: ModuleContext, value: ast.expr, function: FunctionNode | None) -> bool:
    if isinstance(value, ast.Name | ast.Attribute) and context.resolve(value) == "ssl.CERT_NONE":
        return True
    return context.constant(value, function) == "CERT_NONE"
