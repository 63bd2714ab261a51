"""Captured log records as queryable values, and their correlation with spans."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.trace import SpanContext

from otel_testing.snapshots import SnapshotNumbering, log_dicts
from otel_testing.views.assertions import TelemetryAssertionError, listing
from otel_testing.views.matching import Expected, attributes_match, matches
from otel_testing.views.spans import SpanView, format_span_id, format_trace_id


@dataclass(frozen=True)
class LogRecordView:
    """One log record; ids in W3C hex form, None when the record carries no trace context."""

    body: Any
    severity_text: str | None
    severity_number: int | None
    attributes: Mapping[str, Any]
    trace_id: str | None
    span_id: str | None
    timestamp: int
    scope: str | None
    #: The span that was current in the emitting thread (trace id, span id), if any.
    current_span: tuple[str, str] | None

    @classmethod
    def of(cls, record: ReadableLogRecord, current: SpanContext | None) -> LogRecordView:
        log = record.log_record
        trace_id = format_trace_id(log.trace_id) if log.trace_id else None
        span_id = format_span_id(log.span_id) if log.span_id else None
        severity = log.severity_number.value if log.severity_number is not None else None
        scope = record.instrumentation_scope.name if record.instrumentation_scope else None
        current_ids = (
            (format_trace_id(current.trace_id), format_span_id(current.span_id))
            if current is not None and current.is_valid
            else None
        )
        return cls(
            body=log.body,
            severity_text=log.severity_text,
            severity_number=severity,
            attributes=dict(log.attributes or {}),
            trace_id=trace_id,
            span_id=span_id,
            timestamp=log.timestamp or log.observed_timestamp or 0,
            scope=scope,
            current_span=current_ids,
        )

    def summary(self) -> str:
        ids = f"trace={self.trace_id} span={self.span_id}" if self.span_id else "no trace context"
        return f"{self.severity_text or '-'} {self.body!r} ({ids})"


class Logs(Sequence[LogRecordView]):
    """The log records of one test, in emit order."""

    def __init__(self, records: Sequence[LogRecordView]) -> None:
        self._records = list(records)

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[LogRecordView]:
        return iter(self._records)

    @overload
    def __getitem__(self, index: int) -> LogRecordView: ...
    @overload
    def __getitem__(self, index: slice) -> Logs: ...
    def __getitem__(self, index: int | slice) -> LogRecordView | Logs:
        if isinstance(index, slice):
            return Logs(self._records[index])
        return self._records[index]

    def __repr__(self) -> str:
        return f"<Logs {[r.body for r in self._records]!r}>"

    @property
    def bodies(self) -> list[Any]:
        return [r.body for r in self._records]

    def filter(
        self,
        body: Expected = None,
        severity: Expected = None,
        attributes: Mapping[str, Expected] | None = None,
    ) -> Logs:
        """Records meeting every criterion; ``severity`` matches the text (``"WARN"``) or number."""
        return Logs(
            [
                r
                for r in self._records
                if (body is None or matches(body, r.body))
                and (
                    severity is None
                    or matches(severity, r.severity_text)
                    or matches(severity, r.severity_number)
                )
                and (attributes is None or attributes_match(attributes, r.attributes))
            ]
        )

    def for_span(self, span: SpanView) -> Logs:
        """Records that carry this span's ids."""
        return Logs(
            [r for r in self._records if (r.trace_id, r.span_id) == (span.trace_id, span.span_id)]
        )

    def uncorrelated(self) -> Logs:
        """Records that carry no trace context."""
        return Logs([r for r in self._records if r.span_id is None])

    def assert_correlated(self) -> None:
        """Every record emitted while a span was current carries that span's ids."""
        __tracebackhide__ = True
        offenders = [
            r
            for r in self._records
            if r.current_span is not None and (r.trace_id, r.span_id) != r.current_span
        ]
        if offenders:
            lines = [
                f"{r.summary()}; span current when emitted: "
                f"trace={r.current_span[0]} span={r.current_span[1]}"
                for r in offenders
                if r.current_span is not None
            ]
            raise TelemetryAssertionError(
                f"{len(offenders)} log record(s) emitted inside a span do not carry its ids "
                "(the code that emits them drops or replaces the trace context):\n" + listing(lines)
            )

    def as_dicts(self) -> list[dict[str, Any]]:
        """Deterministic plain dicts (ids renumbered, times ranked) for snapshot tests."""
        return log_dicts(self, SnapshotNumbering.for_logs(self))
