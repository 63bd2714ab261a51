"""The span and log processors the plugin attaches to providers: its own, or the suite's.

Each provider gets one of each. They keep nothing unless a test that asked for telemetry is
running (the switch), so a suite's provider that they were attached to in one test works in every
other test as if they were not there. A provider's shutdown never stops them: the session's
capture outlives every provider it is attached to.
"""

from __future__ import annotations

import threading

from opentelemetry import trace as trace_api
from opentelemetry.context import Context
from opentelemetry.sdk._logs import ReadWriteLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext

from otel_testing._capture.recording import RecordingSwitch
from otel_testing._capture.strays import Strays, span_key


class OpenSpans:
    """Spans that started and have not ended yet, to report spans a test left open."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[int, ReadableSpan] = {}

    def started(self, span: ReadableSpan) -> None:
        with self._lock:
            self._open[span_key(span)] = span

    def ended(self, span: ReadableSpan) -> bool:
        """Forget ``span``; True if it started while this test was capturing."""
        with self._lock:
            return self._open.pop(span_key(span), None) is not None

    def spans(self) -> list[ReadableSpan]:
        with self._lock:
            return list(self._open.values())

    def clear(self) -> None:
        with self._lock:
            self._open.clear()


class CurrentSpanAtEmit:
    """Notes which span was current in the emitting thread when each log record was emitted.

    The record carries the ids its emitter chose; comparing them with this note is how
    ``assert_correlated`` finds records that lost (or were given the wrong) trace context.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._notes: list[tuple[object, SpanContext]] = []

    def note(self, record: object) -> None:
        current = trace_api.get_current_span().get_span_context()
        with self._lock:
            self._notes.append((record, current))

    def current_span_of(self) -> dict[int, SpanContext]:
        """Span context current at emit time, keyed by ``id()`` of the record's API log record."""
        with self._lock:
            return {id(record): current for record, current in self._notes}

    def clear(self) -> None:
        with self._lock:
            self._notes.clear()


class FixtureTelemetry:
    """What was emitted while a fixture wider than the test was being set up.

    It belongs to no test (a session fixture is set up in whichever test uses it first), so the
    views leave it out; ``telemetry.fixture_spans`` and ``fixture_logs`` offer it on request.
    Entries keep their span context or record alive, so their ``id()`` stays theirs.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.spans: dict[int, object] = {}
        self.logs: dict[int, object] = {}

    def add_span(self, span: ReadableSpan) -> None:
        with self._lock:
            self.spans[span_key(span)] = span.get_span_context()

    def add_log(self, record: object) -> None:
        with self._lock:
            self.logs[id(record)] = record

    def clear(self) -> None:
        with self._lock:
            self.spans.clear()
            self.logs.clear()


class CaptureSpanProcessor(SpanProcessor):
    """Open spans, strays, fixture spans and the in-memory exporter, fed while the switch is on."""

    def __init__(
        self,
        switch: RecordingSwitch,
        exporter: InMemorySpanExporter,
        open_spans: OpenSpans,
        strays: Strays,
        fixtures: FixtureTelemetry,
    ) -> None:
        self._switch = switch
        self._exporter = exporter
        self._open_spans = open_spans
        self._strays = strays
        self._fixtures = fixtures

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        if not self._switch.on:
            return
        self._open_spans.started(span)
        self._strays.span_started(span_key(span))
        if self._switch.in_wide_fixture:
            self._fixtures.add_span(span)

    def on_end(self, span: ReadableSpan) -> None:
        if not self._switch.on:
            return
        started_in_this_test = self._open_spans.ended(span)
        self._strays.span_ended(span_key(span))
        # A span that started before the test (in a test that did not ask, on a suite's provider
        # this processor is attached to; or left open by an earlier test) is not this test's.
        context = span.context
        if started_in_this_test and context is not None and context.trace_flags.sampled:
            self._exporter.export((span,))

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


class CaptureLogProcessor(SimpleLogRecordProcessor):
    """The log counterpart: notes, strays, fixture records and the exporter, while switched on.

    The SDK's simple processor does the exporting (it guards against recursion); only its
    shutdown is replaced, by nothing.
    """

    def __init__(
        self,
        switch: RecordingSwitch,
        exporter: InMemoryLogRecordExporter,
        notes: CurrentSpanAtEmit,
        strays: Strays,
        fixtures: FixtureTelemetry,
    ) -> None:
        super().__init__(exporter)
        self._switch = switch
        self._notes = notes
        self._strays = strays
        self._fixtures = fixtures

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        if not self._switch.on:
            return
        record = log_record.log_record
        self._notes.note(record)
        self._strays.log_emitted(record)
        if self._switch.in_wide_fixture:
            self._fixtures.add_log(record)
        super().on_emit(log_record)

    def shutdown(self) -> None:
        return None
