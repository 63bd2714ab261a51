"""Finished spans as queryable values: filter, pick one, walk the tree, assert, wait."""

from __future__ import annotations

import re
import textwrap
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanKind, Status, StatusCode

from otel_testing.snapshots import SnapshotNumbering, span_dicts
from otel_testing.views.assertions import (
    TelemetryAssertionError,
    attribute_diff,
    describe_query,
    listing,
    name_closeness,
    outline_mismatch,
)
from otel_testing.views.matching import (
    Expected,
    attribute_closeness,
    attributes_match,
    describe,
    matches,
    sequence_contains_in_order,
)

#: Indentation of one level in ``Spans.tree()``.
INDENT = "  "


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


#: Marks an assertion argument that was not given (None is a meaningful expectation).
UNSET: Any = _Unset()


def format_trace_id(value: int) -> str:
    return f"{value:032x}"


def format_span_id(value: int) -> str:
    return f"{value:016x}"


@dataclass(frozen=True)
class SpanEvent:
    """An event recorded on a span."""

    name: str
    attributes: Mapping[str, Any]
    timestamp: int


def kind_matches(expected: Expected, actual: SpanKind) -> bool:
    if isinstance(expected, str) and not isinstance(expected, SpanKind):
        return expected.upper() == actual.name
    return matches(expected, actual)


def status_matches(expected: Expected, actual: Status) -> bool:
    if isinstance(expected, Status):
        return (expected.status_code, expected.description) == (
            actual.status_code,
            actual.description,
        )
    if isinstance(expected, StatusCode):
        return expected == actual.status_code
    if isinstance(expected, str):
        return expected.upper() == actual.status_code.name
    return matches(expected, actual)


class SpanView:
    """One finished span, with its place in the captured forest."""

    def __init__(self, span: ReadableSpan, spans: Spans) -> None:
        self.sdk_span = span
        self._all = spans

    # --- what the span says -------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.sdk_span.name

    @property
    def kind(self) -> SpanKind:
        return self.sdk_span.kind

    @property
    def attributes(self) -> dict[str, Any]:
        return dict(self.sdk_span.attributes or {})

    @property
    def events(self) -> tuple[SpanEvent, ...]:
        return tuple(
            SpanEvent(event.name, dict(event.attributes or {}), event.timestamp)
            for event in self.sdk_span.events
        )

    @property
    def links(self) -> tuple[Any, ...]:
        return tuple(self.sdk_span.links)

    @property
    def status(self) -> Status:
        return self.sdk_span.status

    @property
    def trace_id(self) -> str:
        """W3C form: 32 lower-case hex digits."""
        return format_trace_id(self._context().trace_id)

    @property
    def span_id(self) -> str:
        """W3C form: 16 lower-case hex digits."""
        return format_span_id(self._context().span_id)

    @property
    def parent_span_id(self) -> str | None:
        parent = self.sdk_span.parent
        return format_span_id(parent.span_id) if parent is not None else None

    @property
    def duration(self) -> float:
        """Seconds from start to end."""
        start, end = self.sdk_span.start_time or 0, self.sdk_span.end_time or 0
        return (end - start) / 1e9

    @property
    def resource(self) -> Resource:
        return self.sdk_span.resource

    @property
    def scope(self) -> InstrumentationScope | None:
        return self.sdk_span.instrumentation_scope

    @property
    def exception(self) -> SpanEvent | None:
        """The first recorded exception event, or None."""
        return next((e for e in self.events if e.name == "exception"), None)

    def _context(self) -> Any:
        return self.sdk_span.get_span_context()

    # --- where it sits --------------------------------------------------------------------------

    @property
    def parent(self) -> SpanView | None:
        """The captured parent span; None for a root or when the parent was not captured."""
        return self._all.by_span_id(self.parent_span_id)

    @property
    def children(self) -> Spans:
        mine = self.span_id
        return Spans(
            [s for s in self._all if s.parent_span_id == mine and s.trace_id == self.trace_id]
        )

    def __repr__(self) -> str:
        return f"<SpanView {self.name!r} kind={self.kind.name} attributes={self.attributes!r}>"

    def summary(self) -> str:
        attributes = ", ".join(f"{k}={v!r}" for k, v in self.attributes.items())
        return f"{self.name!r} ({self.kind.name}, {self.status.status_code.name}) {{{attributes}}}"

    # --- assertions -----------------------------------------------------------------------------

    def assert_has(
        self,
        name: Expected = UNSET,
        kind: Expected = UNSET,
        attributes: Mapping[str, Expected] | None = None,
        status: Expected = UNSET,
        parent: Any = UNSET,
        events: Sequence[Expected] | None = None,
        exception: Any = UNSET,
        exact: bool = False,
    ) -> SpanView:
        """Fail with every difference between this span and the expectations; else return it.

        ``parent`` is a SpanView, a span name (or pattern), or None for a root span.
        ``events`` lists event names that must appear in that order (others may be between).
        ``exception`` is an exception class, a type name (or pattern), or None for "no exception".
        ``exact=True`` also fails on captured attributes that ``attributes`` does not name.
        """
        __tracebackhide__ = True
        problems: list[str] = []
        if name is not UNSET and not matches(name, self.name):
            problems.append(f"name: expected {describe(name)}, got {self.name!r}")
        if kind is not UNSET and not kind_matches(kind, self.kind):
            problems.append(f"kind: expected {describe(kind)}, got {self.kind.name}")
        if status is not UNSET and not status_matches(status, self.status):
            got = self.status.status_code.name
            if self.status.description:
                got += f" ({self.status.description!r})"
            problems.append(f"status: expected {describe(status)}, got {got}")
        if attributes is not None:
            diff = attribute_diff(attributes, self.attributes, exact)
            if diff:
                problems.append("attributes:\n" + diff)
        if parent is not UNSET:
            problem = self._parent_problem(parent)
            if problem:
                problems.append(problem)
        if events is not None:
            names = [e.name for e in self.events]
            if not sequence_contains_in_order(events, names):
                wanted = ", ".join(describe(e) for e in events)
                problems.append(f"events: expected [{wanted}] in this order, got {names!r}")
        if exception is not UNSET:
            problem = self._exception_problem(exception)
            if problem:
                problems.append(problem)
        if problems:
            raise TelemetryAssertionError(
                f"span {self.name!r} does not match:\n"
                + "\n".join(textwrap.indent(p, "  ") for p in problems)
            )
        return self

    def _parent_problem(self, parent: Any) -> str | None:
        actual = self.parent
        if parent is None:
            if self.parent_span_id is None:
                return None
            got = repr(actual.name) if actual else f"span id {self.parent_span_id} (not captured)"
            return f"parent: expected a root span, got child of {got}"
        if isinstance(parent, SpanView):
            if actual is not None and actual.span_id == parent.span_id:
                return None
        elif actual is not None and matches(parent, actual.name):
            return None
        got = repr(actual.name) if actual else "no captured parent"
        want = repr(parent.name) if isinstance(parent, SpanView) else describe(parent)
        return f"parent: expected {want}, got {got}"

    def _exception_problem(self, exception: Any) -> str | None:
        recorded = self.exception
        recorded_type = str(recorded.attributes.get("exception.type", "")) if recorded else None
        if exception is None:
            return None if recorded is None else f"exception: expected none, got {recorded_type}"
        if recorded_type is None:
            return f"exception: expected {describe(exception)}, none was recorded"
        if isinstance(exception, type) and issubclass(exception, BaseException):
            names = {exception.__qualname__, f"{exception.__module__}.{exception.__qualname__}"}
            if recorded_type in names:
                return None
        elif exception is True or matches(exception, recorded_type):
            return None
        return f"exception: expected {describe(exception)}, got {recorded_type}"


class Spans(Sequence[SpanView]):
    """A sequence of captured spans in start order, with queries and assertions over it."""

    def __init__(
        self,
        spans: Sequence[SpanView] | Sequence[ReadableSpan],
        source: Callable[[], Sequence[ReadableSpan]] | None = None,
        keep_order: bool = False,
    ) -> None:
        views: list[SpanView] = []
        for span in spans:
            views.append(span if isinstance(span, SpanView) else SpanView(span, self))
        if not keep_order:
            views.sort(key=lambda v: v.sdk_span.start_time or 0)
        self._views = views
        self._source = source

    @classmethod
    def capture(cls, source: Callable[[], Sequence[ReadableSpan]]) -> Spans:
        return cls(source(), source)

    # --- sequence -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._views)

    def __iter__(self) -> Iterator[SpanView]:
        return iter(self._views)

    @overload
    def __getitem__(self, index: int) -> SpanView: ...
    @overload
    def __getitem__(self, index: slice) -> Spans: ...
    def __getitem__(self, index: int | slice) -> SpanView | Spans:
        if isinstance(index, slice):
            return Spans(self._views[index])
        return self._views[index]

    def __repr__(self) -> str:
        return f"<Spans {self.names!r}>"

    @property
    def names(self) -> list[str]:
        return [s.name for s in self._views]

    def by_span_id(self, span_id: str | None) -> SpanView | None:
        if span_id is None:
            return None
        return next((s for s in self._views if s.span_id == span_id), None)

    # --- queries --------------------------------------------------------------------------------

    def filter(
        self,
        name: Expected = None,
        kind: Expected = None,
        attributes: Mapping[str, Expected] | None = None,
        status: Expected = None,
    ) -> Spans:
        """The spans that meet every criterion given (a name may be a string or re.Pattern)."""
        found = [
            s
            for s in self._views
            if (name is None or matches(name, s.name))
            and (kind is None or kind_matches(kind, s.kind))
            and (attributes is None or attributes_match(attributes, s.attributes))
            and (status is None or status_matches(status, s.status))
        ]
        return Spans(found)

    def one(
        self,
        name: Expected = None,
        kind: Expected = None,
        attributes: Mapping[str, Expected] | None = None,
        status: Expected = None,
    ) -> SpanView:
        """The one span meeting the criteria; else fail, listing captured spans, closest first."""
        __tracebackhide__ = True
        found = self.filter(name=name, kind=kind, attributes=attributes, status=status)
        if len(found) == 1:
            return found[0]
        query = describe_query(name=name, kind=kind, attributes=attributes, status=status)
        if found:
            raise TelemetryAssertionError(
                f"expected exactly one span matching {query}, found {len(found)}:\n"
                + listing([s.summary() for s in found])
            )

        def closeness(span: SpanView) -> tuple[float, int]:
            name_score = name_closeness(name, span.name) if name is not None else 0.0
            return (name_score, attribute_closeness(attributes or {}, span.attributes))

        ranked = sorted(self._views, key=closeness, reverse=True)
        message = [
            f"no span matches {query}; captured, closest first:",
            listing([s.summary() for s in ranked]),
        ]
        if attributes and ranked:
            diff = attribute_diff(attributes, ranked[0].attributes)
            if diff:
                message.append(f"closest span {ranked[0].name!r} differs in attributes:\n{diff}")
        raise TelemetryAssertionError("\n".join(message))

    @property
    def roots(self) -> Spans:
        """Spans whose parent was not captured (true roots, and children of remote parents)."""
        ids = {s.span_id for s in self._views}
        return Spans([s for s in self._views if s.parent_span_id not in ids])

    @property
    def traces(self) -> list[Spans]:
        """The spans grouped by trace, each group in tree order, groups by first start."""
        groups: dict[str, list[SpanView]] = {}
        for root in self.roots:
            groups.setdefault(root.trace_id, []).extend(self._walk(root))
        return [Spans(group, keep_order=True) for group in groups.values()]

    def _walk(self, span: SpanView) -> list[SpanView]:
        ordered = [span]
        for child in self._children_of(span):
            ordered.extend(self._walk(child))
        return ordered

    def _children_of(self, span: SpanView) -> list[SpanView]:
        return [
            s
            for s in self._views
            if s.parent_span_id == span.span_id and s.trace_id == span.trace_id
        ]

    # --- trees ----------------------------------------------------------------------------------

    def tree(self) -> str:
        """The captured forest as an indented outline of span names (two spaces a level)."""
        lines: list[str] = []

        def render(span: SpanView, depth: int) -> None:
            lines.append(INDENT * depth + span.name)
            for child in self._children_of(span):
                render(child, depth + 1)

        for root in self.roots:
            render(root, 0)
        return "\n".join(lines)

    def assert_tree(self, outline: str) -> None:
        """Fail unless the captured forest is ``outline`` (indented span names, any indent step)."""
        __tracebackhide__ = True
        expected = normalise_outline(outline)
        actual = self.tree()
        if expected != actual:
            raise TelemetryAssertionError(outline_mismatch(expected, actual))

    # --- waiting --------------------------------------------------------------------------------

    def wait_for(
        self,
        count: int | None = None,
        predicate: Callable[[Spans], bool] | None = None,
        timeout: float = 5.0,
    ) -> Spans:
        """Poll until at least ``count`` spans have ended or ``predicate`` holds; return them.

        For spans that end on other threads or tasks. Without either argument, waits for one span.
        """
        __tracebackhide__ = True
        if self._source is None:
            raise TypeError("wait_for needs the live `telemetry.spans`, not a filtered copy")
        if count is None and predicate is None:
            count = 1
        deadline = time.monotonic() + timeout
        delay = 0.001
        while True:
            current = Spans.capture(self._source)
            if (count is None or len(current) >= count) and (
                predicate is None or predicate(current)
            ):
                return current
            if time.monotonic() >= deadline:
                wanted = []
                if count is not None:
                    wanted.append(f"{count} span(s)")
                if predicate is not None:
                    wanted.append(f"predicate {describe(predicate)} to hold")
                raise TelemetryAssertionError(
                    f"waited {timeout}s for {' and '.join(wanted)}; captured {len(current)}:\n"
                    + listing([s.summary() for s in current])
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def as_dicts(self) -> list[dict[str, Any]]:
        """Deterministic plain dicts (ids renumbered, times ranked) for snapshot tests."""
        return span_dicts(self, SnapshotNumbering.for_spans(self))


def normalise_outline(outline: str) -> str:
    """An outline re-indented two spaces a level, whatever step it was written with."""
    lines = [line.rstrip() for line in textwrap.dedent(outline).splitlines() if line.strip()]
    result: list[str] = []
    stack: list[int] = []
    for line in lines:
        indent = len(line) - len(line.lstrip())
        while stack and stack[-1] >= indent:
            stack.pop()
        result.append(INDENT * len(stack) + line.strip())
        stack.append(indent)
    return "\n".join(result)


#: A compiled pattern type, re-exported for users writing ``filter(name=re.compile(...))``.
Pattern = re.Pattern
