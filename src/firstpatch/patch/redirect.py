"""CWE-601: a redirect to a URL from the request → only to this site.

* Django: `django.utils.http.url_has_allowed_host_and_scheme(url, allowed_hosts=...)`, the
  check Django's own login view makes, with the request's host allowed when the view has a
  `request`; anything else raises `DisallowedRedirect` (a 400).
* Flask and the other frameworks: the target, split with `urllib.parse.urlsplit`, must have
  no scheme and no host (a path, absolute or relative, as before), and must not start with
  `//` (browsers read `///host` as a host too) nor hold a backslash (read as `/`) — else the
  framework's 400 (`abort(400)`, `HTTPException(status_code=400)`, `web.HTTPBadRequest()`,
  `HTTPError(400)`). urlsplit drops the tabs and newlines browsers drop, so `/\t/host` is
  seen as the host it becomes.

The check goes right before the statement that redirects; a target that is not a plain
variable is first kept in one, so that it is computed once.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import parse_template_statement

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, argument, finish
from firstpatch.patch._edit import Editor
from firstpatch.patch._refuse import bound, framework_of, guard, refusal
from firstpatch.patch._source import SourceFile
from firstpatch.patch.interface import Fix, Reader

_TARGET_KEYWORDS = ("location", "to", "redirect_to", "url")
_WHY = "redirect target outside this site"


class RedirectFixer(CodemodFixer):
    cwes = frozenset({601})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        call = source.call_at(finding.location)
        target = argument(call, 0, *_TARGET_KEYWORDS) if call is not None else None
        if call is None or target is None or target.star:
            return None
        anchor = source.statement_of(call)
        if anchor is None:
            return None
        editor = Editor(source)
        framework = framework_of(editor, finding)
        refuse = refusal(editor, call, framework, _WHY)
        if refuse is None:
            return None
        name, before = bound(editor, target.value, anchor, "target")
        if framework == "django":
            check = editor.ref("django.utils.http", "url_has_allowed_host_and_scheme", call, prefer_from=True)
            if check is None:
                return None
            request = _request_parameter(source, call)
            hosts: cst.BaseExpression = cst.Name("None")
            if request is not None:  # {request.get_host()}: the host this request came to
                get_host = cst.Call(cst.Attribute(request, cst.Name("get_host")))
                hosts = cst.Set([cst.Element(get_host)])
            condition = "not {check}({name}, allowed_hosts={hosts})"
            nodes: dict[str, cst.BaseExpression] = {"check": check, "name": name, "hosts": hosts}
            description = "Redirect only to this site's host, checked with url_has_allowed_host_and_scheme"
        else:
            urlsplit = editor.ref("urllib.parse", "urlsplit", call, prefer_from=True)
            if urlsplit is None:
                return None
            parts = cst.Name(source.fresh_name("parts", call))
            config = source.module.config_for_parsing
            before.append(
                parse_template_statement(
                    "{parts} = {urlsplit}({name})\n", config, parts=parts, urlsplit=urlsplit, name=name
                )
            )
            condition = (
                '{parts}.scheme != "" or {parts}.netloc != "" or {name}.startswith("//") or "\\\\" in {name}'
            )
            nodes = {"name": name, "parts": parts}
            description = "Redirect only within this site (no scheme, no host), and answer 400 otherwise"
        editor.insert_before(anchor, *before, guard(editor, condition, refuse, **nodes))
        return finish(description, editor)


def _request_parameter(source: SourceFile, node: cst.CSTNode) -> cst.Name | None:
    function = source.function_of(node)
    if function is None:
        return None
    for param in function.params.params:
        if param.name.value == "request":
            return cst.Name("request")
    return None
