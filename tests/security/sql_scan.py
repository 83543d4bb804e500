"""Find every SQL statement in the source whose text is not constant, and what is spliced into it.

ruff's S608 catches SQL built by formatting when the string *looks like* SQL at the call; it
misses a statement assembled in a variable first, `.format()` on a module constant, `+` and
`join` chains, and anything marked `noqa`. This walks the AST instead: for every call of a
database method (`execute`, `fetch`, ...) it follows the statement argument back through local
and module assignments and reports each non-constant piece interpolated into it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# `prepare` is left out: the payment gateways have a `prepare(request, key)` of their own, and no
# code prepares statements.
SQL_METHODS = frozenset({"execute", "executemany", "fetch", "fetchval", "fetchrow", "cursor"})
# Helpers that splice their (table, key, where) arguments into SQL: what callers pass is checked too.
SQL_FRAGMENT_TAKERS = frozenset({"page_of_ids"})


@dataclass(frozen=True)
class Splice:
    """One non-constant expression that becomes part of a statement's text."""

    path: str  # relative to the repository
    line: int
    function: str
    expression: str  # ast.unparse of the piece

    @property
    def key(self) -> tuple[str, str]:
        return self.path, self.expression


def _assignments(scope: ast.AST) -> dict[str, list[ast.expr]]:
    """Every value assigned to each plain name directly in `scope` (not in nested functions)."""
    found: dict[str, list[ast.expr]] = {}

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
                continue
            if isinstance(child, ast.Assign):
                for target in child.targets:
                    if isinstance(target, ast.Name):
                        found.setdefault(target.id, []).append(child.value)
            elif isinstance(child, ast.AnnAssign | ast.AugAssign) and isinstance(child.target, ast.Name):
                if child.value is not None:
                    found.setdefault(child.target.id, []).append(child.value)
            visit(child)

    visit(scope)
    return found


class _Statement:
    def __init__(self, local: dict[str, list[ast.expr]], module: dict[str, list[ast.expr]]) -> None:
        self.local, self.module = local, module
        self.seen: set[int] = set()

    def pieces(self, node: ast.expr) -> Iterator[ast.expr]:
        """The non-constant pieces of a statement's text."""
        if id(node) in self.seen:
            return
        self.seen.add(id(node))
        if isinstance(node, ast.Constant):
            return
        if isinstance(node, ast.JoinedStr):
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    yield from self.interpolated(value.value)
            return
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            yield from self.pieces(node.left)
            yield from self.pieces(node.right)
            return
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            yield from self.pieces(node.left)
            yield from self.interpolated(node.right)
            return
        if isinstance(node, ast.IfExp):
            yield from self.pieces(node.body)
            yield from self.pieces(node.orelse)
            return
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "format":
                yield from self.pieces(node.func.value)
                for argument in [*node.args, *(k.value for k in node.keywords)]:
                    yield from self.interpolated(argument)
                return
            if node.func.attr == "join" and len(node.args) == 1:
                yield from self.pieces(node.func.value)
                joined = node.args[0]
                if isinstance(joined, ast.GeneratorExp | ast.ListComp):
                    yield from self.pieces(joined.elt)
                else:
                    yield from self.interpolated(joined)
                return
        if isinstance(node, ast.Name):
            values = self.local.get(node.id) or self.module.get(node.id)
            if values:
                for value in values:
                    yield from self.pieces(value)
                return
        yield node

    def interpolated(self, node: ast.expr) -> Iterator[ast.expr]:
        """A value spliced into the text: constants and string constants it names are harmless."""
        if isinstance(node, ast.Constant):
            return
        if isinstance(node, ast.Name) and (node.id in self.local or node.id in self.module):
            yield from self.pieces(node)
            return
        if isinstance(node, ast.Tuple | ast.List):
            for element in node.elts:
                yield from self.interpolated(element)
            return
        yield node


def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    yield "<module>", tree
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node


def splices_in(path: Path, root: Path) -> list[Splice]:
    tree = ast.parse(path.read_text(), filename=str(path))
    module = _assignments(tree)
    found = []
    for name, scope in _functions(tree):
        local = _assignments(scope) if scope is not tree else {}
        calls = [
            node
            for node in _direct_nodes(scope)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_METHODS
            and node.args
        ]
        for call in calls:
            statement = _Statement(local, module)
            for piece in statement.pieces(call.args[0]):
                found.append(Splice(str(path.relative_to(root)), call.lineno, name, ast.unparse(piece)))
        for call in _calls_of(scope, SQL_FRAGMENT_TAKERS):
            arguments = [*call.args[1:3], *(k.value for k in call.keywords if k.arg == "where")]
            for argument in arguments:
                for piece in _Statement(local, module).pieces(argument):
                    found.append(Splice(str(path.relative_to(root)), call.lineno, name, ast.unparse(piece)))
    return found


def _calls_of(scope: ast.AST, names: frozenset[str]) -> list[ast.Call]:
    return [
        node
        for node in _direct_nodes(scope)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id in names)
            or (isinstance(node.func, ast.Attribute) and node.func.attr in names)
        )
    ]


def _direct_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """Nodes of `scope`, not descending into nested functions (they are scopes of their own)."""
    for child in ast.iter_child_nodes(scope):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and scope is not child:
            continue
        yield child
        yield from _direct_nodes(child)


def splices(root: Path, packages: tuple[str, ...]) -> list[Splice]:
    found: list[Splice] = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            found.extend(splices_in(path, root))
    return found
