"""Rules that need no data flow: weak hashes, weak randomness for secrets, cookie attributes,
hard-coded credentials and TLS verification turned off.

Each rule is a checker function in the module of its family, registered with its id, CWE,
severity and confidence; its docstring is its documentation page. What the rules know about
names lives in `vocabulary`, the def-use walk inside one function in `localflow`. `check_module`
runs the rules over one parsed module (test code is skipped); `pattern_findings` turns the hits
of many modules into findings.
"""

from firstpatch.analysis.interface import Rule
from firstpatch.analysis.patterns import cookies, credentials, hashing, randomness, tls
from firstpatch.analysis.patterns.findings import check_module, pattern_findings
from firstpatch.analysis.patterns.registry import REGISTRY, PatternHit

PATTERN_RULES: tuple[Rule, ...] = tuple(entry.rule for entry in REGISTRY)

__all__ = ["PATTERN_RULES", "PatternHit", "check_module", "pattern_findings"]

del cookies, credentials, hashing, randomness, tls  # imported for their registrations
