"""Simple statements: expressions, assignments, imports, `del`, `raise`, `type` aliases and the rest."""

from __future__ import annotations

import ast

from tree_sitter import Node

from firstpatch.analysis.treesitter_ast.base import (
    DEL,
    LOAD,
    STORE,
    Unsupported,
    located,
    set_context,
    spanning,
)
from firstpatch.analysis.treesitter_ast.expressions import BINARY_OPERATORS
from firstpatch.analysis.treesitter_ast.patterns import Patterns

# Hosts before 3.12 have no type parameters or `type` statements: the parameters are dropped and
# `type X = v` becomes `X = v`.
TYPE_PARAMS = hasattr(ast, "TypeVar")
# Node classes newer than the 3.11 that mypy checks against, looked up at run time.
_NEWER = {
    name: getattr(ast, name) for name in ("TypeAlias", "TypeVar", "TypeVarTuple", "ParamSpec") if TYPE_PARAMS
}
_AUGMENTED = {f"{symbol}=": operator for symbol, operator in BINARY_OPERATORS.items()}


class SimpleStatements(Patterns):
    def _field(self, node: Node, name: str) -> Node:
        child = node.child_by_field_name(name)
        if child is None:
            raise Unsupported(node, f"{node.type} without {name}")
        return child

    def _names(self, node: Node) -> list[str]:
        return [self.identifier(child) for child in self.named(node)]

    # -- simple statements ------------------------------------------------------------------------

    def _expression_statement(self, node: Node) -> ast.stmt:
        children = self.named(node)
        if len(children) == 1 and not self.has_token(node, ","):
            child = children[0]
            if child.type == "assignment":
                return self._assignment(child, node)
            if child.type == "augmented_assignment":
                return self._augmented(child, node)
            return located(ast.Expr(value=self.expr(child)), node)
        elements = ast.Tuple(elts=[self.expr(child) for child in children], ctx=ast.Load())
        return located(ast.Expr(value=located(elements, node)), node)

    def _assignment(self, node: Node, statement: Node) -> ast.stmt:
        left = self._field(node, "left")
        annotation = node.child_by_field_name("type")
        right = node.child_by_field_name("right")
        if annotation is not None:
            if left.type in ("pattern_list", "list_pattern", "list_splat_pattern") or (
                left.type == "tuple_pattern" and (len(self.named(left)) != 1 or self.has_token(left, ","))
            ):
                raise Unsupported(left, "only single target (not tuple) can be annotated")
            value = self._right_hand_side(right) if right is not None else None
            target = self.store(left)
            if not isinstance(target, ast.Name | ast.Attribute | ast.Subscript):
                raise Unsupported(left, "illegal target for annotation")
            assign = ast.AnnAssign(
                target=target,
                annotation=self.expr(annotation),
                value=value,
                simple=int(left.type == "identifier"),
            )
            return located(assign, statement)
        targets = [self.store(left)]
        while right is not None and right.type == "assignment":
            if right.child_by_field_name("type") is not None:
                raise Unsupported(right, "invalid syntax")
            targets.append(self.store(self._field(right, "left")))
            right = right.child_by_field_name("right")
        if right is None:
            raise Unsupported(node, "assignment without a value")
        assign_ = ast.Assign(targets=targets, value=self._right_hand_side(right), type_comment=None)
        return located(assign_, statement)

    def _right_hand_side(self, node: Node) -> ast.expr:
        if node.type in ("assignment", "augmented_assignment"):
            raise Unsupported(node, "invalid syntax")
        return self.expr(node)

    def _augmented(self, node: Node, statement: Node) -> ast.stmt:
        left = self._field(node, "left")
        operator = self._field(node, "operator")
        target = self.store(left)
        if not isinstance(target, ast.Name | ast.Attribute | ast.Subscript):
            raise Unsupported(left, "illegal expression for augmented assignment")
        value = self._right_hand_side(self._field(node, "right"))
        return located(ast.AugAssign(target=target, op=_AUGMENTED[operator.type], value=value), statement)

    def _return(self, node: Node) -> ast.stmt:
        values = self.named(node)
        return located(ast.Return(value=self.expr(values[0]) if values else None), node)

    def _delete(self, node: Node) -> ast.stmt:
        (operand,) = self.named(node)
        items = self.named(operand) if operand.type == "expression_list" else [operand]
        targets = [set_context(self.expr(item), DEL, item) for item in items]
        return located(ast.Delete(targets=targets), node)

    def _raise(self, node: Node) -> ast.stmt:
        cause = node.child_by_field_name("cause")
        values = [child for child in self.named(node) if child != cause]
        if len(values) > 1 or (values and values[0].type == "expression_list"):
            raise Unsupported(node, "invalid syntax")
        exception = self.expr(values[0]) if values else None
        return located(ast.Raise(exc=exception, cause=self.expr(cause) if cause is not None else None), node)

    def _assert(self, node: Node) -> ast.stmt:
        values = self.named(node)
        if len(values) > 2:
            raise Unsupported(node, "invalid syntax")
        message = self.expr(values[1]) if len(values) == 2 else None
        return located(ast.Assert(test=self.expr(values[0]), msg=message), node)

    def _dotted(self, node: Node) -> str:
        return ".".join(self.identifier(child) for child in self.named(node))

    def _aliases(self, names: list[Node]) -> list[ast.alias]:
        aliases: list[ast.alias] = []
        for name in names:
            if name.type == "aliased_import":
                alias = ast.alias(
                    name=self._dotted(self._field(name, "name")),
                    asname=self.identifier(self._field(name, "alias")),
                )
            else:
                alias = ast.alias(name=self._dotted(name), asname=None)
            aliases.append(located(alias, name))
        return aliases

    def _import(self, node: Node) -> ast.stmt:
        return located(ast.Import(names=self._aliases(node.children_by_field_name("name"))), node)

    def _import_from(self, node: Node) -> ast.stmt:
        level = 0
        module: str | None = "__future__"
        if node.type == "import_from_statement":
            source = self._field(node, "module_name")
            if source.type == "relative_import":
                prefix, *rest = self.named(source)
                level = self.text(prefix).count(".")
                module = self._dotted(rest[0]) if rest else None
            else:
                module = self._dotted(source)
            wildcard = next((child for child in node.children if child.type == "wildcard_import"), None)
            if wildcard is not None:
                star = located(ast.alias(name="*", asname=None), wildcard)
                return located(ast.ImportFrom(module=module, names=[star], level=level), node)
            names = node.children_by_field_name("name")
        else:
            names = [child for child in self.named(node) if child.type in ("dotted_name", "aliased_import")]
        return located(ast.ImportFrom(module=module, names=self._aliases(names), level=level), node)

    def _type_alias(self, node: Node) -> ast.stmt:
        left = self.named(self._field(node, "left"))[0]
        parameters: Node | None = None
        if left.type == "generic_type":
            left, parameters = self.named(left)
        if left.type in ("attribute", "subscript", "call"):
            return self._type_call_assignment(node, left)
        if left.type != "identifier":
            raise Unsupported(left, "invalid type alias name")
        name = located(ast.Name(id=self.identifier(left), ctx=STORE), left)
        value = self.expr(self._field(node, "right"))
        if TYPE_PARAMS:
            alias: ast.stmt = _NEWER["TypeAlias"](
                name=name, type_params=self._type_params(parameters), value=value
            )
            return located(alias, node)
        return located(ast.Assign(targets=[name], value=value, type_comment=None), node)

    def _type_call_assignment(self, node: Node, left: Node) -> ast.stmt:
        """`type(x).attr = v`, which tree-sitter reads as a `type` statement with target `(x).attr`."""
        keyword = node.children[0]

        def type_call(arguments: Node) -> ast.expr:
            if arguments.type not in ("parenthesized_expression", "tuple"):
                raise Unsupported(node, "invalid type alias name")
            function = located(ast.Name(id="type", ctx=LOAD), keyword)
            call = ast.Call(func=function, args=[self.expr(a) for a in self.named(arguments)], keywords=[])
            return spanning(call, keyword, arguments)

        target = set_context(self.chain(left, type_call, keyword), STORE, left)
        value = self.expr(self._field(node, "right"))
        return located(ast.Assign(targets=[target], value=value, type_comment=None), node)

    def _print(self, node: Node) -> ast.stmt:
        """`print >> f, x` is a tuple expression in Python 3; `print x` is an error."""
        parts = self.parts(node)
        if len(parts) < 2 or parts[1].type != "chevron":
            raise Unsupported(node, "Missing parentheses in call to 'print'")
        chevron = parts[1]
        name = located(ast.Name(id="print", ctx=LOAD), parts[0])
        shifted = ast.BinOp(left=name, op=BINARY_OPERATORS[">>"], right=self.expr(self.named(chevron)[0]))
        spanning(shifted, parts[0], chevron)
        arguments = node.children_by_field_name("argument")
        if not arguments and not self.has_token(node, ","):
            return located(ast.Expr(value=shifted), node)
        elements = ast.Tuple(elts=[shifted, *(self.expr(a) for a in arguments)], ctx=LOAD)
        return located(ast.Expr(value=located(elements, node)), node)

    def _type_params(self, node: Node | None) -> list[ast.AST]:
        """PEP 695 type parameters, for hosts that have them (3.12+); others get none."""
        if node is None or not TYPE_PARAMS:
            return []
        parameters: list[ast.AST] = []
        for child in self.named(node):
            inner = self.named(child)[0] if child.type == "type" else child
            kind = inner.type
            if kind == "identifier":
                parameters.append(located(_NEWER["TypeVar"](name=self.identifier(inner), bound=None), inner))
            elif kind == "constrained_type":
                name, bound = self.named(inner)
                parameters.append(
                    located(
                        _NEWER["TypeVar"](name=self.identifier(self.named(name)[0]), bound=self.expr(bound)),
                        inner,
                    )
                )
            elif kind == "splat_type":
                star, name_node = self.parts(inner)
                name_ = self.identifier(name_node)
                param = _NEWER["TypeVarTuple" if star.type == "*" else "ParamSpec"](name=name_)
                parameters.append(located(param, inner))
            else:
                raise Unsupported(inner, "invalid type parameter")
        return parameters
