"""The pattern rules' public API: registered rules, hits, findings and their fingerprints."""

from __future__ import annotations

import textwrap

import pytest

from firstpatch.analysis import patterns
from firstpatch.analysis.parsing import ParsedModule, parse_module
from firstpatch.analysis.patterns import PATTERN_RULES, PatternHit, check_module, pattern_findings
from firstpatch.analysis.patterns.registry import pattern_rule
from firstpatch.analysis.program import Module, module_name
from firstpatch.analysis.rules import RULES
from firstpatch.model import Confidence, FindingKind, Severity, StepKind


def module(source: str, path: str = "app.py") -> Module:
    parsed = parse_module(textwrap.dedent(source), path)
    assert isinstance(parsed, ParsedModule)
    name, is_package = module_name(path)
    return Module(name, path, parsed.tree, parsed.lines, is_package=is_package)


def test_public_names() -> None:
    assert sorted(patterns.__all__) == ["PATTERN_RULES", "PatternHit", "check_module", "pattern_findings"]


def test_rules_have_their_exact_cwes_and_a_documentation_page() -> None:
    assert {rule.id: rule.cwe for rule in PATTERN_RULES} == {
        "py/weak-hash": 328,
        "py/weak-random": 330,
        "py/insecure-cookie": 614,
        "py/cookie-without-httponly": 1004,
        "py/hardcoded-credentials": 798,
        "py/tls-verification-disabled": 295,
    }
    for rule in PATTERN_RULES:
        assert rule.title
        assert "Fix:" in rule.description, rule.id
        assert "\n\n" in rule.description  # paragraphs kept, lines joined
    assert not {r.id for r in PATTERN_RULES} & {r.id for r in RULES}


def test_a_rule_without_documentation_or_with_a_taken_id_is_refused() -> None:
    def undocumented(context: object) -> None: ...

    with pytest.raises(TypeError, match="no docstring"):
        pattern_rule("py/x", cwe=1, title="x", severity=Severity.LOW, confidence=Confidence.LOW)(
            undocumented  # type: ignore[arg-type]
        )

    def documented(context: object) -> None:
        """Documented."""

    with pytest.raises(ValueError, match="registered twice"):
        pattern_rule("py/weak-hash", cwe=328, title="x", severity=Severity.LOW, confidence=Confidence.LOW)(
            documented  # type: ignore[arg-type]
        )
    assert len(PATTERN_RULES) == 6


def test_hit_names_rule_place_and_reason() -> None:
    hits = list(
        check_module(
            module(
                """
                import requests

                def fetch(url):
                    return requests.get(url, verify=False)
                """
            )
        )
    )
    assert len(hits) == 1
    hit = hits[0]
    assert isinstance(hit, PatternHit)
    assert hit.rule.id == "py/tls-verification-disabled"
    assert (hit.location.path, hit.location.line, hit.location.column) == ("app.py", 5, 12)
    assert hit.location.snippet == "requests.get(url, verify=False)"
    assert hit.scope == "fetch"
    assert "verify=False" in hit.message


def test_imports_already_collected_are_used_as_they_are() -> None:
    loaded = module("import hashlib as h\n\ndef hash_password(p):\n    return h.md5(p).hexdigest()\n")
    loaded.imports["h"] = "hashlib"
    assert [hit.rule.id for hit in check_module(loaded)] == ["py/weak-hash"]


def test_findings_carry_the_rule_and_a_trace_for_flows() -> None:
    source = """
        import random

        def login(session):
            value = random.random()
            session["csrf"] = str(value)
        """
    (finding,) = pattern_findings([module(source)])
    assert finding.kind is FindingKind.CODE
    assert (finding.rule_id, finding.cwe, finding.severity) == ("py/weak-random", 330, Severity.MEDIUM)
    assert finding.location.line == 6
    assert [(step.kind, step.location.line) for step in finding.trace] == [
        (StepKind.SOURCE, 5),
        (StepKind.SINK, 6),
    ]


def test_fingerprints_survive_lines_added_above_and_tell_identical_code_apart() -> None:
    body = """
        import requests

        def a(url):
            requests.get(url, verify=False)
            requests.get(url, verify=False)

        def b(url):
            requests.get(url, verify=False)
        """
    before = [f.fingerprint for f in pattern_findings([module(body)])]
    after = [f.fingerprint for f in pattern_findings([module("# a comment\n\n" + textwrap.dedent(body))])]
    assert before == after
    assert len(set(before)) == 3


def test_credential_snippets_do_not_repeat_the_secret() -> None:
    source = 'DB_PASSWORD = "Tr0ub4dor&3-horse"\nAWS_KEY = "AKIAZ7Q3WTXR4N5LMPVB"\n'
    findings = pattern_findings([module(source, "config.py")])
    assert [f.location.snippet for f in findings] == [
        'DB_PASSWORD = "Tr…(redacted)"',
        'AWS_KEY = "AK…(redacted)"',
    ]
    assert all("Tr0ub4dor" not in f.message and "Z7Q3" not in f.message for f in findings)


def test_credentials_in_test_code_are_not_reported() -> None:
    source = 'PASSWORD = "Tr0ub4dor&3-horse"\n'
    assert pattern_findings([module(source, "config.py")])
    for path in ("tests/config.py", "pkg/test/config.py", "test_config.py", "config_test.py", "conftest.py"):
        assert not pattern_findings([module(source, path)]), path
