"""One oracle per CWE, registered by CWE number, and the CWEs no run can decide."""

from __future__ import annotations

from firstpatch.prove.interface import Oracle
from firstpatch.prove.oracles.code import CodeInjectionOracle
from firstpatch.prove.oracles.command import CommandInjectionOracle
from firstpatch.prove.oracles.cookie import MissingCookieFlagOracle
from firstpatch.prove.oracles.deserialize import DeserializationOracle
from firstpatch.prove.oracles.html import HtmlInjectionOracle
from firstpatch.prove.oracles.ldap import LdapInjectionOracle
from firstpatch.prove.oracles.log import LogInjectionOracle
from firstpatch.prove.oracles.path import PathTraversalOracle
from firstpatch.prove.oracles.redirect import OpenRedirectOracle
from firstpatch.prove.oracles.session import TrustBoundaryOracle
from firstpatch.prove.oracles.sql import SqlInjectionOracle
from firstpatch.prove.oracles.ssrf import SsrfOracle
from firstpatch.prove.oracles.template import TemplateInjectionOracle
from firstpatch.prove.oracles.weak import WeakPrimitiveOracle
from firstpatch.prove.oracles.xpath import XPathInjectionOracle
from firstpatch.prove.oracles.xxe import XxeOracle

ORACLES: dict[int, Oracle] = {
    oracle.cwe: oracle
    for oracle in (
        CommandInjectionOracle(),
        SqlInjectionOracle(),
        PathTraversalOracle(),
        CodeInjectionOracle(),
        DeserializationOracle(),
        HtmlInjectionOracle(),
        XPathInjectionOracle(),
        LdapInjectionOracle(),
        XxeOracle(),
        OpenRedirectOracle(),
        SsrfOracle(),
        TemplateInjectionOracle(),
        LogInjectionOracle(),
        TrustBoundaryOracle(),
        MissingCookieFlagOracle(614, "secure"),
        MissingCookieFlagOracle(1004, "httponly"),
        WeakPrimitiveOracle(328, "hashlib.weak", "the weak digest"),
        WeakPrimitiveOracle(330, "random.call", "the non-cryptographic generator's"),
    )
}

# Findings about what a program contains rather than what it does with input: running it shows
# nothing an oracle could tell apart from correct behaviour.
NO_DYNAMIC_ORACLE: dict[int, str] = {
    798: "a hard-coded credential is a fact of the source; running the program cannot show more",
    295: "disabled TLS verification only shows against a server with a bad certificate, and the"
    " sandbox has no network",
}

__all__ = [
    "NO_DYNAMIC_ORACLE",
    "ORACLES",
    "CodeInjectionOracle",
    "CommandInjectionOracle",
    "DeserializationOracle",
    "HtmlInjectionOracle",
    "LdapInjectionOracle",
    "LogInjectionOracle",
    "MissingCookieFlagOracle",
    "OpenRedirectOracle",
    "PathTraversalOracle",
    "SqlInjectionOracle",
    "SsrfOracle",
    "TemplateInjectionOracle",
    "TrustBoundaryOracle",
    "WeakPrimitiveOracle",
    "XPathInjectionOracle",
    "XxeOracle",
]
