"""Spans in syntax: where a span starts, its name, the statements it wraps, and the nodes below it.

The 4xx checks read spans through these; they never import or run the code they read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ast_grep_py import SgNode

from otel_lint.checks import FileContext, mentions
from otel_lint.checks.syntax.calls import (
    call_arguments,
    call_receiver,
    keyword_argument,
    method_name,
)
from otel_lint.checks.syntax.literals import string_value

SPAN_STARTS = frozenset({"start_span", "start_as_current_span"})


#: Where a nested function, lambda or class begins, code may run at another time: stop there.
SCOPES = frozenset({"function_definition", "lambda", "class_definition"})


def named_children(node: SgNode) -> list[SgNode]:
    return [child for child in node.children() if child.is_named() and child.kind() != "comment"]


def block_statements(block: SgNode | None) -> list[SgNode]:
    """A block's statements, without comments and without a leading docstring."""
    if block is None:
        return []
    statements = named_children(block)
    if statements and statements[0].kind() == "expression_statement":
        only = named_children(statements[0])
        if len(only) == 1 and only[0].kind() in ("string", "concatenated_string"):
            statements = statements[1:]
    return statements


def unwrap(node: SgNode | None) -> SgNode | None:
    """The expression inside ``await`` and parentheses."""
    while node is not None and node.kind() in ("await", "parenthesized_expression"):
        inner = named_children(node)
        node = inner[0] if inner else None
    return node


def is_span_start(node: SgNode | None) -> bool:
    return node is not None and node.kind() == "call" and method_name(node) in SPAN_STARTS


def literal_span_name(call: SgNode) -> str | None:
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
class SpanItem:
    """One span a ``with`` statement or a decorator opens."""

    call: SgNode
    #: The name bound with ``as``, if any.
    target: str | None

    @property
    def current(self) -> bool:
        """Whether the span becomes the current span (so spans opened inside become children)."""
        return method_name(self.call) == "start_as_current_span"


def with_spans(statement: SgNode) -> list[SpanItem]:
    spans: list[SpanItem] = []
    for clause in statement.children():
        if clause.kind() != "with_clause":
            continue
        for item in named_children(clause):
            value = named_children(item)[0] if named_children(item) else None
            target: str | None = None
            if value is not None and value.kind() == "as_pattern":
                parts = named_children(value)
                value = parts[0] if parts else None
                target = parts[-1].text() if len(parts) > 1 else None
            if is_span_start(value):
                assert value is not None
                spans.append(SpanItem(value, target))
    return spans


def decorator_spans(function: SgNode) -> list[SpanItem]:
    parent = function.parent()
    if parent is None or parent.kind() != "decorated_definition":
        return []
    spans: list[SpanItem] = []
    for decorator in parent.children():
        if decorator.kind() == "decorator":
            expression = named_children(decorator)
            if expression and is_span_start(expression[0]):
                spans.append(SpanItem(expression[0], None))
    return spans


def decorator_calls(function: SgNode) -> list[SgNode]:
    parent = function.parent()
    if parent is None or parent.kind() != "decorated_definition":
        return []
    calls = []
    for decorator in parent.children():
        if decorator.kind() == "decorator":
            expression = named_children(decorator)
            if expression:
                calls.append(expression[0])
    return calls


def enclosing_function(node: SgNode) -> SgNode | None:
    """The function whose body holds ``node`` directly (not through a lambda or class)."""
    for ancestor in node.ancestors():
        if ancestor.kind() == "function_definition":
            return ancestor
        if ancestor.kind() in ("lambda", "class_definition"):
            return None
    return None


TRACER_NAME = re.compile(r"tracer", re.IGNORECASE)


def opentelemetry_spans(spans: list[SpanItem], context: FileContext) -> list[SpanItem]:
    """The spans started on an OpenTelemetry tracer.

    Other libraries have ``start_span`` methods too (Hypothesis' ``data.start_span(label)`` is
    paired with ``stop_span()``): a call counts when the file imports OpenTelemetry or the
    receiver is named like a tracer (one imported from the project's own telemetry module).
    """
    if mentions(context, "opentelemetry"):
        return spans
    return [span for span in spans if TRACER_NAME.search(receiver_text(span.call))]


def receiver_text(call: SgNode) -> str:
    receiver = call_receiver(call)
    return receiver.text() if receiver is not None else ""


def spans_of(match: SgNode) -> tuple[list[SpanItem], SgNode | None]:
    """The spans a matched ``with`` or decorated function opens, and the body they cover."""
    if match.kind() == "function_definition":
        return decorator_spans(match), match.field("body")
    return with_spans(match), match.field("body")


def walk_scope(node: SgNode, kinds: frozenset[str]) -> Iterator[SgNode]:
    """Descendants of ``node`` of the given kinds, not entering nested functions or classes.

    In document order, with a stack of its own: an expression can nest thousands deep.
    """
    pending = list(reversed(node.children()))
    while pending:
        child = pending.pop()
        if child.kind() in kinds:
            yield child
        if child.kind() not in SCOPES:
            pending.extend(reversed(child.children()))


LOGGER_NAME = re.compile(r"_*(log|logger|logging|LOG|LOGGER|warnings|print)", re.IGNORECASE)
