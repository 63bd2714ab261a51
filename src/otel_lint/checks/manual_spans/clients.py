"""Which client library a call goes through: its imports, the objects the file builds from them."""

from __future__ import annotations

from dataclasses import dataclass

from ast_grep_py import SgNode

from otel_lint.checks import FileContext, per_file
from otel_lint.checks.instrumented_libraries import (
    CLIENT_LIBRARIES,
    ClientLibrary,
)
from otel_lint.checks.syntax.calls import (
    call_receiver,
    method_name,
)
from otel_lint.checks.syntax.constants import last_name
from otel_lint.checks.syntax.imports import dotted_path, file_imports, qualified_name
from otel_lint.checks.syntax.spans import named_children, unwrap


@dataclass(frozen=True)
class Clients:
    """What one file shows about client objects: imports and the variables that hold clients."""

    imports: dict[str, str]
    #: Dotted variable paths (``client``, ``self.session``) -> the library whose client they hold.
    held: dict[str, ClientLibrary]

    def imported(self, library: ClientLibrary) -> bool:
        return any(q.split(".")[0] in library.modules for q in self.imports.values())


def _library_of_constructor(
    call: SgNode | None, clients_imports: dict[str, str]
) -> ClientLibrary | None:
    call = unwrap(call)
    if call is None or call.kind() != "call":
        return None
    name = qualified_name(call.field("function"), clients_imports)
    if name is None:
        return None
    for library in CLIENT_LIBRARIES:
        if name in library.constructors:
            return library
    return None


def _client_objects(root: SgNode, imports: dict[str, str]) -> dict[str, ClientLibrary]:
    """Variables assigned a client (constructor, factory method, ``with ... as``, annotation)."""
    held: dict[str, ClientLibrary] = {}
    bindings: list[tuple[SgNode, SgNode]] = []
    for assignment in root.find_all(kind="assignment"):
        left, right = assignment.field("left"), assignment.field("right")
        if left is not None and right is not None:
            bindings.append((left, right))
        annotation = assignment.field("type")
        if left is not None and annotation is not None:
            bindings.append((left, annotation))
    for pattern in root.find_all(kind="as_pattern"):
        parts = named_children(pattern)
        if len(parts) == 2 and parts[1].kind() == "as_pattern_target":
            bindings.append((parts[1], parts[0]))
    for parameter in root.find_all(
        any=[{"kind": "typed_parameter"}, {"kind": "typed_default_parameter"}]
    ):
        annotation = parameter.field("type")
        parts = named_children(parameter)
        name = parameter.field("name") or (parts[0] if parts else None)
        if name is not None and annotation is not None:
            bindings.append((name, annotation))
    # Two passes: a factory (``conn.cursor()``) may be bound before its client in source order.
    for _ in range(2):
        for left, right in bindings:
            target = dotted_path(
                named_children(left)[0] if left.kind() == "as_pattern_target" else left, False
            )
            if target is None or target in held:
                continue
            library = _library_of_value(right, imports, held)
            if library is not None:
                held[target] = library
    return held


def _library_of_value(
    bound: SgNode, imports: dict[str, str], held: dict[str, ClientLibrary]
) -> ClientLibrary | None:
    value = unwrap(bound)
    if value is None:
        return None
    if value.kind() == "type":
        inner = named_children(value)
        name = qualified_name(inner[0] if inner else None, imports)
        return next(
            (lib for lib in CLIENT_LIBRARIES if name is not None and name in lib.constructors), None
        )
    constructed = _library_of_constructor(value, imports)
    if constructed is not None:
        return constructed
    if value.kind() == "call":
        method, receiver = method_name(value), call_receiver(value)
        source = _held_by(receiver, held)
        if source is not None and method in source.factories:
            return source
    if (
        value.kind() in ("attribute", "subscript")
        and value.text().split(".")[0].split("[")[0] in held
    ):
        # pymongo: ``db = client.shop``, ``users = db["users"]`` still reach the same client.
        source = held[value.text().split(".")[0].split("[")[0]]
        if source.instrumentation == "pymongo":
            return source
    return None


def _held_by(receiver: SgNode | None, held: dict[str, ClientLibrary]) -> ClientLibrary | None:
    path = dotted_path(receiver, through_subscripts=True)
    while path:
        if path in held:
            return held[path]
        if "." not in path:
            return None
        path = path.rsplit(".", 1)[0]
    return None


@per_file
def clients_of(context: FileContext) -> Clients:
    imports = file_imports(context)
    return Clients(imports, _client_objects(context.root, imports))


def client_library(call: SgNode, clients: Clients) -> ClientLibrary | None:
    """The library whose instrumentation traces ``call``, if the file shows it is a client call."""
    name = qualified_name(call.field("function"), clients.imports)
    if name is not None:
        for library in CLIENT_LIBRARIES:
            if name in library.functions:
                return library
    method, receiver = method_name(call), call_receiver(call)
    if method is None or receiver is None:
        return None
    constructed = _library_of_constructor(receiver, clients.imports)
    if constructed is not None:
        return constructed if constructed.performs(method) else None
    held = _held_by(receiver, clients.held)
    if held is not None:
        return held if held.performs(method) else None
    path = dotted_path(receiver, through_subscripts=True)
    if path is not None and qualified_name(receiver, clients.imports) is None:
        named = [
            lib
            for lib in CLIENT_LIBRARIES
            if clients.imported(lib)
            and lib.receiver_named(last_name(path))
            and lib.performs(method)
        ]
        if len(named) == 1:
            return named[0]
    for library in CLIENT_LIBRARIES:
        if method in library.distinctive_methods:
            return library
    return None
