"""Expressions, call arguments, comprehensions and parameter lists.

Left-recursive chains (`a.b().c[d] + e + ...`) are walked in a loop rather than by recursion, so a
long method chain or a generated sum of hundreds of terms does not exhaust the Python stack.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from tree_sitter import Node

from firstpatch.analysis.treesitter_ast.base import LOAD, STORE, Unsupported, located, spanning
from firstpatch.analysis.treesitter_ast.strings import Strings

BINARY_OPERATORS: dict[str, ast.operator] = {
    "+": ast.Add(),
    "-": ast.Sub(),
    "*": ast.Mult(),
    "@": ast.MatMult(),
    "/": ast.Div(),
    "%": ast.Mod(),
    "//": ast.FloorDiv(),
    "**": ast.Pow(),
    "|": ast.BitOr(),
    "&": ast.BitAnd(),
    "^": ast.BitXor(),
    "<<": ast.LShift(),
    ">>": ast.RShift(),
}
_UNARY_OPERATORS: dict[str, ast.unaryop] = {"+": ast.UAdd(), "-": ast.USub(), "~": ast.Invert()}
_COMPARISONS: dict[str, ast.cmpop] = {
    "<": ast.Lt(),
    "<=": ast.LtE(),
    "==": ast.Eq(),
    "!=": ast.NotEq(),
    ">=": ast.GtE(),
    ">": ast.Gt(),
    "in": ast.In(),
    "not in": ast.NotIn(),
    "is": ast.Is(),
    "is not": ast.IsNot(),
}
_AND = ast.And()
_OR = ast.Or()
_NOT = ast.Not()
_BIT_OR = BINARY_OPERATORS["|"]
# Nodes whose first child is the operand they extend: converted bottom-up in a loop.
_CHAINS = frozenset({"attribute", "call", "subscript"})
# Python's binary operator precedence. tree-sitter-python ranks `^` above `&` (Python ranks it
# below), so operator trees are flattened and rebuilt with this table.
_PRECEDENCE = {
    "|": 1,
    "^": 2,
    "&": 3,
    "<<": 4,
    ">>": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "@": 6,
    "/": 6,
    "//": 6,
    "%": 6,
    "**": 7,
}
_Extent = tuple[int, int, int, int]
_COMPREHENSIONS = frozenset({"list_comprehension", "set_comprehension", "generator_expression"})


def number(text: str, node: Node) -> int | float | complex:
    try:
        if text[-1] in "jJ":
            return complex(0.0, float(text[:-1]))
        if any(c in text for c in ".eE") and not text.startswith(("0x", "0X")):
            return float(text)
        return int(text, 0)
    except ValueError:
        raise Unsupported(node, f"invalid number literal {text[:40]!r}") from None


def _extent(node: Node) -> _Extent:
    start_row, start_col = node.start_point
    end_row, end_col = node.end_point
    return start_row + 1, start_col, end_row + 1, end_col


def _ast_extent(node: ast.expr) -> _Extent:
    return node.lineno, node.col_offset, node.end_lineno or 0, node.end_col_offset or 0


def _reduce(output: list[tuple[ast.expr, _Extent]], symbol: str) -> None:
    right, right_extent = output.pop()
    left, left_extent = output.pop()
    new = ast.BinOp(left=left, op=BINARY_OPERATORS[symbol], right=right)
    new.lineno, new.col_offset = left_extent[0], left_extent[1]
    new.end_lineno, new.end_col_offset = right_extent[2], right_extent[3]
    output.append((new, (left_extent[0], left_extent[1], right_extent[2], right_extent[3])))


class Expressions(Strings):
    def __init__(self, source: bytes) -> None:
        super().__init__(source)
        self._expressions: dict[str, Callable[[Node], ast.expr]] = {
            "identifier": self._name,
            "integer": self._number,
            "float": self._number,
            "string": self.string,
            "concatenated_string": self.string,
            "true": lambda node: located(ast.Constant(value=True, kind=None), node),
            "false": lambda node: located(ast.Constant(value=False, kind=None), node),
            "none": lambda node: located(ast.Constant(value=None, kind=None), node),
            "ellipsis": lambda node: located(ast.Constant(value=..., kind=None), node),
            "attribute": self._chain,
            "call": self._chain,
            "subscript": self._chain,
            "binary_operator": self._binary,
            "unary_operator": self._unary,
            "not_operator": self._not,
            "boolean_operator": self._boolean,
            "comparison_operator": self._comparison,
            "conditional_expression": self._conditional,
            "named_expression": self._walrus,
            "lambda": self._lambda,
            "await": lambda node: located(ast.Await(value=self.expr(self.named(node)[0])), node),
            "parenthesized_expression": self._parenthesized,
            "tuple": self._tuple,
            "expression_list": self._tuple,
            "pattern_list": self._tuple,
            "tuple_pattern": self._tuple_pattern,
            "list": self._list,
            "list_pattern": self._list,
            "set": lambda node: located(ast.Set(elts=self._elements(node)), node),
            "dictionary": self._dictionary,
            "list_comprehension": self._comprehension,
            "set_comprehension": self._comprehension,
            "generator_expression": self._comprehension,
            "dictionary_comprehension": self._dict_comprehension,
            "list_splat": self._starred,
            "list_splat_pattern": self._starred,
            "yield": self._yield,
            "slice": self._slice,
            "type": lambda node: self.expr(self.named(node)[0]),
            "generic_type": self._generic_type,
            "union_type": self._union_type,
            "member_type": self._member_type,
            "splat_type": self._splat_type,
        }

    def expr(self, node: Node) -> ast.expr:
        handler = self._expressions.get(node.type)
        if handler is None:
            raise Unsupported(node, f"unexpected {node.type} in an expression")
        return handler(node)

    def _name(self, node: Node) -> ast.expr:
        return located(ast.Name(id=self.identifier(node), ctx=LOAD), node)

    def _number(self, node: Node) -> ast.expr:
        text = self.text(node).replace("_", "")
        return located(ast.Constant(value=number(text, node), kind=None), node)

    def _unary(self, node: Node) -> ast.expr:
        operator, operand = self.parts(node)
        return located(ast.UnaryOp(op=_UNARY_OPERATORS[operator.type], operand=self.expr(operand)), node)

    def _not(self, node: Node) -> ast.expr:
        return located(ast.UnaryOp(op=_NOT, operand=self.expr(self.named(node)[0])), node)

    # -- chains -------------------------------------------------------------------------------------

    def _chain(self, node: Node) -> ast.expr:
        return self.chain(node)

    def chain(
        self, node: Node, base: Callable[[Node], ast.expr] | None = None, start: Node | None = None
    ) -> ast.expr:
        """Convert attribute/call/subscript chains bottom-up.

        `base` converts the innermost operand instead of `expr`, and `start` then replaces the start
        of every link (used to repair statements tree-sitter misreads).
        """
        links: list[tuple[Node, list[Node]]] = []
        current = node
        while current.type in _CHAINS:
            parts = self.parts(current)
            links.append((current, parts))
            current = parts[0]
        splat: Node | None = None
        if base is not None:
            result = base(current)
        elif current.type == "list_splat" and links:
            # tree-sitter binds `*` tighter than `.`, calls and operators: `*a.b()` is *(a.b()).
            splat = current
            current = self.named(current)[0]
            start = current
            result = self.expr(current)
        else:
            result = self.expr(current)
        for link, parts in reversed(links):
            kind = link.type
            new: ast.expr
            if kind == "attribute":
                new = ast.Attribute(value=result, attr=self.identifier(parts[-1]), ctx=LOAD)
            elif kind == "call":
                new = self._call(result, parts[-1])
            else:
                new = ast.Subscript(value=result, slice=self._index(parts), ctx=LOAD)
            result = located(new, link) if start is None else spanning(new, start, link)
        if splat is not None:
            result = spanning(ast.Starred(value=result, ctx=LOAD), splat, node)
        return result

    def _binary(self, node: Node) -> ast.expr:
        operands: list[Node] = []
        operators: list[Node] = []
        pending = [node]
        while pending:  # in-order walk of the whole operator tree, parentheses being leaves
            current = pending.pop()
            if current.type == "binary_operator":
                left, operator, right = self.parts(current)
                pending.extend((right, operator, left))
            elif current.is_named:
                operands.append(current)
            else:
                operators.append(current)
        values: list[tuple[ast.expr, _Extent]] = [(self.expr(o), _extent(o)) for o in operands]
        starred: ast.Starred | None = None
        first = values[0][0]
        if isinstance(first, ast.Starred) and operands[0].type != "parenthesized_expression":
            # `*a + b` in a call or display is *(a + b); tree-sitter attaches the star to `a`.
            starred = first
            values[0] = (first.value, _ast_extent(first.value))
        if any(isinstance(value, ast.Starred) for value, _ in values[1:]):
            raise Unsupported(node, "cannot use starred expression here")
        output = [values[0]]
        stack: list[str] = []
        for operator, value in zip(operators, values[1:], strict=True):
            symbol = operator.type
            precedence = _PRECEDENCE[symbol]
            while stack and (
                _PRECEDENCE[stack[-1]] > precedence
                or (_PRECEDENCE[stack[-1]] == precedence and symbol != "**")
            ):
                _reduce(output, stack.pop())
            stack.append(symbol)
            output.append(value)
        while stack:
            _reduce(output, stack.pop())
        result = output[0][0]
        if starred is not None:
            wrapped = ast.Starred(value=result, ctx=LOAD)
            wrapped.lineno, wrapped.col_offset = starred.lineno, starred.col_offset
            wrapped.end_lineno, wrapped.end_col_offset = result.end_lineno, result.end_col_offset
            return wrapped
        return result

    def _call(self, function: ast.expr, arguments: Node) -> ast.Call:
        if arguments.type == "generator_expression":
            return ast.Call(func=function, args=[self._comprehension(arguments)], keywords=[])
        args, keywords = self.call_arguments(arguments)
        return ast.Call(func=function, args=args, keywords=keywords)

    def call_arguments(self, node: Node) -> tuple[list[ast.expr], list[ast.keyword]]:
        """The arguments of a call or the bases of a class, in an `argument_list` node."""
        args: list[ast.expr] = []
        keywords: list[ast.keyword] = []
        after_keyword = after_unpacking = False
        for child in self.named(node):
            kind = child.type
            if kind == "keyword_argument":
                name, value = child.child_by_field_name("name"), child.child_by_field_name("value")
                if name is None or value is None:
                    raise Unsupported(child, "invalid keyword argument")
                keyword = ast.keyword(arg=self.identifier(name), value=self.expr(value))
                keywords.append(located(keyword, child))
                after_keyword = True
            elif kind == "dictionary_splat":
                keywords.append(located(ast.keyword(arg=None, value=self.expr(self.named(child)[0])), child))
                after_unpacking = True
            else:
                # `f(a=1, *b)` is legal; a plain positional argument after any keyword is not.
                if after_unpacking or (after_keyword and kind != "list_splat"):
                    raise Unsupported(child, "positional argument follows keyword argument")
                args.append(self.expr(child))
        return args, keywords

    def _index(self, parts: list[Node]) -> ast.expr:
        """The slice of `value[...]`: one item, or a tuple when there is a comma or a starred item."""
        items = [part for part in parts[2:-1] if part.is_named]
        if len(items) == 1 and parts[-2].type != ",":
            only = self.expr(items[0])
            if not isinstance(only, ast.Starred):
                return only
            elements: list[ast.expr] = [only]
        else:
            elements = [self.expr(item) for item in items]
        return spanning(ast.Tuple(elts=elements, ctx=LOAD), parts[2], parts[-2])

    def _slice(self, node: Node) -> ast.expr:
        bounds: list[ast.expr | None] = [None, None, None]
        index = 0
        for part in self.parts(node):
            if part.type == ":":
                index += 1
            else:
                bounds[index] = self.expr(part)
        return located(ast.Slice(lower=bounds[0], upper=bounds[1], step=bounds[2]), node)

    # -- operators --------------------------------------------------------------------------------

    def _boolean(self, node: Node) -> ast.expr:
        operator = self.parts(node)[1].type
        values: list[ast.expr] = []
        pending = [node]
        # `a and b and c` is one BoolOp; tree-sitter nests it to the left.
        while pending:
            current = pending.pop()
            if current.type == "boolean_operator" and self.parts(current)[1].type == operator:
                left, _, right = self.parts(current)
                pending.append(right)
                pending.append(left)
            else:
                values.append(self.expr(current))
        return located(ast.BoolOp(op=_AND if operator == "and" else _OR, values=values), node)

    def _comparison(self, node: Node) -> ast.expr:
        parts = self.parts(node)
        operators: list[ast.cmpop] = []
        for part in parts[1::2]:
            operator = _COMPARISONS.get(part.type)
            if operator is None:
                raise Unsupported(part, f"invalid comparison operator {part.type!r}")
            operators.append(operator)
        comparators = [self.expr(part) for part in parts[2::2]]
        return located(ast.Compare(left=self.expr(parts[0]), ops=operators, comparators=comparators), node)

    def _conditional(self, node: Node) -> ast.expr:
        body, test, orelse = self.named(node)
        return located(ast.IfExp(test=self.expr(test), body=self.expr(body), orelse=self.expr(orelse)), node)

    def _walrus(self, node: Node) -> ast.expr:
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is None or value is None:
            raise Unsupported(node, "invalid assignment expression")
        target = located(ast.Name(id=self.identifier(name), ctx=STORE), name)
        return located(ast.NamedExpr(target=target, value=self.expr(value)), node)

    def _lambda(self, node: Node) -> ast.expr:
        parameters = node.child_by_field_name("parameters")
        body = node.child_by_field_name("body")
        if body is None:
            raise Unsupported(node, "lambda without a body")
        return located(ast.Lambda(args=self.arguments(parameters), body=self.expr(body)), node)

    def _yield(self, node: Node) -> ast.expr:
        parts = self.parts(node)
        if len(parts) > 1 and parts[1].type == "from":
            return located(ast.YieldFrom(value=self.expr(parts[2])), node)
        return located(ast.Yield(value=self.expr(parts[1]) if len(parts) > 1 else None), node)

    # -- displays ---------------------------------------------------------------------------------

    def _parenthesized(self, node: Node) -> ast.expr:
        inner = self.named(node)
        if len(inner) != 1 or inner[0].type == "list_splat":
            raise Unsupported(node, "invalid parenthesized expression")
        return self.expr(inner[0])

    def _elements(self, node: Node) -> list[ast.expr]:
        return [self.expr(child) for child in self.named(node)]

    def _tuple(self, node: Node) -> ast.expr:
        return located(ast.Tuple(elts=self._elements(node), ctx=LOAD), node)

    def _tuple_pattern(self, node: Node) -> ast.expr:
        """`(a, b) = ...`; a lone `(a)` with no comma is just a parenthesized target."""
        items = self.named(node)
        if len(items) == 1 and not self.has_token(node, ","):
            return self.expr(items[0])
        return located(ast.Tuple(elts=[self.expr(item) for item in items], ctx=LOAD), node)

    def _list(self, node: Node) -> ast.expr:
        return located(ast.List(elts=self._elements(node), ctx=LOAD), node)

    def _starred(self, node: Node) -> ast.expr:
        return located(ast.Starred(value=self.expr(self.named(node)[0]), ctx=LOAD), node)

    def _dictionary(self, node: Node) -> ast.expr:
        keys: list[ast.expr | None] = []
        values: list[ast.expr] = []
        for child in self.named(node):
            if child.type == "pair":
                key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
                if key is None or value is None:
                    raise Unsupported(child, "invalid dictionary item")
                keys.append(self.expr(key))
                values.append(self.expr(value))
            elif child.type == "dictionary_splat":
                keys.append(None)
                values.append(self.expr(self.named(child)[0]))
            else:
                raise Unsupported(child, "invalid dictionary item")
        return located(ast.Dict(keys=keys, values=values), node)

    def _generators(self, node: Node) -> list[ast.comprehension]:
        generators: list[ast.comprehension] = []
        for clause in self.named(node)[1:]:
            if clause.type == "for_in_clause":
                left = clause.child_by_field_name("left")
                right = clause.children_by_field_name("right")
                if left is None or len(right) != 1 or self.has_token(clause, ","):
                    raise Unsupported(clause, "invalid comprehension")
                is_async = int(clause.children[0].type == "async")
                generators.append(
                    ast.comprehension(
                        target=self.store(left), iter=self.expr(right[0]), ifs=[], is_async=is_async
                    )
                )
            elif clause.type == "if_clause" and generators:
                generators[-1].ifs.append(self.expr(self.named(clause)[0]))
            else:
                raise Unsupported(clause, "invalid comprehension")
        return generators

    def _comprehension(self, node: Node) -> ast.expr:
        body = node.child_by_field_name("body")
        if body is None:
            raise Unsupported(node, "invalid comprehension")
        element = self.expr(body)
        generators = self._generators(node)
        kind = node.type
        result: ast.expr
        if kind == "list_comprehension":
            result = ast.ListComp(elt=element, generators=generators)
        elif kind == "set_comprehension":
            result = ast.SetComp(elt=element, generators=generators)
        else:
            result = ast.GeneratorExp(elt=element, generators=generators)
        return located(result, node)

    def _dict_comprehension(self, node: Node) -> ast.expr:
        body = node.child_by_field_name("body")
        key = body.child_by_field_name("key") if body is not None else None
        value = body.child_by_field_name("value") if body is not None else None
        if key is None or value is None:
            raise Unsupported(node, "invalid dictionary comprehension")
        comprehension = ast.DictComp(
            key=self.expr(key), value=self.expr(value), generators=self._generators(node)
        )
        return located(comprehension, node)

    # -- type expressions (tree-sitter's own nodes for annotations) ---------------------------------

    def _generic_type(self, node: Node) -> ast.expr:
        name, parameters = self.named(node)
        parts = self.parts(parameters)
        return located(
            ast.Subscript(value=self._name(name), slice=self._index([name, *parts]), ctx=LOAD), node
        )

    def _union_type(self, node: Node) -> ast.expr:
        left, right = self.named(node)
        return located(ast.BinOp(left=self.expr(left), op=_BIT_OR, right=self.expr(right)), node)

    def _member_type(self, node: Node) -> ast.expr:
        value, name = self.named(node)
        return located(ast.Attribute(value=self.expr(value), attr=self.identifier(name), ctx=LOAD), node)

    def _splat_type(self, node: Node) -> ast.expr:
        star, name = self.parts(node)
        if star.type != "*":
            raise Unsupported(node, "'**' is only allowed in type parameters")
        return located(ast.Starred(value=self._name(name), ctx=LOAD), node)

    # -- parameters -------------------------------------------------------------------------------

    def _arg(self, name: Node, annotation: Node | None = None) -> ast.arg:
        new = ast.arg(arg=self.identifier(name), annotation=None, type_comment=None)
        if annotation is None:
            return located(new, name)
        new.annotation = self.expr(annotation)
        return spanning(new, name, annotation)

    def arguments(self, node: Node | None) -> ast.arguments:
        posonly: list[ast.arg] = []
        args: list[ast.arg] = []
        defaults: list[ast.expr] = []
        kwonly: list[ast.arg] = []
        kw_defaults: list[ast.expr | None] = []
        vararg: ast.arg | None = None
        kwarg: ast.arg | None = None
        keyword_only = False
        for child in self.named(node) if node is not None else []:
            kind = child.type
            default: ast.expr | None = None
            if kind == "positional_separator":
                if posonly or keyword_only:
                    raise Unsupported(child, "'/' must be ahead of '*' and appear once")
                posonly, args = args, []
                continue
            if kind == "keyword_separator":
                keyword_only = True
                continue
            if kind == "identifier":
                parameter = self._arg(child)
            elif kind in ("default_parameter", "typed_default_parameter"):
                name = child.child_by_field_name("name")
                value = child.child_by_field_name("value")
                if name is None or value is None or name.type != "identifier":
                    raise Unsupported(child, "invalid parameter")
                parameter = self._arg(name, child.child_by_field_name("type"))
                default = self.expr(value)
            elif kind in ("list_splat_pattern", "dictionary_splat_pattern", "typed_parameter"):
                inner = self.named(child)[0]
                annotation = child.child_by_field_name("type")
                splat = kind if kind != "typed_parameter" else inner.type
                if splat == "identifier":
                    parameter = self._arg(inner, annotation)
                else:
                    target = self.named(inner)[0] if kind == "typed_parameter" else inner
                    if target.type != "identifier":
                        raise Unsupported(child, "invalid parameter")
                    parameter = self._arg(target, annotation)
                    if splat == "list_splat_pattern":
                        vararg = parameter
                        keyword_only = True
                    else:
                        kwarg = parameter
                    continue
            else:
                raise Unsupported(child, f"invalid parameter {kind}")
            if keyword_only:
                kwonly.append(parameter)
                kw_defaults.append(default)
            else:
                args.append(parameter)
                if default is not None:
                    defaults.append(default)
                elif defaults:
                    raise Unsupported(child, "non-default argument follows default argument")
        return ast.arguments(
            posonlyargs=posonly,
            args=args,
            vararg=vararg,
            kwonlyargs=kwonly,
            kw_defaults=kw_defaults,
            kwarg=kwarg,
            defaults=defaults,
        )
