"""Checks of the 4xx family: manual spans that duplicate instrumentation, leak, or hide failures.

Every judgement here is syntactic and local to one file; whether the project activates an
instrumentation is left to project facts (``Verdict.requires``), which the engine resolves once
it has seen the whole project.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ast_grep_py import SgNode

from otel_lint.checks import FileContext, Verdict, check, per_file
from otel_lint.checks.instrumented_libraries import (
    CLIENT_LIBRARIES,
    WEB_FRAMEWORKS,
    ClientLibrary,
    WebFramework,
)
from otel_lint.checks.syntax.calls import (
    call_arguments,
    call_receiver,
    callee_name,
    keyword_argument,
    method_name,
)
from otel_lint.checks.syntax.literals import string_value
from otel_lint.project.facts import is_test_file

_SPAN_STARTS = frozenset({"start_span", "start_as_current_span"})
#: Where a nested function, lambda or class begins, code may run at another time: stop there.
_SCOPES = frozenset({"function_definition", "lambda", "class_definition"})
#: Attribute namespaces the client and server instrumentations set themselves; a manual span that
#: adds only these adds nothing the instrumentation's span does not already carry.
_INSTRUMENTATION_NAMESPACES = re.compile(
    r"^(http|url|server|client|network|db|rpc|messaging|net|peer|user_agent|aws|cloud|error)\."
)
#: The same namespaces as semantic-convention constants (``HTTP_REQUEST_METHOD``,
#: ``SpanAttributes.HTTP_URL``).
_INSTRUMENTATION_CONSTANT = re.compile(
    r"^(HTTP|URL|SERVER|CLIENT|NETWORK|DB|RPC|MESSAGING|NET|PEER|USER_AGENT|AWS|CLOUD|ERROR)_[A-Z0-9_]+$"
)
_ROUTE_SPAN_NAME = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+/")


# --- syntax helpers ------------------------------------------------------------------------------


def _named_children(node: SgNode) -> list[SgNode]:
    return [child for child in node.children() if child.is_named() and child.kind() != "comment"]


def _statements(block: SgNode | None) -> list[SgNode]:
    """A block's statements, without comments and without a leading docstring."""
    if block is None:
        return []
    statements = _named_children(block)
    if statements and statements[0].kind() == "expression_statement":
        only = _named_children(statements[0])
        if len(only) == 1 and only[0].kind() in ("string", "concatenated_string"):
            statements = statements[1:]
    return statements


def _unwrap(node: SgNode | None) -> SgNode | None:
    """The expression inside ``await`` and parentheses."""
    while node is not None and node.kind() in ("await", "parenthesized_expression"):
        inner = _named_children(node)
        node = inner[0] if inner else None
    return node


def _is_span_start(node: SgNode | None) -> bool:
    return node is not None and node.kind() == "call" and method_name(node) in _SPAN_STARTS


def _span_name(call: SgNode) -> str | None:
    """The literal name a span-start call gives its span, if it is a plain string."""
    positional = [
        a
        for a in call_arguments(call)
        if a.kind() not in ("keyword_argument", "list_splat", "dictionary_splat")
    ]
    if positional:
        return string_value(positional[0])
    return string_value(keyword_argument(call, "name"))


@dataclass(frozen=True)
class _SpanItem:
    """One span a ``with`` statement or a decorator opens."""

    call: SgNode
    #: The name bound with ``as``, if any.
    target: str | None

    @property
    def current(self) -> bool:
        """Whether the span becomes the current span (so spans opened inside become children)."""
        return method_name(self.call) == "start_as_current_span"


def _with_spans(statement: SgNode) -> list[_SpanItem]:
    spans: list[_SpanItem] = []
    for clause in statement.children():
        if clause.kind() != "with_clause":
            continue
        for item in _named_children(clause):
            value = _named_children(item)[0] if _named_children(item) else None
            target: str | None = None
            if value is not None and value.kind() == "as_pattern":
                parts = _named_children(value)
                value = parts[0] if parts else None
                target = parts[-1].text() if len(parts) > 1 else None
            if _is_span_start(value):
                assert value is not None
                spans.append(_SpanItem(value, target))
    return spans


def _decorator_spans(function: SgNode) -> list[_SpanItem]:
    parent = function.parent()
    if parent is None or parent.kind() != "decorated_definition":
        return []
    spans: list[_SpanItem] = []
    for decorator in parent.children():
        if decorator.kind() == "decorator":
            expression = _named_children(decorator)
            if expression and _is_span_start(expression[0]):
                spans.append(_SpanItem(expression[0], None))
    return spans


def _decorator_calls(function: SgNode) -> list[SgNode]:
    parent = function.parent()
    if parent is None or parent.kind() != "decorated_definition":
        return []
    calls = []
    for decorator in parent.children():
        if decorator.kind() == "decorator":
            expression = _named_children(decorator)
            if expression:
                calls.append(expression[0])
    return calls


def _enclosing_function(node: SgNode) -> SgNode | None:
    """The function whose body holds ``node`` directly (not through a lambda or class)."""
    for ancestor in node.ancestors():
        if ancestor.kind() == "function_definition":
            return ancestor
        if ancestor.kind() in ("lambda", "class_definition"):
            return None
    return None


_TRACER_NAME = re.compile(r"tracer", re.IGNORECASE)


def _opentelemetry_spans(spans: list[_SpanItem], context: FileContext) -> list[_SpanItem]:
    """The spans started on an OpenTelemetry tracer.

    Other libraries have ``start_span`` methods too (Hypothesis' ``data.start_span(label)`` is
    paired with ``stop_span()``): a call counts when the file imports OpenTelemetry or the
    receiver is named like a tracer (one imported from the project's own telemetry module).
    """
    if "opentelemetry" in context.text:
        return spans
    return [span for span in spans if _TRACER_NAME.search(_receiver_text(span.call))]


def _receiver_text(call: SgNode) -> str:
    receiver = call_receiver(call)
    return receiver.text() if receiver is not None else ""


def _spans_of(match: SgNode) -> tuple[list[_SpanItem], SgNode | None]:
    """The spans a matched ``with`` or decorated function opens, and the body they cover."""
    if match.kind() == "function_definition":
        return _decorator_spans(match), match.field("body")
    return _with_spans(match), match.field("body")


def _walk(node: SgNode, kinds: frozenset[str]) -> Iterator[SgNode]:
    """Descendants of ``node`` of the given kinds, not entering nested functions or classes.

    In document order, with a stack of its own: an expression can nest thousands deep.
    """
    pending = list(reversed(node.children()))
    while pending:
        child = pending.pop()
        if child.kind() in kinds:
            yield child
        if child.kind() not in _SCOPES:
            pending.extend(reversed(child.children()))


# --- imports and clients -------------------------------------------------------------------------


def _imports(root: SgNode) -> dict[str, str]:
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
        for child in _named_children(statement):
            if child is module or child.kind() not in ("dotted_name", "aliased_import"):
                continue
            if child.kind() == "aliased_import":
                dotted, alias = child.field("name"), child.field("alias")
                if dotted is None or alias is None:
                    continue
                local, imported = alias.text(), dotted.text()
            else:
                imported = child.text()
                local = imported.split(".")[0] if module is None else imported
                if module is None:
                    imported = local
            names[local] = f"{module.text()}.{imported}" if module is not None else imported
    return names


def _qualified(node: SgNode | None, imports: dict[str, str]) -> str | None:
    """``requests.get`` for ``r.get`` after ``import requests as r``; None if not imported."""
    path = _path(node, through_subscripts=False)
    if path is None:
        return None
    head, _, rest = path.partition(".")
    if head not in imports:
        return None
    return imports[head] + ("." + rest if rest else "")


def _path(node: SgNode | None, through_subscripts: bool) -> str | None:
    """``self.client`` for an attribute chain of names; subscripts are skipped when asked."""
    names: list[str] = []
    # Down the chain from its end (a loop: CPython takes chains thousands long).
    while (node := _unwrap(node)) is not None:
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


def _last_name(path: str) -> str:
    return path.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class _Clients:
    """What one file shows about client objects: imports and the variables that hold clients."""

    imports: dict[str, str]
    #: Dotted variable paths (``client``, ``self.session``) -> the library whose client they hold.
    held: dict[str, ClientLibrary]

    def imported(self, library: ClientLibrary) -> bool:
        return any(q.split(".")[0] in library.modules for q in self.imports.values())


def _library_of_constructor(
    call: SgNode | None, clients_imports: dict[str, str]
) -> ClientLibrary | None:
    call = _unwrap(call)
    if call is None or call.kind() != "call":
        return None
    name = _qualified(call.field("function"), clients_imports)
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
        parts = _named_children(pattern)
        if len(parts) == 2 and parts[1].kind() == "as_pattern_target":
            bindings.append((parts[1], parts[0]))
    for parameter in root.find_all(
        any=[{"kind": "typed_parameter"}, {"kind": "typed_default_parameter"}]
    ):
        annotation = parameter.field("type")
        parts = _named_children(parameter)
        name = parameter.field("name") or (parts[0] if parts else None)
        if name is not None and annotation is not None:
            bindings.append((name, annotation))
    # Two passes: a factory (``conn.cursor()``) may be bound before its client in source order.
    for _ in range(2):
        for left, right in bindings:
            target = _path(
                _named_children(left)[0] if left.kind() == "as_pattern_target" else left, False
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
    value = _unwrap(bound)
    if value is None:
        return None
    if value.kind() == "type":
        inner = _named_children(value)
        name = _qualified(inner[0] if inner else None, imports)
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
    path = _path(receiver, through_subscripts=True)
    while path:
        if path in held:
            return held[path]
        if "." not in path:
            return None
        path = path.rsplit(".", 1)[0]
    return None


@per_file
def _file_imports(context: FileContext) -> dict[str, str]:
    return _imports(context.root)


@per_file
def _clients(context: FileContext) -> _Clients:
    imports = _file_imports(context)
    return _Clients(imports, _client_objects(context.root, imports))


def _client_library(call: SgNode, clients: _Clients) -> ClientLibrary | None:
    """The library whose instrumentation traces ``call``, if the file shows it is a client call."""
    name = _qualified(call.field("function"), clients.imports)
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
    path = _path(receiver, through_subscripts=True)
    if path is not None and _qualified(receiver, clients.imports) is None:
        named = [
            lib
            for lib in CLIENT_LIBRARIES
            if clients.imported(lib)
            and lib.receiver_named(_last_name(path))
            and lib.performs(method)
        ]
        if len(named) == 1:
            return named[0]
    for library in CLIENT_LIBRARIES:
        if method in library.distinctive_methods:
            return library
    return None


# --- OTL401 --------------------------------------------------------------------------------------


def _instrumentation_key(key: SgNode | None) -> bool:
    """A key the instrumentation sets too (``"http.request.method"``, ``HTTP_REQUEST_METHOD``)."""
    value = string_value(key)
    if value is not None:
        return _INSTRUMENTATION_NAMESPACES.match(value) is not None
    path = _path(key, through_subscripts=False)
    return path is not None and _INSTRUMENTATION_CONSTANT.match(_last_name(path)) is not None


def _only_instrumentation_keys(dictionary: SgNode) -> bool:
    return all(
        pair.kind() == "pair" and _instrumentation_key(pair.field("key"))
        for pair in _named_children(dictionary)
    )


def _adds_only_instrumentation_attributes(statement: SgNode, span: str | None) -> bool:
    """``span.set_attribute("http.request.method", "GET")``: what the instrumentation records."""
    if span is None or statement.kind() != "expression_statement":
        return False
    call = _unwrap(_named_children(statement)[0]) if _named_children(statement) else None
    if call is None or call.kind() != "call" or _path(call_receiver(call), False) != span:
        return False
    arguments = [a for a in call_arguments(call)]
    if method_name(call) == "set_attribute" and arguments:
        return _instrumentation_key(arguments[0])
    if method_name(call) == "set_attributes" and arguments and arguments[0].kind() == "dictionary":
        return _only_instrumentation_keys(arguments[0])
    return False


def _operation_of(statement: SgNode) -> tuple[SgNode | None, str | None]:
    """The call a one-call statement makes and the name its result is bound to.

    ``resp = await client.get(url)`` -> (the call, "resp"); ``return requests.get(url).json()`` ->
    (``requests.get(url)``, None). A method chained on the call's result is part of the operation.
    """
    bound: str | None = None
    inner = _named_children(statement)
    expression = inner[0] if inner else None
    if (
        statement.kind() == "expression_statement"
        and expression is not None
        and expression.kind() == "assignment"
    ):
        left = expression.field("left")
        bound = left.text() if left is not None and left.kind() == "identifier" else None
        if bound is None:
            return None, None
        expression = expression.field("right")
    elif statement.kind() not in ("expression_statement", "return_statement"):
        return None, None
    expression = _unwrap(expression)
    while expression is not None and expression.kind() == "call":
        receiver = _unwrap(call_receiver(expression))
        if receiver is None or receiver.kind() != "call":
            return expression, bound
        expression = receiver
    return None, None


def _uses_result_only(statement: SgNode, result: str | None) -> bool:
    """``resp.raise_for_status()`` or ``return resp.json()``: handling the one call's result."""
    if result is None or statement.kind() not in ("expression_statement", "return_statement"):
        return False
    inner = _named_children(statement)
    expression = _unwrap(inner[0]) if inner else None
    while expression is not None and expression.kind() in ("call", "attribute"):
        expression = _unwrap(
            expression.field("function")
            if expression.kind() == "call"
            else expression.field("object")
        )
    return (
        expression is not None and expression.kind() == "identifier" and expression.text() == result
    )


def _prepares_argument(statement: SgNode) -> bool:
    """``url = f"{BASE}/users"``: a name bound without calling anything, as a call's argument."""
    inner = _named_children(statement)
    assignment = inner[0] if statement.kind() == "expression_statement" and inner else None
    if assignment is None or assignment.kind() != "assignment":
        return False
    left, right = assignment.field("left"), assignment.field("right")
    return (
        left is not None
        and left.kind() == "identifier"
        and right is not None
        and right.kind() != "call"
        and right.find(kind="call") is None
    )


@check("OTL401")
def span_around_instrumented_call(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    spans, body = _spans_of(node)
    spans = _opentelemetry_spans(spans, context)
    if not spans or body is None:
        return
    span = spans[0]
    attributes = keyword_argument(span.call, "attributes")
    if attributes is not None and not (
        attributes.kind() == "dictionary" and _only_instrumentation_keys(attributes)
    ):
        return  # the span records business facts of its own
    work = [
        s
        for s in _statements(body)
        if s.kind() != "pass_statement"
        and not _adds_only_instrumentation_attributes(s, span.target)
    ]
    while work and _prepares_argument(work[0]):
        work = work[1:]
    if not work:
        return
    operation, result = _operation_of(work[0])
    if operation is None or not all(_uses_result_only(s, result) for s in work[1:]):
        return
    clients = _clients(context)
    calls = [
        c
        for s in work
        for c in _walk(s, frozenset({"call"}))
        if _client_library(c, clients) is not None
    ]
    library = _client_library(operation, clients)
    if library is None or len(calls) != 1:
        return
    name = _span_name(span.call)
    label = f"span {name!r}" if name is not None else "this span"
    yield Verdict(
        message=(
            f"{label} wraps a single {library.instrumentation} call, which the "
            f"{library.instrumentation} instrumentation already traces; remove the span or add "
            "the business attributes that make it worth keeping"
        ),
        node=span.call,
        requires=(f"instrumented:{library.instrumentation}",),
    )


# --- OTL402 --------------------------------------------------------------------------------------


def _frameworks_imported(imports: dict[str, str]) -> list[WebFramework]:
    heads = {qualified.split(".")[0] for qualified in imports.values()}
    return [framework for framework in WEB_FRAMEWORKS if heads.intersection(framework.modules)]


def _class_of(function: SgNode) -> SgNode | None:
    parent = function.parent()
    if parent is not None and parent.kind() == "decorated_definition":
        parent = parent.parent()
    if parent is None or parent.kind() != "block":
        return None
    owner = parent.parent()
    return owner if owner is not None and owner.kind() == "class_definition" else None


def _first_parameter(function: SgNode) -> str | None:
    parameters = function.field("parameters")
    names = [p for p in _named_children(parameters)] if parameters is not None else []
    if not names:
        return None
    first = names[0]
    if first.kind() != "identifier":
        first = first.field("name") or (_named_children(first) or [first])[0]
    return first.text()


def _route_of(call: SgNode) -> str | None:
    positional = [a for a in call_arguments(call) if a.kind() == "string"]
    return (
        string_value(positional[0]) if positional else string_value(keyword_argument(call, "path"))
    )


@per_file
def _calls_by_name(context: FileContext) -> dict[str, list[SgNode]]:
    """Every call in the file, by the last name of what it calls (``add_url_rule``)."""
    calls: dict[str, list[SgNode]] = {}
    for call in context.root.find_all(kind="call"):
        called = call.field("function")
        calls.setdefault(_last_name(called.text()) if called is not None else "", []).append(call)
    return calls


def _handler(
    function: SgNode, frameworks: list[WebFramework], context: FileContext
) -> tuple[WebFramework, list[str]] | None:
    """The framework that routes requests to ``function``, and the routes it is registered for."""
    name_node = function.field("name")
    name = name_node.text() if name_node is not None else ""
    for framework in frameworks:
        routes = [
            route
            for call in _decorator_calls(function)
            if call.kind() == "call" and method_name(call) in framework.route_decorators
            for route in [_route_of(call) or ""]
        ]
        if routes:
            return framework, [r for r in routes if r]
        if framework.route_registrations and _enclosing_function(function) is None:
            calls = _calls_by_name(context)
            registrations = sorted(
                (
                    call
                    for called in framework.route_registrations
                    for call in calls.get(called, [])
                ),
                key=lambda call: call.range().start.index,
            )
            for call in registrations:
                if any(a.kind() == "identifier" and a.text() == name for a in call_arguments(call)):
                    route = _route_of(call)
                    return framework, [route] if route else []
        owner = _class_of(function)
        if owner is not None and name in framework.handler_methods:
            bases = owner.field("superclasses")
            base_text = bases.text() if bases is not None else ""
            if framework.instrumentation == "falcon" or re.search(
                r"Handler|View|ViewSet", base_text
            ):
                return framework, []
        if (
            framework.request_parameter_views
            and owner is None
            and _enclosing_function(function) is None
            and _first_parameter(function) == "request"
        ):
            return framework, []
    return None


def _named_after_route(name: str | None, routes: list[str]) -> bool:
    if name is None:
        return False
    if _ROUTE_SPAN_NAME.match(name):
        return True
    return any(name == route or name.endswith(f" {route}") for route in routes if route)


@check("OTL402")
def span_duplicates_server_span(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    # A test app's handler opens its child span on purpose: the test asserts how it nests under
    # the instrumentation's SERVER span.
    if is_test_file(context.path):
        return
    spans = _opentelemetry_spans(_spans_of(node)[0], context)
    if not spans:
        return
    function = node if node.kind() == "function_definition" else _enclosing_function(node)
    if function is None:
        return
    frameworks = _frameworks_imported(_file_imports(context))
    if not frameworks:
        return
    found = _handler(function, frameworks, context)
    if found is None:
        return
    framework, routes = found
    whole_body = node.kind() == "function_definition"
    if not whole_body:
        statements = _statements(function.field("body"))
        whole_body = len(statements) == 1 and statements[0] == node
    for span in spans:
        name = _span_name(span.call)
        if not (whole_body or _named_after_route(name, routes)):
            continue
        label = f"span {name!r}" if name is not None else "this span"
        yield Verdict(
            message=(
                f"{label} duplicates the SERVER span the {framework.instrumentation} "
                "instrumentation "
                "opens for this request handler; add attributes to that span "
                "(trace.get_current_span()) or open a span for one step of the handler instead"
            ),
            node=span.call,
            requires=(f"instrumented:{framework.instrumentation}",),
        )
        return


# --- OTL403 --------------------------------------------------------------------------------------


def _enclosing_current_span(statement: SgNode) -> _SpanItem | None:
    """The nearest span that is current around ``statement``, within its function."""
    for ancestor in statement.ancestors():
        kind = ancestor.kind()
        if kind == "with_statement":
            current = [item for item in _with_spans(ancestor) if item.current]
            if current:
                return current[-1]
        elif kind == "function_definition":
            decorated = [item for item in _decorator_spans(ancestor) if item.current]
            return decorated[-1] if decorated else None
        elif kind in ("lambda", "class_definition"):
            return None
    return None


@check("OTL403")
def span_nested_in_same_name(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    spans = _opentelemetry_spans(_with_spans(node), context)
    for position, span in enumerate(spans):
        name = _span_name(span.call)
        if name is None:
            continue
        # A with statement's earlier items are already open when a later one starts.
        earlier = [item for item in spans[:position] if item.current]
        outer = earlier[-1] if earlier else _enclosing_current_span(node)
        if outer is not None and _span_name(outer.call) == name:
            yield Verdict(
                message=(
                    f"span {name!r} is opened directly inside a span of the same name; the trace "
                    "shows the operation twice. Keep one of them"
                ),
                node=span.call,
            )


# --- OTL404 --------------------------------------------------------------------------------------


def _inside(node: SgNode, kind: str, scope: SgNode) -> bool:
    for ancestor in node.ancestors():
        if ancestor == scope:
            return False
        if ancestor.kind() == kind:
            return True
    return False


def _crosses_scope(node: SgNode, scope: SgNode) -> bool:
    """Whether ``node`` sits in a nested function or lambda of ``scope`` (a callback)."""
    for ancestor in node.ancestors():
        if ancestor == scope:
            return False
        if ancestor.kind() in ("function_definition", "lambda"):
            return True
    return False


def _ownership_passes(use: SgNode, scope: SgNode) -> bool:
    """Whether this use of the span variable hands the span to code that may end it."""
    if _crosses_scope(use, scope):
        return True
    parent = use.parent()
    if parent is None:
        return False
    kind = parent.kind()
    if kind in (
        "return_statement",
        "yield",
        "list",
        "tuple",
        "set",
        "pair",
        "expression_list",
        "with_item",
    ):
        return True
    if kind == "assignment" and parent.field("right") == use:
        return True  # stored on self, in a mapping, or under another name that we do not follow
    if kind == "keyword_argument":
        parent = parent.parent()
    if parent is None or parent.kind() != "argument_list":
        return False
    call = parent.parent()
    if call is None:
        return False
    called = call.field("function")
    called_name = _last_name(called.text()) if called is not None else ""
    if called_name == "use_span":
        end_on_exit = keyword_argument(call, "end_on_exit")
        return end_on_exit is not None and end_on_exit.text() == "True"
    return called_name != "set_span_in_context"


def _harmless_call(call: SgNode, span: str) -> bool:
    """A call on the span (the API promises its methods never raise), a log call, or
    ``set_span_in_context`` (builds a context, nothing else)."""
    if _path(call_receiver(call), False) == span:
        return True
    if callee_name(call) == "set_span_in_context":
        return True
    owner = _receiver_text(call)
    return bool(owner) and _LOGGER_NAME.fullmatch(_last_name(owner)) is not None


def _harmless_expression(expression: SgNode | None, span: str) -> bool:
    """An expression whose every call is harmless (names, attributes and literals cannot raise
    in any way worth an unended span)."""
    if expression is None:
        return True
    calls = [expression] if expression.kind() == "call" else []
    calls += list(_walk(expression, frozenset({"call"})))
    return all(_harmless_call(call, span) for call in calls)


def _is_span_method(statement: SgNode, span: str) -> bool:
    """Statements that cannot skip the ``end()`` after them: ``span.set_attribute(...)`` and the
    like, log calls, ``ctx = set_span_in_context(span)``, ``assert span.is_recording()``, and an
    ``if`` on such a condition holding only such statements."""
    kind = statement.kind()
    if kind == "pass_statement":
        return True
    if kind == "expression_statement":
        inner = _named_children(statement)
        value = inner[0] if len(inner) == 1 else None
        if value is not None and value.kind() == "assignment":
            left = value.field("left")
            return (
                left is not None
                and left.kind() == "identifier"
                and left.text() != span
                and _harmless_expression(value.field("right"), span)
            )
        return value is not None and value.kind() == "call" and _harmless_expression(value, span)
    if kind == "assert_statement":
        return all(_harmless_expression(part, span) for part in _named_children(statement))
    if kind == "if_statement":
        condition = statement.field("condition")
        if not _harmless_expression(condition, span):
            return False
        for clause in _named_children(statement):
            if clause == condition:
                continue
            if clause.kind() == "block":
                block: SgNode | None = clause
            elif clause.kind() in ("elif_clause", "else_clause"):
                if not _harmless_expression(clause.field("condition"), span):
                    return False
                block = clause.field("consequence") or clause.field("body")
            else:
                return False
            if not all(_is_span_method(s, span) for s in _statements(block)):
                return False
        return True
    return False


def _end_calls(scope: SgNode, span: str, after: int) -> list[SgNode]:
    return [
        call
        for call in scope.find_all(kind="call")
        if method_name(call) == "end"
        and _path(call_receiver(call), False) == span
        and call.range().start.index > after
    ]


_RETURNS = frozenset({"return_statement"})


def _leak_message(span_name: str | None, reason: str) -> str:
    label = f"span {span_name!r}" if span_name is not None else "this span"
    return (
        f"{label} is started with start_span() and {reason}; end it in a `finally:` or use `with`"
    )


#: Blocks a span may be started in and ended after, on the same path: leaving a ``with`` or an
#: ``if`` branch goes on to the statement after it, where leaving a loop body does not.
_STRAIGHT_THROUGH = frozenset({"with_statement", "if_statement", "elif_clause", "else_clause"})


def _statements_before_end(statement: SgNode, ends: list[SgNode]) -> tuple[list[SgNode], bool]:
    """The statements run between ``statement`` and the first ``end()`` on its path.

    Returns them and whether an ``end()`` statement was reached, following the block the span
    starts in and, where that block ends, the blocks of enclosing ``with`` and ``if`` statements.
    """
    end_statements = {e.parent() for e in ends if e.parent() is not None}
    skipped: list[SgNode] = []
    current: SgNode | None = statement
    while current is not None:
        block = current.parent()
        if block is None:
            break
        siblings = _named_children(block)
        following = siblings[siblings.index(current) + 1 :] if current in siblings else []
        for sibling in following:
            if sibling in end_statements:
                return skipped, True
            skipped.append(sibling)
        owner = block.parent() if block.kind() == "block" else None
        while owner is not None and owner.kind() in ("elif_clause", "else_clause"):
            owner = owner.parent()
        if owner is None or owner.kind() not in _STRAIGHT_THROUGH:
            break
        current = owner
    return skipped, False


def _tracer_receiver(call: SgNode, context: FileContext) -> bool:
    """Whether ``call``'s receiver is, as far as the file shows, a tracer: named like one
    (``tracer``, ``get_tracer(...)``), or a name the file binds to something named like one.
    Other objects have ``start_span`` methods that keep the span themselves (Prefect's
    ``self._telemetry.start_span(...)`` stores it and ends it in ``end_span_on_success``)."""
    receiver = _receiver_text(call)
    if _TRACER_NAME.search(receiver):
        return True
    if not receiver:
        return False
    for assignment in context.root.find_all(kind="assignment"):
        left, right = assignment.field("left"), assignment.field("right")
        if (
            left is not None
            and right is not None
            and left.text() == receiver
            and _TRACER_NAME.search(right.text())
        ):
            return True
    return False


@check("OTL404")
def span_not_ended(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    if method_name(node) != "start_span" or not _opentelemetry_spans(
        [_SpanItem(node, None)], context
    ):
        return
    if not _tracer_receiver(node, context):
        return
    name = _span_name(node)
    parent = node.parent()
    while parent is not None and parent.kind() == "parenthesized_expression":
        parent = parent.parent()
    if parent is None:
        return
    if parent.kind() == "expression_statement":
        yield Verdict(message=_leak_message(name, "its result is dropped, so it is never ended"))
        return
    if parent.kind() != "assignment" or parent.field("right") != node:
        return  # returned, stored, passed on or used in a with: its owner ends it
    target = parent.field("left")
    if target is None or target.kind() != "identifier":
        return  # stored on an object or in a container: ownership passes on
    variable = target.text()
    scope = _enclosing_function(node) or context.root
    start = node.range().end.index
    uses = [
        use
        for use in scope.find_all(kind="identifier")
        if use.text() == variable and use.range().start.index > start and use != target
    ]
    if any(_ownership_passes(use, scope) for use in uses):
        return
    ends = _end_calls(scope, variable, start)
    if any(_inside(end, "finally_clause", scope) for end in ends):
        return
    if not ends:
        yield Verdict(message=_leak_message(name, "never ended"))
        return
    statement = parent.parent()
    if statement is None:
        return
    before, reached = _statements_before_end(statement, ends)
    if reached and all(_is_span_method(s, variable) for s in before):
        return  # nothing between start and end() can raise or return
    returns = any(s.kind() == "return_statement" or any(_walk(s, _RETURNS)) for s in before)
    if returns:
        reason = "a return before its end() leaves it open"
    else:
        reason = "not ended on every path (code before its end() may raise)"
    yield Verdict(message=_leak_message(name, reason))


# --- OTL405 --------------------------------------------------------------------------------------

#: Exceptions that code catches to take a default path, not to survive a failure.
_NON_FAILURES = frozenset(
    {
        "KeyError",
        "IndexError",
        "LookupError",
        "AttributeError",
        "StopIteration",
        "StopAsyncIteration",
        "ValueError",
        "ImportError",
        "ModuleNotFoundError",
        "FileNotFoundError",
        "FileExistsError",
        "NotImplementedError",
        "CancelledError",
        "GeneratorExit",
        # How a person stops a sample's or a CLI's loop: an intended exit, not a failure.
        "KeyboardInterrupt",
    }
)


def _caught_types(clause: SgNode) -> list[str] | None:
    """The last names of the exception types an except clause catches; None for a bare except."""
    parts = [c for c in _named_children(clause) if c.kind() != "block"]
    if not parts:
        return None
    expression = parts[0]
    if expression.kind() == "as_pattern":
        expression = _named_children(expression)[0]
    if expression.kind() in ("tuple", "parenthesized_expression"):
        return [_last_name(item.text()) for item in _named_children(expression)]
    return [_last_name(expression.text())]


_LOGGER_NAME = re.compile(r"_*(log|logger|logging|LOG|LOGGER|warnings|print)", re.IGNORECASE)


def _keeps_exception(block: SgNode, caught: str) -> bool:
    """``exception = exc`` or ``future.set_exception(exc)``: the failure is handled later."""
    for assignment in _walk(block, frozenset({"assignment"})):
        right = assignment.field("right")
        if right is not None and right.kind() == "identifier" and right.text() == caught:
            return True
    for call in _walk(block, frozenset({"call"})):
        called = call.field("function")
        owner = _receiver_text(call) or (called.text() if called is not None else "")
        if _LOGGER_NAME.fullmatch(_last_name(owner)):
            continue  # logging the exception leaves the span reporting success
        if any(a.kind() == "identifier" and a.text() == caught for a in call_arguments(call)):
            return True
    return False


def _exception_name(clause: SgNode) -> str | None:
    """``exc`` in ``except Exception as exc``."""
    for child in _named_children(clause):
        if child.kind() == "as_pattern":
            parts = _named_children(child)
            return parts[-1].text() if len(parts) > 1 else None
    return None


def _records_failure(block: SgNode, spans: list[_SpanItem], caught: str | None) -> bool:
    if any(True for _ in _walk(block, frozenset({"raise_statement", "continue_statement"}))):
        return True  # re-raised, replaced by another error, or retried by the loop around it
    if caught is not None and _keeps_exception(block, caught):
        return True
    targets = {span.target for span in spans if span.target}
    for call in _walk(block, frozenset({"call"})):
        method = method_name(call) or ""
        text = call.text()
        if method == "record_exception":
            return True
        if method == "set_status" and not re.search(r"\b(OK|UNSET)\b", text):
            return True
        if method in ("set_attribute", "set_attributes") and re.search(
            r"error\.type|ERROR_TYPE", text
        ):
            return True
        if (
            method == "add_event"
            and call_arguments(call)
            and string_value(call_arguments(call)[0]) == "exception"
        ):
            return True
        if targets and any(
            a.kind() == "identifier" and a.text() in targets for a in call_arguments(call)
        ):
            return True  # handed to a helper that can record it
    return False


_SPAN_RECEIVER = re.compile(r"(^|[._])span$|get_current_span\(\)$", re.IGNORECASE)


def _touches_span(call: SgNode, targets: set[str]) -> bool:
    """A call on the span (``span.set_attribute``), or one handed the span (a user hook,
    ``_set_response_attributes(span, response)``)."""
    receiver = _receiver_text(call)
    if receiver in targets or _SPAN_RECEIVER.search(receiver):
        return True
    return any(
        a.kind() == "identifier" and (a.text() in targets or _SPAN_RECEIVER.search(a.text()))
        for a in call_arguments(call)
    )


#: Calls that read a value for an attribute rather than do the application's work.
_READING_CALL = re.compile(
    r"^_*(len|str|repr|int|float|bool|list|tuple|dict|sorted|getattr|hasattr|isinstance|type|get|"
    r"items|keys|values|dumps|format|join|lower|upper|strip|(get|extract|parse|read)_\w+|\w*attributes?)$"
)


def _reads_only(value: SgNode) -> bool:
    """Whether an expression only reads and converts values (no call doing other work)."""
    calls = [value] if value.kind() == "call" else []
    calls += list(_walk(value, frozenset({"call"})))
    return all(_READING_CALL.match(callee_name(call)) for call in calls)


def _telemetry_statements(statements: list[SgNode], targets: set[str]) -> bool:
    """Whether ``statements`` only feed the span: calls that touch it, ``if`` / ``for`` around such
    calls, and locals that such a later call reads. No return, yield or await: none of the
    application's own work runs there."""
    touched = False
    pending_locals: set[str] = set()
    for statement in statements:
        kind = statement.kind()
        if any(_walk(statement, frozenset({"return_statement", "yield", "await"}))):
            return False
        if kind == "pass_statement":
            continue
        if kind == "expression_statement":
            inner = _named_children(statement)
            value = inner[0] if inner else None
            if value is not None and value.kind() == "assignment":
                left = value.field("left")
                right = value.field("right")
                if left is None or left.kind() != "identifier" or right is None:
                    return False
                if not _reads_only(right):
                    return False
                pending_locals.add(left.text())
                continue
            if value is None or value.kind() != "call" or not _touches_span(value, targets):
                return False
            pending_locals -= {
                a.text()
                for a in _walk(value, frozenset({"identifier"}))
                if a.text() in pending_locals
            }
            touched = True
            continue
        if kind in ("if_statement", "for_statement"):
            blocks = [c for c in _walk(statement, frozenset({"block"}))]
            nested = [b for b in blocks if any(a in blocks for a in b.ancestors())]
            own = [b for b in blocks if b not in nested]
            if not own or not all(_telemetry_statements(_statements(b), targets) for b in own):
                return False
            touched = True
            continue
        return False
    return touched and not pending_locals


def _best_effort_telemetry(clause: SgNode, spans: list[_SpanItem]) -> bool:
    """An instrumentation's own attribute extraction or a user hook, guarded so that telemetry
    never breaks the application: a failure there is not the operation's failure."""
    statement = clause.parent()
    if statement is None or statement.kind() != "try_statement":
        return False
    body = statement.field("body")
    targets = {span.target for span in spans if span.target}
    return body is not None and _telemetry_statements(_statements(body), targets)


def _span_around(clause: SgNode) -> list[_SpanItem]:
    """The spans open around an except clause, nearest first, within its function."""
    for ancestor in clause.ancestors():
        if ancestor.kind() == "with_statement":
            spans = _with_spans(ancestor)
            if spans:
                return spans
        elif ancestor.kind() == "function_definition":
            return _decorator_spans(ancestor)
        elif ancestor.kind() in ("lambda", "class_definition"):
            return []
    return []


@check("OTL405")
def exception_swallowed_in_span(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    spans = _opentelemetry_spans(_span_around(node), context)
    if not spans:
        return
    caught = _caught_types(node)
    if caught is not None and all(name in _NON_FAILURES for name in caught):
        return
    body = node.field("body") or next((c for c in node.children() if c.kind() == "block"), None)
    if body is None or _records_failure(body, spans, _exception_name(node)):
        return
    if _best_effort_telemetry(node, spans):
        return
    name = _span_name(spans[0].call)
    label = f"span {name!r}" if name is not None else "the span"
    if caught is None:
        handler = "a bare `except:`"
    else:
        types = caught[0] if len(caught) == 1 else f"({', '.join(caught)})"
        handler = f"`except {types}`"
    yield Verdict(
        message=(
            f"{handler} inside {label} swallows the failure: it neither re-raises nor records it, "
            "so the trace reports success; call span.record_exception(exc) and "
            "span.set_status(Status(StatusCode.ERROR)), or re-raise"
        )
    )
