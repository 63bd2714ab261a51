"""OTL404: a span started with start_span() that is not ended on every path."""

from __future__ import annotations

from collections.abc import Iterator

from ast_grep_py import SgNode

from otel_lint.checks import FileContext, Verdict, check
from otel_lint.checks.syntax.calls import (
    call_receiver,
    callee_name,
    keyword_argument,
    method_name,
)
from otel_lint.checks.syntax.constants import last_name
from otel_lint.checks.syntax.imports import dotted_path
from otel_lint.checks.syntax.spans import (
    LOGGER_NAME,
    TRACER_NAME,
    SpanItem,
    block_statements,
    enclosing_function,
    literal_span_name,
    named_children,
    opentelemetry_spans,
    receiver_text,
    walk_scope,
)


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
    called_name = last_name(called.text()) if called is not None else ""
    if called_name == "use_span":
        end_on_exit = keyword_argument(call, "end_on_exit")
        return end_on_exit is not None and end_on_exit.text() == "True"
    return called_name != "set_span_in_context"


def _harmless_call(call: SgNode, span: str) -> bool:
    """A call on the span (the API promises its methods never raise), a log call, or
    ``set_span_in_context`` (builds a context, nothing else)."""
    if dotted_path(call_receiver(call), False) == span:
        return True
    if callee_name(call) == "set_span_in_context":
        return True
    owner = receiver_text(call)
    return bool(owner) and LOGGER_NAME.fullmatch(last_name(owner)) is not None


def _harmless_expression(expression: SgNode | None, span: str) -> bool:
    """An expression whose every call is harmless (names, attributes and literals cannot raise
    in any way worth an unended span)."""
    if expression is None:
        return True
    calls = [expression] if expression.kind() == "call" else []
    calls += list(walk_scope(expression, frozenset({"call"})))
    return all(_harmless_call(call, span) for call in calls)


def _is_span_method(statement: SgNode, span: str) -> bool:
    """Statements that cannot skip the ``end()`` after them: ``span.set_attribute(...)`` and the
    like, log calls, ``ctx = set_span_in_context(span)``, ``assert span.is_recording()``, and an
    ``if`` on such a condition holding only such statements."""
    kind = statement.kind()
    if kind == "pass_statement":
        return True
    if kind == "expression_statement":
        inner = named_children(statement)
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
        return all(_harmless_expression(part, span) for part in named_children(statement))
    if kind == "if_statement":
        condition = statement.field("condition")
        if not _harmless_expression(condition, span):
            return False
        for clause in named_children(statement):
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
            if not all(_is_span_method(s, span) for s in block_statements(block)):
                return False
        return True
    return False


def _end_calls(scope: SgNode, span: str, after: int) -> list[SgNode]:
    return [
        call
        for call in scope.find_all(kind="call")
        if method_name(call) == "end"
        and dotted_path(call_receiver(call), False) == span
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
        siblings = named_children(block)
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
    receiver = receiver_text(call)
    if TRACER_NAME.search(receiver):
        return True
    if not receiver:
        return False
    for assignment in context.root.find_all(kind="assignment"):
        left, right = assignment.field("left"), assignment.field("right")
        if (
            left is not None
            and right is not None
            and left.text() == receiver
            and TRACER_NAME.search(right.text())
        ):
            return True
    return False


@check("OTL404")
def span_not_ended(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    if method_name(node) != "start_span" or not opentelemetry_spans(
        [SpanItem(node, None)], context
    ):
        return
    if not _tracer_receiver(node, context):
        return
    name = literal_span_name(node)
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
    scope = enclosing_function(node) or context.root
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
    returns = any(s.kind() == "return_statement" or any(walk_scope(s, _RETURNS)) for s in before)
    if returns:
        reason = "a return before its end() leaves it open"
    else:
        reason = "not ended on every path (code before its end() may raise)"
    yield Verdict(message=_leak_message(name, reason))
