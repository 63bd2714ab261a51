"""What a name stands for in a file: the literal behind a constant, the binding reaching a use.

Every check that meets a name asks the same questions, answered once here: which literal a module
constant (``SPAN_NAME``), a class attribute (``Attrs.GEN_AI_INPUT``) or a semantic-conventions
constant (``http_attributes.HTTP_METHOD``) spells, and which assignment of a local variable reaches
a given use (the nearest one before it in the same block or an enclosing one, never one in a
sibling branch). A constant imported from another module of the project (``from .keys import
DB_STATEMENT``, ``keys.DB_STATEMENT``, ``Attrs.HTTP_METHOD`` with ``Attrs`` imported) is read
through the engine's ``FileContext.modules``, which parses each such module once per process.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, cast

from ast_grep_py import SgNode

from otel_lint.checks import FileContext, mentions, per_file
from otel_lint.checks.syntax.imports import (
    dotted_path,
    file_imports,
    file_relative_imports,
    qualified_name,
)
from otel_lint.checks.syntax.literals import is_literal, string_value
from otel_lint.checks.syntax.spans import SCOPES, named_children, unwrap
from otel_lint.conventions.registry import Attribute, Metric


def last_name(name: str | SgNode) -> str:
    """The last part of a dotted name: ``client`` for ``self.client`` (a node or its text).

    A node that is not a name or an attribute chain (a call, a subscript) has no name: ``""``.
    """
    if not isinstance(name, str):
        if name.kind() == "attribute":
            attribute = name.field("attribute")
            return attribute.text() if attribute is not None else ""
        return name.text() if name.kind() == "identifier" else ""
    return name.rsplit(".", 1)[-1]


# --- constants bound once to a literal -----------------------------------------------------------

_TOP_LEVEL_ASSIGNMENT: dict[str, Any] = {
    "kind": "assignment",
    "inside": {"kind": "expression_statement", "inside": {"kind": "module"}},
}
_CLASS_LEVEL_ASSIGNMENT: dict[str, Any] = {
    "kind": "assignment",
    "inside": {
        "kind": "expression_statement",
        "inside": {"kind": "block", "inside": {"kind": "class_definition"}},
    },
}


def _literals_bound_once(assignments: list[tuple[str, SgNode]]) -> dict[str, SgNode]:
    """Names bound exactly once, to a literal, among (name, value) bindings of one namespace."""
    counts: dict[str, int] = {}
    literal: dict[str, SgNode] = {}
    for name, value in assignments:
        counts[name] = counts.get(name, 0) + 1
        if is_literal(value):
            literal[name] = value
    return {name: value for name, value in literal.items() if counts[name] == 1}


def _simple_binding(assignment: SgNode) -> tuple[str, SgNode] | None:
    left, right = assignment.field("left"), assignment.field("right")
    if left is None or right is None or left.kind() != "identifier":
        return None
    return left.text(), right


def module_literals(root: SgNode) -> dict[str, SgNode]:
    """Names a module binds once, at top level, to a literal: ``SPAN_NAME = "checkout"``.

    Such names are as bounded as the literal, whatever their case; a name bound twice is not
    a constant.
    """
    # One query in ast-grep rather than a walk over every top-level statement in Python.
    bindings = [
        binding
        for assignment in root.find_all(**_TOP_LEVEL_ASSIGNMENT)
        if (binding := _simple_binding(assignment)) is not None
    ]
    return _literals_bound_once(bindings)


def module_constants(root: SgNode) -> frozenset[str]:
    """The names of :func:`module_literals`."""
    return frozenset(module_literals(root))


def class_literals(root: SgNode) -> dict[str, SgNode]:
    """``Class.NAME`` for each name a class body binds once to a literal: ``Attrs.GEN_AI_INPUT``."""
    per_class: dict[str, list[tuple[str, SgNode]]] = {}
    for assignment in root.find_all(**_CLASS_LEVEL_ASSIGNMENT):
        binding = _simple_binding(assignment)
        block = assignment.parent()
        owner = block.parent() if block is not None else None
        owner = owner.parent() if owner is not None else None
        name = owner.field("name") if owner is not None else None
        if binding is None or name is None:
            continue
        per_class.setdefault(name.text(), []).append(binding)
    return {
        f"{owner}.{name}": value
        for owner, bindings in per_class.items()
        for name, value in _literals_bound_once(bindings).items()
    }


@dataclass(frozen=True)
class FileConstants:
    """A file's constants by the name they are read through, each with its literal."""

    module: Mapping[str, SgNode]
    classes: Mapping[str, SgNode]


@per_file
def file_constants(context: FileContext) -> FileConstants:
    root = context.root
    return FileConstants(
        MappingProxyType(module_literals(root)), MappingProxyType(class_literals(root))
    )


def string_constants(root: SgNode) -> dict[str, str]:
    """The module's string constants, ``NAME`` and ``Class.NAME``, with the strings they spell.

    What another module of the project can import from this one (plain data, kept between uses).
    """
    found = {**module_literals(root), **class_literals(root)}
    return {
        name: text for name, value in found.items() if (text := string_value(value)) is not None
    }


def project_constant(node: SgNode | None, context: FileContext) -> str | None:
    """The string a constant imported from another module of the project spells, or None.

    ``DB_STATEMENT`` after ``from .keys import DB_STATEMENT`` (or ``from app.keys import ...``),
    ``keys.DB_STATEMENT`` after ``from app import keys``, ``Attrs.HTTP_METHOD`` after ``from .keys
    import Attrs``: the module is found among the project's files, never in installed packages.
    """
    if context.modules is None or node is None or node.kind() not in ("identifier", "attribute"):
        return None
    path = dotted_path(node, through_subscripts=False)
    if path is None:
        return None
    head, _, rest = path.partition(".")
    relative = file_relative_imports(context).get(head)
    if relative is not None:
        level, target = relative
    elif head in file_imports(context) and not file_imports(context)[head].startswith(
        "opentelemetry."
    ):
        level, target = 0, file_imports(context)[head]
    else:
        return None
    parts = (target + ("." + rest if rest else "")).split(".")
    # The module is the longest prefix that is a file of the project; what follows is ``NAME``
    # or ``Class.NAME`` (a package's own constants: module "" one level up, for ``from . import``).
    lowest = 0 if level > 0 else 1
    for cut in range(len(parts) - 1, lowest - 1, -1):
        if len(parts) - cut > 2:
            break
        table = context.modules(".".join(parts[:cut]), level)
        if table is not None:
            return table.get(".".join(parts[cut:]))
    return None


def constant_literal(node: SgNode | None, context: FileContext) -> SgNode | None:
    """The literal a module constant or a class attribute of this file is bound to, or None."""
    if node is None:
        return None
    constants = file_constants(context)
    if node.kind() == "identifier":
        return constants.module.get(node.text())
    if node.kind() == "attribute":
        return constants.classes.get(node.text())
    return None


# --- semantic-conventions constants, through the file's imports ----------------------------------

# A constant of a generated ``*_attributes`` or ``*_metrics`` module, by its full dotted origin.
# The old ``SpanAttributes`` / ``ResourceAttributes`` / ``MetricInstruments`` classes do not
# match (their constants can carry other names than the modules' same-named ones): OTL309's.
_CONSTANT_ORIGIN = re.compile(
    r"^opentelemetry\.semconv\.(?:_incubating\.)?(?P<table>attributes|metrics)"
    r"\.\w+_(?P=table)\.(?P<constant>[A-Z][A-Z0-9_]*)$"
)
# The SDK's resource module re-exports the old ``ResourceAttributes`` keys under their constant
# names (``DEPLOYMENT_ENVIRONMENT`` is ``deployment.environment``, deprecated since).
_SDK_RESOURCE_ORIGIN = re.compile(r"^opentelemetry\.sdk\.resources\.(?P<constant>[A-Z][A-Z0-9_]*)$")
# The deprecated classes (OTL309) hold the old keys and metric names under the same constant names:
# ``ResourceAttributes.DEPLOYMENT_ENVIRONMENT`` is ``deployment.environment``.
_CLASS_ORIGIN = re.compile(
    r"^opentelemetry\.semconv\.(?:trace\.(?P<span>SpanAttributes)|resource\.ResourceAttributes"
    r"|metrics\.(?P<metric>MetricInstruments))\.(?P<constant>[A-Z][A-Z0-9_]*)$"
)


def semconv_constant(node: SgNode, context: FileContext) -> Attribute | Metric | None:
    """The semconv attribute or metric a name or ``module.NAME`` expression stands for.

    Only names the file imports from ``opentelemetry.semconv``'s attribute and metric modules
    count: a project's own ``HTTP_METHOD`` constant is none of our business.
    """
    if node.kind() not in ("identifier", "attribute") or not mentions(context, "opentelemetry"):
        return None
    origin = qualified_name(node, file_imports(context)) or ""
    found = _CONSTANT_ORIGIN.match(origin)
    if found is None:
        member = _CLASS_ORIGIN.match(origin)
        if member is not None:
            entry = context.registry.constant(member.group("constant"))
            wanted_type = Metric if member.group("metric") else Attribute
            return entry if isinstance(entry, wanted_type) else None
        resource = _SDK_RESOURCE_ORIGIN.match(origin)
        entry = context.registry.constant(resource.group("constant")) if resource else None
        return entry if isinstance(entry, Attribute) else None
    entry = context.registry.constant(found.group("constant"))
    wanted = Attribute if found.group("table") == "attributes" else Metric
    return entry if isinstance(entry, wanted) else None


def constant_string(node: SgNode | None, context: FileContext) -> str | None:
    """The string a literal, a constant of this file or of another module of the project, or a
    semconv attribute constant spells: a key is judged the same however it is spelled."""
    if node is None:
        return None
    literal = string_value(node)
    if literal is not None:
        return literal
    bound = constant_literal(node, context)
    if bound is not None:
        return string_value(bound)
    entry = semconv_constant(node, context)
    if isinstance(entry, Attribute):
        return entry.key
    return project_constant(node, context)


# --- the binding of a local that reaches a use ---------------------------------------------------

_BLOCKS = frozenset({"block", "module"})


def _statement_of(node: SgNode) -> SgNode | None:
    """The statement ``node`` is part of, directly inside a block or the module."""
    current: SgNode | None = node
    while current is not None:
        parent = current.parent()
        if parent is None:
            return None
        if parent.kind() in _BLOCKS:
            return current
        if parent.kind() in SCOPES:
            return None
        current = parent
    return None


def _assigned(statement: SgNode, name: str) -> SgNode | None:
    """The value ``name = value`` binds when ``statement`` is exactly that assignment."""
    if statement.kind() != "expression_statement":
        return None
    inner = named_children(statement)
    if len(inner) != 1 or inner[0].kind() != "assignment":
        return None
    binding = _simple_binding(inner[0])
    return binding[1] if binding is not None and binding[0] == name else None


def _bindings_inside(statement: SgNode, name: str) -> list[SgNode]:
    """Every value ``name`` is assigned inside a compound statement (not in nested scopes)."""
    values = []
    for assignment in statement.find_all(kind="assignment"):
        binding = _simple_binding(assignment)
        if binding is None or binding[0] != name:
            continue
        between = itertools.takewhile(lambda a: a != statement, assignment.ancestors())
        if not any(ancestor.kind() in SCOPES for ancestor in between):
            values.append(binding[1])
    return values


_UNPACKING = frozenset({"pattern_list", "tuple_pattern", "list_pattern"})
_OTHER_BINDINGS = ("for_statement", "augmented_assignment", "named_expression", "assignment")


def _rebinds(statement: SgNode, name: str) -> bool:
    """Whether ``statement`` may bind ``name`` other than by ``name = value``.

    A loop target, ``+=``, ``:=``, or unpacking (``name, other = pair``).
    """
    for kind in _OTHER_BINDINGS:
        for found in statement.find_all(kind=kind):
            target = found.field("left") or found.field("name")
            if target is None or (kind == "assignment" and target.kind() not in _UNPACKING):
                continue  # ``name = value`` is read by the caller; ``name[k] = v`` binds nothing
            if target.text() == name or any(
                part.kind() == "identifier" and part.text() == name
                for part in named_children(target)
            ):
                return True
    return False


_DEFINITIONS = frozenset({"function_definition", "class_definition", "decorated_definition"})


def _defines(definition: SgNode, name: str) -> bool:
    """Whether a (decorated) ``def`` or ``class`` statement binds ``name``."""
    inner = definition.field("definition") or definition
    defined = inner.field("name")
    return defined is not None and defined.text() == name


#: What the statements before a statement of a block bind a name to, per (statement, name): None
#: when none of them binds it. Shared by the uses of one file (``binding_memo``): without it each
#: use walked back over every statement before it, and a function of N attribute writes cost N².
BindingMemo = dict[tuple[SgNode, str], "tuple[SgNode, ...] | None"]


def binding_memo(context: FileContext) -> BindingMemo:
    """The file's memo for ``reaching_bindings``."""
    memo = context.memo.setdefault("reaching_bindings", {})
    return cast(BindingMemo, memo)


def _binding_in(earlier: SgNode, name: str) -> tuple[SgNode, ...] | None:
    """What one earlier statement binds ``name`` to: values, ``()`` when it binds it some other
    way (a definition, a loop, ``+=``...), None when it does not bind it."""
    if earlier.kind() == "comment":
        return None
    if earlier.kind() in _DEFINITIONS:
        # what a nested scope assigns stays in it
        return () if _defines(earlier, name) else None
    value = _assigned(earlier, name)
    if value is not None:
        return (value,)
    if _rebinds(earlier, name):
        return ()
    inside = _bindings_inside(earlier, name)
    return tuple(inside) if inside else None


def _bound_before(statement: SgNode, name: str, memo: BindingMemo) -> tuple[SgNode, ...] | None:
    """What the nearest statement before ``statement`` in its block that binds ``name`` binds it
    to, or None. Every statement walked over is remembered with the same answer."""
    walked: list[tuple[SgNode, str]] = []
    found: tuple[SgNode, ...] | None = None
    node = statement
    while True:
        key = (node, name)
        if key in memo:
            found = memo[key]
            break
        walked.append(key)
        earlier = node.prev()
        if earlier is None:
            break
        found = _binding_in(earlier, name)
        if found is not None:
            break
        node = earlier
    for key in walked:
        memo[key] = found
    return found


def reaching_bindings(use: SgNode, memo: BindingMemo | None = None) -> tuple[SgNode, ...]:
    """The values an identifier may hold where it is used, from the assignments that reach it.

    The nearest assignment before the use in its own block, or else in an enclosing block of
    the same scope: one value. When the nearest statement that binds the name is a branch or a
    loop, every value assigned inside it. Empty when nothing in the scope binds it (a parameter,
    a global) or it is bound some other way (``for``, ``+=``, ``:=``, unpacking). ``memo``
    (``binding_memo``) shares the walk between the uses of one file.
    """
    name = use.text()
    memo = {} if memo is None else memo
    statement = _statement_of(use)
    while statement is not None:
        found = _bound_before(statement, name, memo)
        if found is not None:
            return found
        block = statement.parent()
        statement = _statement_of(block) if block is not None else None
    return ()


# --- values fixed for the life of a process ------------------------------------------------------

_PROCESS_MODULES = ("platform.", "sys.")
_SAME_VALUE_METHODS = frozenset({"lower", "upper", "strip", "casefold"})


def _reads_the_process(value: SgNode, context: FileContext) -> bool:
    """Whether a value is read from the running interpreter or platform: ``platform.system()``."""
    node = unwrap(value)
    while (
        node is not None
        and node.kind() == "call"
        and (function := node.field("function")) is not None
        and function.kind() == "attribute"
        and last_name(function) in _SAME_VALUE_METHODS
    ):
        node = unwrap(function.field("object"))
    if node is not None and node.kind() == "call":
        node = node.field("function")
    qualified = qualified_name(node, file_imports(context))
    return qualified is not None and qualified.startswith(_PROCESS_MODULES)


@per_file
def process_constants(context: FileContext) -> frozenset[str]:
    """``self.x`` attributes every assignment of which reads the interpreter or the platform.

    ``self._python_implementation = python_implementation().lower()`` holds one value per
    process (``cpython``, ``pypy``): as bounded as a constant.
    """
    if "platform" not in context.text and "sys" not in context.text:
        return frozenset()
    values: dict[str, list[SgNode]] = {}
    for assignment in context.root.find_all(kind="assignment"):
        left, right = assignment.field("left"), assignment.field("right")
        if left is None or right is None or left.kind() != "attribute":
            continue
        if left.text().startswith("self."):
            values.setdefault(left.text(), []).append(right)
    return frozenset(
        name
        for name, assigned in values.items()
        if all(_reads_the_process(value, context) for value in assigned)
    )
