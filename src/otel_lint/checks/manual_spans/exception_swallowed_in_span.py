"""OTL405: an exception caught inside a span and neither recorded on it nor raised again."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ast_grep_py import SgNode

from otel_lint.checks import FileContext, Verdict, check
from otel_lint.checks.syntax.calls import (
    call_arguments,
    callee_name,
    method_name,
)
from otel_lint.checks.syntax.constants import last_name
from otel_lint.checks.syntax.literals import string_value
from otel_lint.checks.syntax.spans import (
    LOGGER_NAME,
    SpanItem,
    block_statements,
    decorator_spans,
    literal_span_name,
    named_children,
    opentelemetry_spans,
    receiver_text,
    walk_scope,
    with_spans,
)

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
    parts = [c for c in named_children(clause) if c.kind() != "block"]
    if not parts:
        return None
    expression = parts[0]
    if expression.kind() == "as_pattern":
        expression = named_children(expression)[0]
    if expression.kind() in ("tuple", "parenthesized_expression"):
        return [last_name(item.text()) for item in named_children(expression)]
    return [last_name(expression.text())]


def _keeps_exception(block: SgNode, caught: str) -> bool:
    """``exception = exc`` or ``future.set_exception(exc)``: the failure is handled later."""
    for assignment in walk_scope(block, frozenset({"assignment"})):
        right = assignment.field("right")
        if right is not None and right.kind() == "identifier" and right.text() == caught:
            return True
    for call in walk_scope(block, frozenset({"call"})):
        called = call.field("function")
        owner = receiver_text(call) or (called.text() if called is not None else "")
        if LOGGER_NAME.fullmatch(last_name(owner)):
            continue  # logging the exception leaves the span reporting success
        if any(a.kind() == "identifier" and a.text() == caught for a in call_arguments(call)):
            return True
    return False


def _exception_name(clause: SgNode) -> str | None:
    """``exc`` in ``except Exception as exc``."""
    for child in named_children(clause):
        if child.kind() == "as_pattern":
            parts = named_children(child)
            return parts[-1].text() if len(parts) > 1 else None
    return None


def _records_failure(block: SgNode, spans: list[SpanItem], caught: str | None) -> bool:
    if any(True for _ in walk_scope(block, frozenset({"raise_statement", "continue_statement"}))):
        return True  # re-raised, replaced by another error, or retried by the loop around it
    if caught is not None and _keeps_exception(block, caught):
        return True
    targets = {span.target for span in spans if span.target}
    for call in walk_scope(block, frozenset({"call"})):
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
    receiver = receiver_text(call)
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
    calls += list(walk_scope(value, frozenset({"call"})))
    return all(_READING_CALL.match(callee_name(call)) for call in calls)


def _telemetry_statements(statements: list[SgNode], targets: set[str]) -> bool:
    """Whether ``statements`` only feed the span: calls that touch it, ``if`` / ``for`` around such
    calls, and locals that such a later call reads. No return, yield or await: none of the
    application's own work runs there."""
    touched = False
    pending_locals: set[str] = set()
    for statement in statements:
        kind = statement.kind()
        if any(walk_scope(statement, frozenset({"return_statement", "yield", "await"}))):
            return False
        if kind == "pass_statement":
            continue
        if kind == "expression_statement":
            inner = named_children(statement)
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
                for a in walk_scope(value, frozenset({"identifier"}))
                if a.text() in pending_locals
            }
            touched = True
            continue
        if kind in ("if_statement", "for_statement"):
            blocks = [c for c in walk_scope(statement, frozenset({"block"}))]
            nested = [b for b in blocks if any(a in blocks for a in b.ancestors())]
            own = [b for b in blocks if b not in nested]
            if not own or not all(_telemetry_statements(block_statements(b), targets) for b in own):
                return False
            touched = True
            continue
        return False
    return touched and not pending_locals


def _best_effort_telemetry(clause: SgNode, spans: list[SpanItem]) -> bool:
    """An instrumentation's own attribute extraction or a user hook, guarded so that telemetry
    never breaks the application: a failure there is not the operation's failure."""
    statement = clause.parent()
    if statement is None or statement.kind() != "try_statement":
        return False
    body = statement.field("body")
    targets = {span.target for span in spans if span.target}
    return body is not None and _telemetry_statements(block_statements(body), targets)


def _span_around(clause: SgNode) -> list[SpanItem]:
    """The spans open around an except clause, nearest first, within its function."""
    for ancestor in clause.ancestors():
        if ancestor.kind() == "with_statement":
            spans = with_spans(ancestor)
            if spans:
                return spans
        elif ancestor.kind() == "function_definition":
            return decorator_spans(ancestor)
        elif ancestor.kind() in ("lambda", "class_definition"):
            return []
    return []


@check("OTL405")
def exception_swallowed_in_span(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    spans = opentelemetry_spans(_span_around(node), context)
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
    name = literal_span_name(spans[0].call)
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
