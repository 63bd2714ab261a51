"""What a name in a file refers to through its imports, and dotted paths read from syntax."""

from __future__ import annotations

from collections.abc import Iterator

from ast_grep_py import SgNode

from otel_lint.checks import FileContext, per_file
from otel_lint.checks.syntax.spans import named_children, unwrap


def imported_names(root: SgNode) -> dict[str, str]:
    """Local names bound by imports, mapped to the dotted names they stand for."""
    names: dict[str, str] = {}
    for statement in root.find_all(
        any=[{"kind": "import_statement"}, {"kind": "import_from_statement"}]
    ):
        module = statement.field("module_name")
        if statement.kind() == "import_from_statement" and (
            module is None or module.kind() != "dotted_name"
        ):
            continue  # relative imports name the project's own modules
        for local, imported in _bound(statement, module):
            if module is None and local == imported:
                local = imported = imported.split(".")[0]  # ``import a.b`` binds ``a``
            names[local] = f"{module.text()}.{imported}" if module is not None else imported
    return names


def _bound(statement: SgNode, module: SgNode | None) -> Iterator[tuple[str, str]]:
    """(local name, imported name) for each name an import statement binds."""
    for child in named_children(statement):
        if child is module or child.kind() not in ("dotted_name", "aliased_import"):
            continue
        if child.kind() == "aliased_import":
            dotted, alias = child.field("name"), child.field("alias")
            if dotted is not None and alias is not None:
                yield alias.text(), dotted.text()
        else:
            yield child.text(), child.text()


def qualified_name(node: SgNode | None, imports: dict[str, str]) -> str | None:
    """``requests.get`` for ``r.get`` after ``import requests as r``; None if not imported."""
    path = dotted_path(node, through_subscripts=False)
    if path is None:
        return None
    head, _, rest = path.partition(".")
    if head not in imports:
        return None
    return imports[head] + ("." + rest if rest else "")


def dotted_path(node: SgNode | None, through_subscripts: bool) -> str | None:
    """``self.client`` for an attribute chain of names; subscripts are skipped when asked."""
    names: list[str] = []
    # Down the chain from its end (a loop: CPython takes chains thousands long).
    while (node := unwrap(node)) is not None:
        if node.kind() == "identifier":
            return ".".join([node.text(), *reversed(names)])
        if node.kind() == "attribute":
            attribute = node.field("attribute")
            if attribute is None:
                return None
            names.append(attribute.text())
            node = node.field("object")
        elif node.kind() == "subscript" and through_subscripts:
            node = node.field("value")
        else:
            return None
    return None


@per_file
def file_imports(context: FileContext) -> dict[str, str]:
    return imported_names(context.root)


def relative_imports(root: SgNode) -> dict[str, tuple[int, str]]:
    """Local names bound by relative imports: ``X`` -> (1, ``keys.X``) for ``from .keys import X``.

    The number is how many dots preceded the module; the project's own modules, which
    :func:`imported_names` leaves out.
    """
    names: dict[str, tuple[int, str]] = {}
    for statement in root.find_all(kind="import_from_statement"):
        module = statement.field("module_name")
        if module is None or module.kind() != "relative_import":
            continue
        prefix = next((c for c in named_children(module) if c.kind() == "import_prefix"), None)
        level = prefix.text().count(".") if prefix is not None else 0
        inner = next((c for c in named_children(module) if c.kind() == "dotted_name"), None)
        base = f"{inner.text()}." if inner is not None else ""
        for local, imported in _bound(statement, module):
            names[local] = (level, base + imported)
    return names


@per_file
def file_relative_imports(context: FileContext) -> dict[str, tuple[int, str]]:
    if "from ." not in context.text:
        return {}
    return relative_imports(context.root)
