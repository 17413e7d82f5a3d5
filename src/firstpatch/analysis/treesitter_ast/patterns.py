"""`match` statement patterns.

tree-sitter inlines most simple patterns (`-1` is two children, `_` a bare token), so a pattern is
converted from a run of sibling nodes rather than from a single node.
"""

from __future__ import annotations

import ast

from tree_sitter import Node

from firstpatch.analysis.treesitter_ast.base import LOAD, Unsupported, located, spanning
from firstpatch.analysis.treesitter_ast.expressions import Expressions, number

_SINGLETONS = {"none": None, "true": True, "false": False}
_USUB = ast.USub()
_ADD = ast.Add()
_SUB = ast.Sub()


class Patterns(Expressions):
    def pattern(self, node: Node) -> ast.pattern:
        """A `case_pattern` or any node that stands alone as a pattern."""
        if node.type == "case_pattern":
            return self._pattern_run(self.parts(node), node)
        return self._pattern_run([node], node)

    def case_patterns(self, clause: Node, patterns: list[Node]) -> ast.pattern:
        """The patterns of a `case` clause: `case a, b:` is an open sequence pattern."""
        if len(patterns) == 1 and not self.has_token(clause, ","):
            return self.pattern(patterns[0])
        last_comma = [c for c in clause.children if c.type == ","]
        last = patterns[-1]
        if last_comma and last_comma[-1].start_byte > last.start_byte:
            last = last_comma[-1]
        sequence = ast.MatchSequence(patterns=[self.pattern(p) for p in patterns])
        return spanning(sequence, patterns[0], last)

    def _pattern_run(self, parts: list[Node], extent: Node) -> ast.pattern:
        first = parts[0]
        kind = first.type
        if len(parts) == 1:
            if kind == "case_pattern":
                return self.pattern(first)
            if kind == "_":
                return located(ast.MatchAs(pattern=None, name=None), first)
            if kind == "dotted_name" and len(self.named(first)) == 1:
                return located(ast.MatchAs(pattern=None, name=self.identifier(self.named(first)[0])), first)
            if kind in _SINGLETONS:
                return located(ast.MatchSingleton(value=_SINGLETONS[kind]), first)
            handler = {
                "as_pattern": self._as_pattern,
                "union_pattern": self._union_pattern,
                "list_pattern": self._sequence_pattern,
                "tuple_pattern": self._sequence_pattern,
                "dict_pattern": self._mapping_pattern,
                "class_pattern": self._class_pattern,
                "splat_pattern": self._star_pattern,
            }.get(kind)
            if handler is not None:
                return handler(first)
        value = self._value(parts)
        return spanning(ast.MatchValue(value=value), parts[0], parts[-1])

    def _value(self, parts: list[Node]) -> ast.expr:
        """A literal or dotted-name value, as used by value patterns and mapping keys."""
        first = parts[0]
        kind = first.type
        if len(parts) == 2 and kind == "-" and parts[1].type in ("integer", "float"):
            operand = self.expr(parts[1])
            return spanning(ast.UnaryOp(op=_USUB, operand=operand), first, parts[1])
        if len(parts) != 1:
            raise Unsupported(first, "invalid pattern")
        if kind in ("integer", "float", "none", "true", "false"):
            return self.expr(first)
        if kind in ("string", "concatenated_string"):
            value = self.string(first)
            if not isinstance(value, ast.Constant):
                raise Unsupported(first, "patterns may only match literals and attribute lookups")
            return value
        if kind == "complex_pattern":
            return self._complex(first)
        if kind == "dotted_name":
            names = self.named(first)
            result: ast.expr = self.expr(names[0])
            for name in names[1:]:
                attribute = ast.Attribute(value=result, attr=self.identifier(name), ctx=LOAD)
                result = spanning(attribute, names[0], name)
            return result
        raise Unsupported(first, f"invalid pattern {kind}")

    def _complex(self, node: Node) -> ast.expr:
        parts = self.parts(node)
        real: ast.expr
        if parts[0].type == "-":
            real = spanning(ast.UnaryOp(op=_USUB, operand=self.expr(parts[1])), parts[0], parts[1])
            parts = parts[2:]
        else:
            real = self.expr(parts[0])
            parts = parts[1:]
        operator, imaginary = parts
        value = number(self.text(imaginary).replace("_", ""), imaginary)
        if not isinstance(value, complex):
            raise Unsupported(imaginary, "imaginary number required in complex literal")
        right = self.expr(imaginary)
        return located(ast.BinOp(left=real, op=_ADD if operator.type == "+" else _SUB, right=right), node)

    def _as_pattern(self, node: Node) -> ast.pattern:
        parts = self.parts(node)
        if len(parts) != 3 or parts[1].type != "as" or parts[2].type != "identifier":
            raise Unsupported(node, "invalid pattern target")
        name = self.identifier(parts[2])
        if name == "_":
            raise Unsupported(parts[2], "cannot use '_' as a target")
        return located(ast.MatchAs(pattern=self.pattern(parts[0]), name=name), node)

    def _union_pattern(self, node: Node) -> ast.pattern:
        alternatives: list[ast.pattern] = []
        run: list[Node] = []
        for part in [*self.parts(node), None]:
            if part is None or part.type == "|":
                if not run:
                    raise Unsupported(node, "invalid pattern")
                alternative = self._pattern_run(run, node)
                # `a | b | c` is one MatchOr; tree-sitter may nest it.
                if isinstance(alternative, ast.MatchOr) and run[0].type == "union_pattern":
                    alternatives.extend(alternative.patterns)
                else:
                    alternatives.append(alternative)
                run = []
            else:
                run.append(part)
        return located(ast.MatchOr(patterns=alternatives), node)

    def _sequence_pattern(self, node: Node) -> ast.pattern:
        items = self.named(node)
        if node.type == "tuple_pattern" and len(items) == 1 and not self.has_token(node, ","):
            return self.pattern(items[0])  # a parenthesized pattern
        return located(ast.MatchSequence(patterns=[self.pattern(item) for item in items]), node)

    def _star_pattern(self, node: Node) -> ast.pattern:
        star, target = self.parts(node)
        if star.type != "*":
            raise Unsupported(node, "'**' is only allowed in mapping patterns")
        name = None if target.type == "_" else self.identifier(target)
        return located(ast.MatchStar(name=name), node)

    def _mapping_pattern(self, node: Node) -> ast.pattern:
        keys: list[ast.expr] = []
        patterns: list[ast.pattern] = []
        rest: str | None = None
        key_run: list[Node] = []
        for part in self.parts(node)[1:-1]:
            kind = part.type
            if kind == "splat_pattern":
                star, target = self.parts(part)
                if star.type != "**" or target.type != "identifier":
                    raise Unsupported(part, "invalid mapping pattern rest")
                rest = self.identifier(target)
            elif kind == ":":
                continue
            elif kind == ",":
                if key_run:
                    raise Unsupported(part, "invalid mapping pattern")
            elif kind == "case_pattern" and key_run:
                keys.append(self._value(key_run))
                patterns.append(self.pattern(part))
                key_run = []
            else:
                key_run.append(part)
        if key_run:
            raise Unsupported(node, "invalid mapping pattern")
        return located(ast.MatchMapping(keys=keys, patterns=patterns, rest=rest), node)

    def _class_pattern(self, node: Node) -> ast.pattern:
        parts = self.parts(node)
        cls = self._value([parts[0]])
        patterns: list[ast.pattern] = []
        names: list[str] = []
        keyword_patterns: list[ast.pattern] = []
        for part in parts[2:-1]:
            if part.type != "case_pattern":
                continue
            inner = self.parts(part)
            if inner and inner[0].type == "keyword_pattern":
                keyword = self.parts(inner[0])
                names.append(self.identifier(keyword[0]))
                keyword_patterns.append(self._pattern_run(keyword[2:], inner[0]))
            elif names:
                raise Unsupported(part, "positional patterns follow keyword patterns")
            else:
                patterns.append(self.pattern(part))
        pattern = ast.MatchClass(cls=cls, patterns=patterns, kwd_attrs=names, kwd_patterns=keyword_patterns)
        return located(pattern, node)
