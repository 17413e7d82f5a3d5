"""The tools the model may call: thin wrappers over firstpatch's own stages, and nothing else.

There is no shell, no network and no file writing among them. Each call is checked against the
tool's JSON Schema before it runs; a call to a tool that does not exist, or that this task does
not offer, is answered with an error and changes nothing. Every result that holds text from the
target (code, responses) is redacted and wrapped in `<untrusted-data-NONCE>` tags whose nonce the
target cannot know, so it cannot close the wrapper and pose as firstpatch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema

from firstpatch.agent.hypothesis import (
    ACCESS_WEAKNESSES,
    SINK_WEAKNESSES,
    AccessTest,
    Principal,
    SinkTest,
    Test,
    Weakness,
)
from firstpatch.agent.inputs import parse_request
from firstpatch.agent.interface import ToolCall, ToolResult, ToolSpec
from firstpatch.agent.redact import Redactor
from firstpatch.agent.workspace import Refused, Workspace
from firstpatch.model import Finding

_TEXT_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_REQUEST = {
    "type": "object",
    "properties": {
        "method": {"type": "string", "description": "GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS"},
        "path": {"type": "string", "description": "URL path starting with '/', without the query"},
        "query": _TEXT_MAP,
        "headers": _TEXT_MAP,
        "form": _TEXT_MAP,
        "json": {"description": "a JSON body"},
        "body": {"type": "string", "description": "a raw text body"},
        "content_type": {"type": "string"},
        "files": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "filename": {"type": "string"},
                    "content": {"type": "string"},
                    "content_type": {"type": "string"},
                },
                "required": ["field", "filename", "content"],
                "additionalProperties": False,
            },
        },
        "as": {"type": "string", "description": "setup requests only: 'owner' or 'other'"},
    },
    "required": ["path"],
    "additionalProperties": False,
}
_PRINCIPAL = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "headers": _TEXT_MAP, "query": _TEXT_MAP},
    "additionalProperties": False,
}
_ENTRY = {"type": "string", "description": "the handler's qualified name, as list_entry_points gives it"}
_CLAIM = {"type": "string", "description": "what you believe is wrong, in one or two sentences"}

SPECS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec(
            "read_file",
            "Read a text file of the target, with line numbers. Paths are relative to the target root.",
            {
                "type": "object",
                "properties": {
                    "path": {"type": "string"},
                    "first_line": {"type": "integer", "minimum": 1},
                    "last_line": {"type": "integer", "minimum": 1},
                },
                "required": ["path"],
                "additionalProperties": False,
            },
        ),
        ToolSpec(
            "find_definition",
            "Source of a function or class of the target, by qualified or short name, across files.",
            {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
                "additionalProperties": False,
            },
        ),
        ToolSpec(
            "list_entry_points",
            "Every HTTP route of the target: handler, URL rule, methods, file and line.",
            {"type": "object", "properties": {}, "additionalProperties": False},
        ),
        ToolSpec(
            "static_findings",
            "The taint analysis's findings (source-to-sink traces) and what the sandbox proof made of each.",
            {"type": "object", "properties": {}, "additionalProperties": False},
        ),
        ToolSpec(
            "test_injection",
            "Run requests in the sandbox to prove that input reaches a sink. Put {canary} in the one "
            "value that should reach the sink; the prove oracle of `cwe` judges. For query languages "
            "(SQL, XPath, LDAP) put {canary} where the payload starts and again where it ends: a "
            "breakout shows as the two landing outside one literal. {secret:N} sends a redacted secret.",
            {
                "type": "object",
                "properties": {
                    "entry_point": _ENTRY,
                    "weakness": {"enum": sorted(w.value for w in SINK_WEAKNESSES)},
                    "cwe": {"type": "integer"},
                    "claim": _CLAIM,
                    "requests": {"type": "array", "items": _REQUEST, "minItems": 1, "maxItems": 8},
                },
                "required": ["entry_point", "cwe", "claim", "requests"],
                "additionalProperties": False,
            },
        ),
        ToolSpec(
            "test_access",
            "Prove an access-control flaw in the sandbox. Setup requests plant {canary} as the owner; "
            "the control request must show it to the owner but not to the other principal; the probe "
            "request is where the other principal gets it anyway. Credentials go in the principals.",
            {
                "type": "object",
                "properties": {
                    "entry_point": _ENTRY,
                    "weakness": {"enum": sorted(w.value for w in ACCESS_WEAKNESSES)},
                    "claim": _CLAIM,
                    "owner": _PRINCIPAL,
                    "other": _PRINCIPAL,
                    "setup": {"type": "array", "items": _REQUEST, "minItems": 1, "maxItems": 6},
                    "control": _REQUEST,
                    "probe": _REQUEST,
                },
                "required": [
                    "entry_point",
                    "weakness",
                    "claim",
                    "owner",
                    "other",
                    "setup",
                    "control",
                    "probe",
                ],
                "additionalProperties": False,
            },
        ),
        ToolSpec(
            "propose_patch",
            "Propose a fix for the finding of this task as exact text edits; firstpatch verifies it "
            "(the proof re-run on a patched copy, a rescan, the target's tests) and tells you the result.",
            {
                "type": "object",
                "properties": {
                    "description": {"type": "string"},
                    "edits": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 12,
                        "items": {
                            "type": "object",
                            "properties": {
                                "path": {"type": "string"},
                                "find": {"type": "string", "description": "text that occurs exactly once"},
                                "replace": {"type": "string"},
                            },
                            "required": ["path", "find", "replace"],
                            "additionalProperties": False,
                        },
                    },
                },
                "required": ["description", "edits"],
                "additionalProperties": False,
            },
        ),
    )
}
ACCESS_CWES = {Weakness.IDOR: 639, Weakness.MISSING_AUTHORIZATION: 862, Weakness.AUTHENTICATION_BYPASS: 287}
EXPLORE = ("read_file", "find_definition", "list_entry_points", "static_findings")
HUNT_TOOLS = (*EXPLORE, "test_injection", "test_access")
PATCH_TOOLS = (*EXPLORE, "propose_patch")


@dataclass(frozen=True, slots=True)
class TestRequest:
    """A test the model asked for, parsed and checked, for the hunter to run and record."""

    entry_point: str
    weakness: Weakness
    cwe: int
    claim: str
    test: Test


@dataclass
class Toolbox:
    workspace: Workspace
    redactor: Redactor
    findings: Sequence[Finding]
    nonce: str
    offered: tuple[str, ...]
    run_test: Callable[[TestRequest], str] | None = None
    propose_patch: Callable[[str, list[dict[str, str]]], str] | None = None

    def specs(self) -> tuple[ToolSpec, ...]:
        return tuple(SPECS[name] for name in self.offered)

    def call(self, call: ToolCall) -> ToolResult:
        if call.name not in self.offered:
            offered = ", ".join(self.offered)
            return ToolResult(
                call.id, f"there is no tool {call.name!r} in this task; the tools are: {offered}", True
            )
        if call.arguments is None:
            return ToolResult(
                call.id, f"the arguments are not a JSON object: {call.raw_arguments[:200]!r}", True
            )
        try:
            jsonschema.validate(call.arguments, SPECS[call.name].schema)
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "arguments"
            return ToolResult(call.id, f"invalid arguments at {where}: {exc.message}", True)
        try:
            return ToolResult(call.id, self._dispatch(call.name, call.arguments))
        except Refused as exc:
            return ToolResult(call.id, self.redactor.redact(f"refused: {exc}"), True)

    def _dispatch(self, name: str, arguments: dict[str, Any]) -> str:
        workspace = self.workspace
        if name == "read_file":
            path = arguments["path"]
            text = workspace.read_file(path, arguments.get("first_line", 1), arguments.get("last_line"))
            return self.untrusted(text, path)
        if name == "find_definition":
            return self.untrusted(workspace.definition(arguments["name"]), arguments["name"])
        if name == "list_entry_points":
            lines = [
                f"{r.function}  {','.join(r.methods)} {r.rule}  ({r.path}:{r.line})" for r in workspace.routes
            ]
            return self.untrusted("\n".join(lines) or "no routes found", "routes")
        if name == "static_findings":
            return self.untrusted(
                json.dumps([finding_summary(f) for f in self.findings], indent=1), "analysis"
            )
        if name in ("test_injection", "test_access"):
            if self.run_test is None:
                raise Refused("this task does not run tests")
            return self.run_test(self._test_request(name, arguments))
        if name == "propose_patch":
            if self.propose_patch is None:
                raise Refused("this task does not take patches")
            return self.propose_patch(arguments["description"], arguments["edits"])
        raise Refused(f"no tool {name!r}")  # pragma: no cover - `offered` only names known tools

    def untrusted(self, text: str, source: str) -> str:
        tag = f"untrusted-data-{self.nonce}"
        body = self.redactor.redact(text).replace(tag, "untrusted-data-[removed]")
        label = source.replace('"', "'")[:200]
        return f'<{tag} source="{label}">\n{body}\n</{tag}>'

    def _test_request(self, name: str, arguments: dict[str, Any]) -> TestRequest:
        entry = arguments["entry_point"]
        if self.workspace.route_of(entry) is None:
            raise Refused(f"{entry!r} is not an entry point of the target (see list_entry_points)")
        claim = str(arguments["claim"])[:2000]
        if name == "test_injection":
            weakness = Weakness(arguments.get("weakness", Weakness.INJECTION.value))
            cwe = int(arguments["cwe"])
            requests = tuple(
                parse_request(value, f"requests[{n}]") for n, value in enumerate(arguments["requests"])
            )
            return TestRequest(entry, weakness, cwe, claim, SinkTest(cwe, requests))
        weakness = Weakness(arguments["weakness"])
        owner = _principal(arguments["owner"], "owner")
        other = _principal(arguments["other"], "other")
        setup = tuple(parse_request(value, f"setup[{n}]") for n, value in enumerate(arguments["setup"]))
        for n, spec in enumerate(setup):
            if spec.principal not in ("", "owner", "other", owner.name, other.name):
                raise Refused(f"setup[{n}]: 'as' must name the owner or the other principal")
        control, probe = (
            parse_request(arguments["control"], "control"),
            parse_request(arguments["probe"], "probe"),
        )
        if control.principal or probe.principal:
            raise Refused("control and probe take their principals from the test, not from 'as'")
        test = AccessTest(owner, other, setup, control, probe)
        return TestRequest(entry, weakness, ACCESS_CWES.get(weakness, 840), claim, test)


def _principal(value: dict[str, Any], default: str) -> Principal:
    headers = tuple((str(k), str(v)) for k, v in (value.get("headers") or {}).items())
    query = tuple((str(k), str(v)) for k, v in (value.get("query") or {}).items())
    return Principal(str(value.get("name") or default), headers, query)


def finding_summary(finding: Finding) -> dict[str, Any]:
    entry = finding.entry_point
    evidence = finding.evidence
    return {
        "rule": finding.rule_id,
        "cwe": finding.cwe,
        "at": f"{finding.location.path}:{finding.location.line}",
        "sink": finding.location.snippet,
        "message": finding.message,
        "entry_point": entry.function if entry else None,
        "route": entry.route if entry else None,
        "trace": [
            f"{s.kind.value} {s.location.path}:{s.location.line} {s.description}" for s in finding.trace
        ],
        "proof": evidence.status.value if evidence else "not run",
        "proof_reason": evidence.reason[:400] if evidence else "",
    }
