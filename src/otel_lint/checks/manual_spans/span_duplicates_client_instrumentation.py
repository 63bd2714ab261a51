"""OTL401: a manual span around one call that a client instrumentation already traces."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ast_grep_py import SgNode

from otel_lint.checks import FileContext, Verdict, check
from otel_lint.checks.manual_spans.clients import client_library, clients_of
from otel_lint.checks.syntax.calls import (
    call_arguments,
    call_receiver,
    keyword_argument,
    method_name,
)
from otel_lint.checks.syntax.constants import last_name
from otel_lint.checks.syntax.imports import dotted_path
from otel_lint.checks.syntax.literals import string_value
from otel_lint.checks.syntax.spans import (
    block_statements,
    literal_span_name,
    named_children,
    opentelemetry_spans,
    spans_of,
    unwrap,
    walk_scope,
)

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


def _instrumentation_key(key: SgNode | None) -> bool:
    """A key the instrumentation sets too (``"http.request.method"``, ``HTTP_REQUEST_METHOD``)."""
    value = string_value(key)
    if value is not None:
        return _INSTRUMENTATION_NAMESPACES.match(value) is not None
    path = dotted_path(key, through_subscripts=False)
    return path is not None and _INSTRUMENTATION_CONSTANT.match(last_name(path)) is not None


def _only_instrumentation_keys(dictionary: SgNode) -> bool:
    return all(
        pair.kind() == "pair" and _instrumentation_key(pair.field("key"))
        for pair in named_children(dictionary)
    )


#: What a span's own methods write: telemetry about the span, not the application's work.
_SPAN_WRITES = frozenset({"set_attribute", "set_attributes", "add_event", "set_status"})
_FIXED_KINDS = frozenset({"string", "integer", "float", "true", "false", "none"})
_CONSTANT_NAME = re.compile(r"^_*[A-Z][A-Z0-9_]*$")


def _fixed(value: SgNode | None) -> bool:
    """A value the code fixes rather than computes from the application's data: a literal, a
    constant (``BUCKET``, ``StatusCode.ERROR``), ``Status(StatusCode.ERROR)``, a tuple of them."""
    value = unwrap(value)
    if value is None:
        return False
    kind = value.kind()
    if kind == "string":
        return value.find(kind="interpolation") is None
    if kind in _FIXED_KINDS:
        return True
    if kind in ("identifier", "attribute"):
        return _CONSTANT_NAME.match(last_name(value)) is not None
    if kind in ("tuple", "list"):
        return all(_fixed(item) for item in named_children(value))
    if kind == "call":
        function = value.field("function")
        return (
            function is not None
            and last_name(function)[:1].isupper()
            and all(
                _fixed(a.field("value") if a.kind() == "keyword_argument" else a)
                for a in call_arguments(value)
            )
        )
    return False


def _telemetry_pair(key: SgNode | None, value: SgNode | None) -> bool:
    """A key the instrumentation sets too, or any key with a value the code fixed."""
    return _instrumentation_key(key) or _fixed(value)


def _writes_only_to_the_span(statement: SgNode, span: str | None) -> bool:
    """A statement that only writes telemetry to the span itself, nothing the application knows.

    ``span.set_attribute("db.name", "billing")`` (a key the instrumentation sets too, or a fixed
    value: ``span.set_attribute("acme.attempt", 1)``), ``span.set_status(...)``,
    ``span.add_event("retrying")``. A value computed from a variable (``len(rows)``, ``tier``)
    records something the client span does not: it makes the span worth keeping.
    """
    if span is None or statement.kind() != "expression_statement":
        return False
    call = unwrap(named_children(statement)[0]) if named_children(statement) else None
    if call is None or call.kind() != "call" or dotted_path(call_receiver(call), False) != span:
        return False
    method = method_name(call)
    arguments = call_arguments(call)
    if method not in _SPAN_WRITES:
        return False
    if method == "set_attribute":
        return len(arguments) == 2 and _telemetry_pair(arguments[0], arguments[1])
    if method == "set_attributes":
        return (
            len(arguments) == 1
            and arguments[0].kind() == "dictionary"
            and all(
                pair.kind() == "pair" and _telemetry_pair(pair.field("key"), pair.field("value"))
                for pair in named_children(arguments[0])
            )
        )
    return all(_fixed(a.field("value") if a.kind() == "keyword_argument" else a) for a in arguments)


def _with_operation(statement: SgNode) -> tuple[SgNode | None, str | None, list[SgNode]]:
    """``async with session.post(url) as resp: ...``: the call, ``resp``, the body statements."""
    items = [
        item
        for clause in statement.children()
        if clause.kind() == "with_clause"
        for item in named_children(clause)
    ]
    body = statement.field("body")
    if len(items) != 1 or body is None:
        return None, None, []
    parts = named_children(items[0])
    value = parts[0] if parts else None
    target: str | None = None
    if value is not None and value.kind() == "as_pattern":
        pieces = named_children(value)
        value = pieces[0] if pieces else None
        target = pieces[-1].text() if len(pieces) > 1 else None
    value = unwrap(value)
    if value is None or value.kind() != "call":
        return None, None, []
    return value, target, block_statements(body)


def _operation_of(statement: SgNode) -> tuple[SgNode | None, str | None]:
    """The call a one-call statement makes and the name its result is bound to.

    ``resp = await client.get(url)`` -> (the call, "resp"); ``return requests.get(url).json()`` ->
    (``requests.get(url)``, None). A method chained on the call's result is part of the operation.
    """
    bound: str | None = None
    inner = named_children(statement)
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
    expression = unwrap(expression)
    while expression is not None and expression.kind() == "call":
        receiver = unwrap(call_receiver(expression))
        if receiver is None or receiver.kind() != "call":
            return expression, bound
        expression = receiver
    return None, None


def _chain_receiver(expression: SgNode | None) -> SgNode | None:
    """What a chain of calls and attributes starts from: ``self.cur`` in ``self.cur.fetchall()``,
    ``resp`` in ``resp.json()["items"]``."""
    node = unwrap(expression)
    while node is not None and node.kind() in ("call", "subscript", "attribute"):
        if node.kind() == "call":
            function = unwrap(node.field("function"))
            if function is None or function.kind() != "attribute":
                return None  # ``len(rows)``: a plain function, not a method of what is followed
            node = unwrap(function.field("object"))
        elif node.kind() == "subscript":
            node = unwrap(node.field("value"))
        else:
            if dotted_path(node, False) is not None:
                return node
            node = unwrap(node.field("object"))
    return node


def _follows(expression: SgNode | None, followed: set[str]) -> bool:
    """Whether a chain starts from a followed name or path (or a prefix of it)."""
    path = dotted_path(_chain_receiver(expression), False)
    while path:
        if path in followed:
            return True
        path = path.rsplit(".", 1)[0] if "." in path else ""
    return False


def _follow_up(statement: SgNode, followed: set[str]) -> bool:
    """A statement that only handles the client or the call's result: ``resp.raise_for_status()``,
    ``rows = cur.fetchall()``, ``return resp.json()``, ``return rows``. A name it binds is
    followed too (``data = resp.json()`` then ``return data``)."""
    if statement.kind() not in ("expression_statement", "return_statement"):
        return False
    inner = named_children(statement)
    expression = unwrap(inner[0]) if inner else None
    bound: str | None = None
    if expression is not None and expression.kind() == "assignment":
        left = expression.field("left")
        if left is None or left.kind() != "identifier":
            return False
        bound, expression = left.text(), unwrap(expression.field("right"))
    if not _follows(expression, followed):
        return False
    if bound is not None:
        followed.add(bound)
    return True


def _handles_only(statements: list[SgNode], followed: set[str], span: str | None) -> bool:
    return all(
        s.kind() == "pass_statement" or _writes_only_to_the_span(s, span) or _follow_up(s, followed)
        for s in statements
    )


def _prepares_argument(statement: SgNode) -> bool:
    """``url = f"{BASE}/users"``: a name bound without calling anything, as a call's argument."""
    inner = named_children(statement)
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
    spans, body = spans_of(node)
    spans = opentelemetry_spans(spans, context)
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
        for s in block_statements(body)
        if s.kind() != "pass_statement" and not _writes_only_to_the_span(s, span.target)
    ]
    while work and _prepares_argument(work[0]):
        work = work[1:]
    if not work:
        return
    inside: list[SgNode] = []
    if work[0].kind() == "with_statement":
        operation, result, inside = _with_operation(work[0])
    else:
        operation, result = _operation_of(work[0])
    if operation is None:
        return
    followed = {result} if result is not None else set()
    client = dotted_path(_chain_receiver(operation), False)
    if client is not None:
        followed.add(client)
    if not _handles_only(inside + work[1:], followed, span.target):
        return
    clients = clients_of(context)
    calls = [
        c
        for s in work
        for c in walk_scope(s, frozenset({"call"}))
        if client_library(c, clients) is not None
    ]
    library = client_library(operation, clients)
    if library is None or len(calls) != 1:
        return
    name = literal_span_name(span.call)
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
