"""The registered rules of the taint analysis: a stable id, a CWE, a severity, a confidence.

Each rule's description is its documentation page (`firstpatch rules` prints it).
"""

from __future__ import annotations

from firstpatch.analysis.interface import Rule
from firstpatch.model import Confidence, RuleId, Severity


def _rule(rule_id: str, cwe: int, title: str, severity: Severity, description: str) -> Rule:
    return Rule(RuleId(rule_id), cwe, title, severity, Confidence.HIGH, " ".join(description.split()))


RULES: tuple[Rule, ...] = (
    _rule(
        "py/command-injection",
        78,
        "Command built from untrusted input",
        Severity.CRITICAL,
        """Untrusted input reaches a command that a shell interprets (os.system, os.popen,
        subprocess with shell=True) or chooses the program that runs. An attacker appends
        `; another-command` and runs it with the application's rights. Fix: pass an argument
        list without a shell, or quote each value with shlex.quote.""",
    ),
    _rule(
        "py/sql-injection",
        89,
        "SQL statement built from untrusted input",
        Severity.HIGH,
        """Untrusted input is pasted into the text of an SQL statement passed to a DB-API
        execute call. A quote in the input ends the literal and the rest runs as SQL. Fix: keep
        the statement constant and pass the values as bound parameters.""",
    ),
    _rule(
        "py/path-injection",
        22,
        "File path built from untrusted input",
        Severity.HIGH,
        """Untrusted input names a file that is opened, sent or removed without checking that it
        stays under the intended folder; `../` or an absolute path reaches any file the
        application can read. Fix: resolve the path and check containment (safe_join,
        send_from_directory), or reduce the name with secure_filename.""",
    ),
    _rule(
        "py/code-injection",
        94,
        "Code evaluated from untrusted input",
        Severity.CRITICAL,
        """Untrusted input reaches eval, exec or a dynamic import and runs as Python code. Fix:
        parse data with ast.literal_eval or json, or dispatch through an allow-list.""",
    ),
    _rule(
        "py/unsafe-deserialization",
        502,
        "Untrusted data deserialised",
        Severity.CRITICAL,
        """Untrusted bytes reach a deserialiser that can construct arbitrary objects (pickle,
        marshal, shelve, yaml.load with an unsafe loader); loading them runs the attacker's
        code. Fix: use json or yaml.safe_load.""",
    ),
    _rule(
        "py/reflected-xss",
        79,
        "HTML response built from untrusted input",
        Severity.MEDIUM,
        """Untrusted input is put into an HTML response without escaping; a `<script>` in it runs
        in the victim's browser with the site's origin. Fix: escape each value
        (markupsafe.escape) or render a template with autoescaping.""",
    ),
)

RULES = (
    *RULES,
    _rule(
        "py/xpath-injection",
        643,
        "XPath expression built from untrusted input",
        Severity.HIGH,
        """Untrusted input is pasted into an XPath expression; a quote in it changes which nodes
        the query selects. Fix: pass the value as an XPath variable (lxml's `xpath(expr, v=value)`)
        or reject anything but the expected characters.""",
    ),
    _rule(
        "py/ldap-injection",
        90,
        "LDAP filter built from untrusted input",
        Severity.HIGH,
        """Untrusted input is pasted into an LDAP search filter; `*` and parentheses in it widen
        the search or bypass an authentication check. Fix: escape it with
        ldap3.utils.conv.escape_filter_chars.""",
    ),
    _rule(
        "py/xxe",
        611,
        "XML parsed with external entities enabled",
        Severity.HIGH,
        """Untrusted XML is parsed by a parser that resolves external entities; the document can
        read local files or reach internal hosts. Fix: parse with defusedxml, or keep external
        entities off (lxml `resolve_entities=False`, no `feature_external_ges`).""",
    ),
    _rule(
        "py/url-redirection",
        601,
        "Redirect to a URL from untrusted input",
        Severity.MEDIUM,
        """A redirect's target comes from the request, so a link on the site can send users to
        an attacker's page. Fix: redirect only to relative paths or to hosts on an allow-list.""",
    ),
    _rule(
        "py/ssrf",
        918,
        "Server-side request to a URL from untrusted input",
        Severity.HIGH,
        """The server fetches a URL chosen by the request and can be made to reach internal
        services or cloud metadata. Fix: check the scheme and host against an allow-list.""",
    ),
    _rule(
        "py/template-injection",
        1336,
        "Template compiled from untrusted input",
        Severity.CRITICAL,
        """Untrusted text is compiled as a template (render_template_string, jinja2.Template);
        template expressions in it run on the server. Fix: use a fixed template and pass the
        text as a variable.""",
    ),
    _rule(
        "py/log-injection",
        117,
        "Log entry built from untrusted input",
        Severity.LOW,
        """Untrusted input is written to a log unescaped; line breaks in it forge log entries.
        Fix: log it as an argument (`logger.info("%s", value)`) with newlines removed.""",
    ),
    _rule(
        "py/trust-boundary-violation",
        501,
        "Untrusted data stored in the session",
        Severity.MEDIUM,
        """Request data is stored in the session, where later code trusts it as if the server
        had put it there. Fix: validate the value before storing it.""",
    ),
)

RULES_BY_CWE: dict[int, Rule] = {rule.cwe: rule for rule in RULES}
