"""Compound statements, and the converter that puts every layer together.

A compound statement ends where its last body statement ends, as in CPython, which is not always
where the tree-sitter node ends (a trailing comment belongs to the block there).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TypeVar

from tree_sitter import Node

from firstpatch.analysis.treesitter_ast.base import Unsupported, ending_with, located
from firstpatch.analysis.treesitter_ast.statements import TYPE_PARAMS, SimpleStatements

StatementT = TypeVar("StatementT", ast.stmt, ast.ExceptHandler)


class Converter(SimpleStatements):
    def __init__(self, source: bytes) -> None:
        super().__init__(source)
        self._semicolon_ends: dict[int, tuple[int, int]] = {}
        self._statements: dict[str, Callable[[Node], ast.stmt]] = {
            "expression_statement": self._expression_statement,
            "return_statement": self._return,
            "delete_statement": self._delete,
            "raise_statement": self._raise,
            "pass_statement": lambda node: located(ast.Pass(), node),
            "break_statement": lambda node: located(ast.Break(), node),
            "continue_statement": lambda node: located(ast.Continue(), node),
            "global_statement": lambda node: located(ast.Global(names=self._names(node)), node),
            "nonlocal_statement": lambda node: located(ast.Nonlocal(names=self._names(node)), node),
            "import_statement": self._import,
            "import_from_statement": self._import_from,
            "future_import_statement": self._import_from,
            "assert_statement": self._assert,
            "type_alias_statement": self._type_alias,
            "print_statement": self._print,
            "if_statement": self._if,
            "for_statement": self._for,
            "while_statement": self._while,
            "try_statement": self._try,
            "with_statement": self._with,
            "function_definition": self._function,
            "class_definition": self._class,
            "decorated_definition": self._decorated,
            "match_statement": self._match,
        }

    def module(self, root: Node) -> ast.Module:
        return ast.Module(body=self._statement_list(root), type_ignores=[])

    def _statement_list(self, node: Node) -> list[ast.stmt]:
        statements: list[ast.stmt] = []
        for child in node.children:
            if not child.is_named or child.is_extra:
                continue
            handler = self._statements.get(child.type)
            if handler is None:
                raise Unsupported(child, f"unexpected {child.type}")
            statements.append(handler(child))
        return statements

    def _body(self, node: Node | None, owner: Node) -> list[ast.stmt]:
        statements = self._statement_list(node) if node is not None else []
        if not statements:
            raise Unsupported(owner, "expected an indented block")
        if node is not None:
            # CPython ends a compound statement at its last token, which can be a trailing `;`.
            last = next((child for child in reversed(node.children) if not child.is_extra), None)
            if last is not None and last.type == ";":
                row, column = last.end_point
                self._semicolon_ends[id(statements[-1])] = (row + 1, column)
        return statements

    def _ending(self, new: StatementT, first: Node, last: ast.stmt | ast.ExceptHandler) -> StatementT:
        """Give `new` the extent from `first` to the end of the block statement `last`."""
        ending_with(new, first, last)
        end = self._semicolon_ends.get(id(last))
        if end is not None:
            new.end_lineno, new.end_col_offset = end
        return new

    # -- compound statements ----------------------------------------------------------------------

    def _else(self, clause: Node | None) -> list[ast.stmt]:
        if clause is None:
            return []
        return self._body(clause.child_by_field_name("body"), clause)

    def _if(self, node: Node) -> ast.stmt:
        alternatives = node.children_by_field_name("alternative")
        orelse: list[ast.stmt] = []
        for clause in reversed(alternatives):
            if clause.type == "else_clause":
                orelse = self._else(clause)
                continue
            body = self._body(clause.child_by_field_name("consequence"), clause)
            nested = ast.If(test=self.expr(self._field(clause, "condition")), body=body, orelse=orelse)
            orelse = [self._ending(nested, clause, (orelse or body)[-1])]
        body = self._body(node.child_by_field_name("consequence"), node)
        statement = ast.If(test=self.expr(self._field(node, "condition")), body=body, orelse=orelse)
        return self._ending(statement, node, (orelse or body)[-1])

    def _for(self, node: Node) -> ast.stmt:
        target = self.store(self._field(node, "left"))
        iterable = self.expr(self._field(node, "right"))
        body = self._body(node.child_by_field_name("body"), node)
        orelse = self._else(node.child_by_field_name("alternative"))
        statement: ast.stmt
        if node.children[0].type == "async":
            statement = ast.AsyncFor(
                target=target, iter=iterable, body=body, orelse=orelse, type_comment=None
            )
        else:
            statement = ast.For(target=target, iter=iterable, body=body, orelse=orelse, type_comment=None)
        return self._ending(statement, node, (orelse or body)[-1])

    def _while(self, node: Node) -> ast.stmt:
        test = self.expr(self._field(node, "condition"))
        body = self._body(node.child_by_field_name("body"), node)
        orelse = self._else(node.child_by_field_name("alternative"))
        return self._ending(ast.While(test=test, body=body, orelse=orelse), node, (orelse or body)[-1])

    def _clause_block(self, clause: Node) -> list[ast.stmt]:
        blocks = [child for child in clause.named_children if child.type == "block"]
        return self._body(blocks[-1] if blocks else None, clause)

    def _handler(self, clause: Node) -> tuple[ast.ExceptHandler, bool]:
        parts = self.parts(clause)
        star = len(parts) > 1 and parts[1].type == "*"
        values = clause.children_by_field_name("value")
        alias = clause.child_by_field_name("alias")
        if len(values) == 1 and values[0].type == "as_pattern" and alias is None:
            value_parts = self.parts(values[0])
            values, alias = [value_parts[0]], value_parts[-1]
        kind: ast.expr | None = None
        if len(values) == 1:
            kind = self.expr(values[0])
        elif values:  # PEP 758 (3.14): `except A, B:` without parentheses
            if alias is not None:
                raise Unsupported(clause, "multiple exception types must be parenthesized")
            elements = [self.expr(value) for value in values]
            kind = ending_with(ast.Tuple(elts=elements, ctx=ast.Load()), values[0], elements[-1])
        name: str | None = None
        if alias is not None:
            target = self.named(alias)[0] if alias.type == "as_pattern_target" else alias
            if target.type != "identifier":
                raise Unsupported(alias, "cannot use an expression as an exception name")
            name = self.identifier(target)
        body = self._clause_block(clause)
        return self._ending(ast.ExceptHandler(type=kind, name=name, body=body), clause, body[-1]), star

    def _try(self, node: Node) -> ast.stmt:
        body = self._body(node.child_by_field_name("body"), node)
        handlers: list[ast.ExceptHandler] = []
        stars: set[bool] = set()
        orelse: list[ast.stmt] = []
        final: list[ast.stmt] = []
        for child in self.named(node):
            if child.type == "except_clause":
                handler, star = self._handler(child)
                handlers.append(handler)
                stars.add(star)
            elif child.type == "else_clause":
                orelse = self._else(child)
            elif child.type == "finally_clause":
                final = self._clause_block(child)
        if len(stars) > 1:
            raise Unsupported(node, "cannot have both 'except' and 'except*' on the same 'try'")
        if not handlers and not final:
            raise Unsupported(node, "expected 'except' or 'finally' block")
        last: ast.stmt | ast.ExceptHandler = body[-1]
        if final or orelse:
            last = (final or orelse)[-1]
        elif handlers:
            last = handlers[-1]
        statement: ast.stmt
        if True in stars:
            statement = ast.TryStar(body=body, handlers=handlers, orelse=orelse, finalbody=final)
        else:
            statement = ast.Try(body=body, handlers=handlers, orelse=orelse, finalbody=final)
        return self._ending(statement, node, last)

    def _with(self, node: Node) -> ast.stmt:
        clause = next((child for child in node.named_children if child.type == "with_clause"), None)
        if clause is None:
            raise Unsupported(node, "with statement without items")
        items: list[ast.withitem] = []
        for item in self.named(clause):
            value = self._field(item, "value")
            inner = self.named(value)
            if value.type == "parenthesized_expression" and len(inner) == 1 and inner[0].type == "as_pattern":
                value = inner[0]  # `with (\n  cm() as x\n):`
            if value.type == "as_pattern":
                parts = self.parts(value)
                target = self.named(parts[-1])[0] if parts[-1].type == "as_pattern_target" else parts[-1]
                items.append(ast.withitem(context_expr=self.expr(parts[0]), optional_vars=self.store(target)))
            else:
                items.append(ast.withitem(context_expr=self.expr(value), optional_vars=None))
        body = self._body(node.child_by_field_name("body"), node)
        statement: ast.stmt
        if node.children[0].type == "async":
            statement = ast.AsyncWith(items=items, body=body, type_comment=None)
        else:
            statement = ast.With(items=items, body=body, type_comment=None)
        return self._ending(statement, node, body[-1])

    def _function(self, node: Node, decorators: list[ast.expr] | None = None) -> ast.stmt:
        name = self.identifier(self._field(node, "name"))
        arguments = self.arguments(self._field(node, "parameters"))
        returns_node = node.child_by_field_name("return_type")
        returns = self.expr(returns_node) if returns_node is not None else None
        body = self._body(node.child_by_field_name("body"), node)
        decorator_list = decorators or []
        statement: ast.stmt
        if node.children[0].type == "async":
            statement = ast.AsyncFunctionDef(
                name=name,
                args=arguments,
                body=body,
                decorator_list=decorator_list,
                returns=returns,
                type_comment=None,
            )
        else:
            statement = ast.FunctionDef(
                name=name,
                args=arguments,
                body=body,
                decorator_list=decorator_list,
                returns=returns,
                type_comment=None,
            )
        if TYPE_PARAMS:
            # Only 3.12+ hosts have the field, which mypy (targeting 3.11) does not know.
            setattr(statement, "type_params", self._type_params(node.child_by_field_name("type_parameters")))  # noqa: B010
        return self._ending(statement, node, body[-1])

    def _class(self, node: Node, decorators: list[ast.expr] | None = None) -> ast.stmt:
        superclasses = node.child_by_field_name("superclasses")
        bases, keywords = self.call_arguments(superclasses) if superclasses is not None else ([], [])
        body = self._body(node.child_by_field_name("body"), node)
        name = self.identifier(self._field(node, "name"))
        statement = ast.ClassDef(
            name=name, bases=bases, keywords=keywords, body=body, decorator_list=decorators or []
        )
        if TYPE_PARAMS:
            # Only 3.12+ hosts have the field, which mypy (targeting 3.11) does not know.
            setattr(statement, "type_params", self._type_params(node.child_by_field_name("type_parameters")))  # noqa: B010
        return self._ending(statement, node, body[-1])

    def _decorated(self, node: Node) -> ast.stmt:
        decorators = [
            self.expr(self.named(child)[0]) for child in node.named_children if child.type == "decorator"
        ]
        definition = self._field(node, "definition")
        if definition.type == "class_definition":
            return self._class(definition, decorators)
        return self._function(definition, decorators)

    def _match(self, node: Node) -> ast.stmt:
        subjects = node.children_by_field_name("subject")
        if not subjects:
            raise Unsupported(node, "match statement without a subject")
        subject: ast.expr
        if len(subjects) == 1 and not self.has_token(node, ","):
            subject = self.expr(subjects[0])
        else:
            commas = [child for child in node.children if child.type == ","]
            last = commas[-1] if commas[-1].start_byte > subjects[-1].start_byte else subjects[-1]
            subject = ast.Tuple(elts=[self.expr(s) for s in subjects], ctx=ast.Load())
            start_row, start_col = subjects[0].start_point
            end_row, end_col = last.end_point
            subject.lineno, subject.col_offset = start_row + 1, start_col
            subject.end_lineno, subject.end_col_offset = end_row + 1, end_col
        cases: list[ast.match_case] = []
        block = node.child_by_field_name("body")
        for clause in block.children_by_field_name("alternative") if block is not None else []:
            patterns = [child for child in clause.named_children if child.type == "case_pattern"]
            guard = clause.child_by_field_name("guard")
            body = self._body(clause.child_by_field_name("consequence"), clause)
            cases.append(
                ast.match_case(
                    pattern=self.case_patterns(clause, patterns),
                    guard=self.expr(self.named(guard)[0]) if guard is not None else None,
                    body=body,
                )
            )
        if not cases:
            raise Unsupported(node, "match statement without cases")
        return self._ending(ast.Match(subject=subject, cases=cases), node, cases[-1].body[-1])
