"""CWE-611: XML parsed by a parser that resolves external entities → a parser with them off.

The finding's parser is the one the program set up to resolve entities, so the fix goes where
it was set up, in the same function: `parser.setFeature(feature_external_ges, True)` (or
`_pes`) → `False`, and lxml's `XMLParser(resolve_entities=True, no_network=False)` →
`resolve_entities=False, no_network=True`. Where the parser comes from elsewhere, the standard
library's parse function is replaced by defusedxml's (`defusedxml.minidom.parseString`, ...),
which refuses entities and DTDs whatever the parser says, and the parser argument goes.
"""

from __future__ import annotations

import libcst as cst

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, argument, callee, finish, keyword, set_keyword
from firstpatch.patch._edit import Editor
from firstpatch.patch._source import SourceFile
from firstpatch.patch.interface import Fix, Reader

_FEATURES = frozenset(
    {f"xml.sax.handler.feature_external_{kind}" for kind in ("ges", "pes")}
    | {f"xml.sax.feature_external_{kind}" for kind in ("ges", "pes")}
)
_XML_PARSERS = frozenset({"lxml.etree.XMLParser", "lxml.etree.XMLTreeBuilder"})
# Standard-library parse functions and their defusedxml counterparts.
_DEFUSED = (
    {f"xml.dom.minidom.{name}": f"defusedxml.minidom.{name}" for name in ("parse", "parseString")}
    | {f"xml.dom.pulldom.{name}": f"defusedxml.pulldom.{name}" for name in ("parse", "parseString")}
    | {f"xml.sax.{name}": f"defusedxml.sax.{name}" for name in ("parse", "parseString")}
    | {
        f"xml.etree.ElementTree.{name}": f"defusedxml.ElementTree.{name}"
        for name in ("parse", "fromstring", "XML", "iterparse")
    }
)
_DESCRIPTION = "Parse the XML with external entities off, so a document cannot read files or reach hosts"


class XxeFixer(CodemodFixer):
    cwes = frozenset({611})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        call = source.call_at(finding.location)
        if call is None:
            return None
        editor = Editor(source)
        parser = argument(call, 1, "parser", "handler")
        if parser is not None and isinstance(parser.value, cst.Name) and _turn_off(editor, parser.value):
            return finish(_DESCRIPTION, editor)
        old = next((name for name in sorted(source.qualified_names(call.func)) if name in _DEFUSED), None)
        if old is None:
            return None
        module, _, function = _DEFUSED[old].rpartition(".")
        ref = editor.ref(module, function, call)
        if ref is None:
            return None
        args = [arg for arg in call.args if arg is not parser]
        if parser is not None and args:
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        editor.replace(call, call.with_changes(func=ref, args=args))
        return finish("Parse the XML with defusedxml, which refuses external entities and DTDs", editor)


def _turn_off(editor: Editor, parser: cst.Name) -> bool:
    """Turn entity resolution off where `parser` is set up in this function."""
    source = editor.source
    assign = source.single_assignment(parser)
    changed = False
    if assign is not None and isinstance(assign.value, cst.Call):
        made = assign.value
        if source.qualified_names(made.func) & _XML_PARSERS:
            new = made
            for name, safe in (("resolve_entities", "False"), ("no_network", "True")):
                given = keyword(made, name)
                if name == "resolve_entities" or (given is not None):
                    new = set_keyword(new, name, cst.Name(safe))
            editor.replace(made, new)
            return True
    for read in source.reads(parser):
        attribute = source.parents.get(read)
        call = source.parents.get(attribute) if isinstance(attribute, cst.Attribute) else None
        if not (isinstance(call, cst.Call) and callee(call) == "setFeature" and len(call.args) == 2):
            continue
        feature, value = call.args
        if source.qualified_names(feature.value) & _FEATURES and _is_true(value.value):
            editor.replace(value.value, cst.Name("False"))
            changed = True
    return changed


def _is_true(node: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.Name) and node.value == "True") or (
        isinstance(node, cst.Integer) and node.value != "0"
    )
