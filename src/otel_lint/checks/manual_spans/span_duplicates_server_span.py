"""OTL402: a manual span that repeats the server span a web framework's instrumentation makes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ast_grep_py import SgNode

from otel_lint.checks import FileContext, Verdict, check, per_file
from otel_lint.checks.instrumented_libraries import (
    WEB_FRAMEWORKS,
    WebFramework,
)
from otel_lint.checks.syntax.calls import (
    call_arguments,
    keyword_argument,
    method_name,
)
from otel_lint.checks.syntax.constants import last_name
from otel_lint.checks.syntax.imports import file_imports
from otel_lint.checks.syntax.literals import string_value
from otel_lint.checks.syntax.spans import (
    block_statements,
    decorator_calls,
    enclosing_function,
    literal_span_name,
    named_children,
    opentelemetry_spans,
    spans_of,
)
from otel_lint.project.facts import is_test_file

_ROUTE_SPAN_NAME = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+/")


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
    names = [p for p in named_children(parameters)] if parameters is not None else []
    if not names:
        return None
    first = names[0]
    if first.kind() != "identifier":
        first = first.field("name") or (named_children(first) or [first])[0]
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
        calls.setdefault(last_name(called.text()) if called is not None else "", []).append(call)
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
            for call in decorator_calls(function)
            if call.kind() == "call" and method_name(call) in framework.route_decorators
            for route in [_route_of(call) or ""]
        ]
        if routes:
            return framework, [r for r in routes if r]
        if framework.route_registrations and enclosing_function(function) is None:
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
            and enclosing_function(function) is None
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
    spans = opentelemetry_spans(spans_of(node)[0], context)
    if not spans:
        return
    function = node if node.kind() == "function_definition" else enclosing_function(node)
    if function is None:
        return
    frameworks = _frameworks_imported(file_imports(context))
    if not frameworks:
        return
    found = _handler(function, frameworks, context)
    if found is None:
        return
    framework, routes = found
    whole_body = node.kind() == "function_definition"
    if not whole_body:
        statements = block_statements(function.field("body"))
        whole_body = len(statements) == 1 and statements[0] == node
    for span in spans:
        name = literal_span_name(span.call)
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
