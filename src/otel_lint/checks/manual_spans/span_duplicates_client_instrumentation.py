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


def _adds_only_instrumentation_attributes(statement: SgNode, span: str | None) -> bool:
    """``span.set_attribute("http.request.method", "GET")``: what the instrumentation records."""
    if span is None or statement.kind() != "expression_statement":
        return False
    call = unwrap(named_children(statement)[0]) if named_children(statement) else None
    if call is None or call.kind() != "call" or dotted_path(call_receiver(call), False) != span:
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


def _uses_result_only(statement: SgNode, result: str | None) -> bool:
    """``resp.raise_for_status()`` or ``return resp.json()``: handling the one call's result."""
    if result is None or statement.kind() not in ("expression_statement", "return_statement"):
        return False
    inner = named_children(statement)
    expression = unwrap(inner[0]) if inner else None
    while expression is not None and expression.kind() in ("call", "attribute"):
        expression = unwrap(
            expression.field("function")
            if expression.kind() == "call"
            else expression.field("object")
        )
    return (
        expression is not None and expression.kind() == "identifier" and expression.text() == result
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
