"""OTL403: a span started inside a span of the same name."""

from __future__ import annotations

from collections.abc import Iterator

from ast_grep_py import SgNode

from otel_lint.checks import FileContext, Verdict, check
from otel_lint.checks.syntax.spans import (
    SpanItem,
    decorator_spans,
    literal_span_name,
    opentelemetry_spans,
    with_spans,
)


def _enclosing_current_span(statement: SgNode) -> SpanItem | None:
    """The nearest span that is current around ``statement``, within its function."""
    for ancestor in statement.ancestors():
        kind = ancestor.kind()
        if kind == "with_statement":
            current = [item for item in with_spans(ancestor) if item.current]
            if current:
                return current[-1]
        elif kind == "function_definition":
            decorated = [item for item in decorator_spans(ancestor) if item.current]
            return decorated[-1] if decorated else None
        elif kind in ("lambda", "class_definition"):
            return None
    return None


@check("OTL403")
def span_nested_in_same_name(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    spans = opentelemetry_spans(with_spans(node), context)
    for position, span in enumerate(spans):
        name = literal_span_name(span.call)
        if name is None:
            continue
        # A with statement's earlier items are already open when a later one starts.
        earlier = [item for item in spans[:position] if item.current]
        outer = earlier[-1] if earlier else _enclosing_current_span(node)
        if outer is not None and literal_span_name(outer.call) == name:
            yield Verdict(
                message=(
                    f"span {name!r} is opened directly inside a span of the same name; the trace "
                    "shows the operation twice. Keep one of them"
                ),
                node=span.call,
            )
