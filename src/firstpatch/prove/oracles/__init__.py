"""One oracle per CWE, registered by CWE number."""

from __future__ import annotations

from firstpatch.prove.interface import Oracle
from firstpatch.prove.oracles.code import CodeInjectionOracle
from firstpatch.prove.oracles.command import CommandInjectionOracle
from firstpatch.prove.oracles.deserialize import DeserializationOracle
from firstpatch.prove.oracles.html import HtmlInjectionOracle
from firstpatch.prove.oracles.path import PathTraversalOracle
from firstpatch.prove.oracles.sql import SqlInjectionOracle

ORACLES: dict[int, Oracle] = {
    oracle.cwe: oracle
    for oracle in (
        CommandInjectionOracle(),
        SqlInjectionOracle(),
        PathTraversalOracle(),
        CodeInjectionOracle(),
        DeserializationOracle(),
        HtmlInjectionOracle(),
    )
}

__all__ = [
    "ORACLES",
    "CodeInjectionOracle",
    "CommandInjectionOracle",
    "DeserializationOracle",
    "HtmlInjectionOracle",
    "PathTraversalOracle",
    "SqlInjectionOracle",
]
