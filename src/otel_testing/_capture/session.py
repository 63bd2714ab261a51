"""The session capture: SDK providers installed as the OpenTelemetry globals, exporting in memory.

OpenTelemetry lets a process set each global provider once, and tracers or meters obtained early
stay bound to what they resolved first. So the capture is installed once per process (per xdist
worker), before conftest files and test modules are imported, and is never replaced; tests are
isolated by clearing what it holds when each test starts, not by swapping providers.

This object is the plugin's one deliberate piece of global state.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from opentelemetry import _logs as logs_api
from opentelemetry import context as context_api
from opentelemetry import metrics as metrics_api
from opentelemetry import trace as trace_api
from opentelemetry._logs import _internal as logs_api_internal
from opentelemetry.context import Context
from opentelemetry.metrics import _internal as metrics_api_internal
from opentelemetry.sdk._logs import (
    LoggerProvider,
    LoggingHandler,
    LogRecordProcessor,
    ReadableLogRecord,
    ReadWriteLogRecord,
)
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext

from otel_testing._capture.metric_accumulation import AccumulatingMetricReader
from otel_testing._capture.recording import RecordingSwitch, SwitchedTracerProvider
from otel_testing._capture.strays import StrayLogs, Strays, StraySpans, span_key


@dataclass(frozen=True)
class CaptureProblem:
    """Something the capture could not take over, said so that a person can fix it."""

    message: str


class OpenSpans(SpanProcessor):
    """Remembers spans that started and have not ended yet, to report spans a test left open."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[tuple[int, int], ReadableSpan] = {}

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        with self._lock:
            self._open[span_key(span)] = span

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:
            # The SDK hands on_end a read-only copy, so spans are matched by their ids.
            self._open.pop(span_key(span), None)

    def spans(self) -> list[ReadableSpan]:
        with self._lock:
            return list(self._open.values())

    def clear(self) -> None:
        with self._lock:
            self._open.clear()


class CurrentSpanAtEmit(LogRecordProcessor):
    """Notes which span was current in the emitting thread when each log record was emitted.

    The record carries the ids its emitter chose; comparing them with this note is how
    ``assert_correlated`` finds records that lost (or were given the wrong) trace context.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._notes: list[tuple[object, SpanContext]] = []

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        current = trace_api.get_current_span().get_span_context()
        with self._lock:
            self._notes.append((log_record.log_record, current))

    def current_span_of(self) -> dict[int, SpanContext]:
        """Span context current at emit time, keyed by ``id()`` of the record's API log record."""
        with self._lock:
            return {id(record): current for record, current in self._notes}

    def clear(self) -> None:
        with self._lock:
            self._notes.clear()

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


class _SessionSpanProcessor(SimpleSpanProcessor):
    """Exports into the session's exporter, which outlives every provider it is attached to.

    Code under test may shut down a provider (its own, or the global one); the SDK passes that on
    to every processor, and the stock processor would then stop the shared exporter for the rest
    of the session. Flushing is all a shutdown may do here.
    """

    def shutdown(self) -> None:
        self.force_flush()


class _SessionLogProcessor(SimpleLogRecordProcessor):
    """The log counterpart of ``_SessionSpanProcessor``: a provider's shutdown only flushes.

    It also stands aside while the test does not record (the session's tracers then start no
    spans; log records have no such switch).
    """

    def __init__(self, exporter: InMemoryLogRecordExporter, switch: RecordingSwitch) -> None:
        super().__init__(exporter)
        self._switch = switch

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        if self._switch.on:
            super().on_emit(log_record)

    def shutdown(self) -> None:
        self.force_flush()


def _is_otel_logging_handler(handler: logging.Handler) -> bool:
    kind = type(handler)
    return kind.__name__ == "LoggingHandler" and kind.__module__.startswith("opentelemetry")


class _StdlibLogBridge(LoggingHandler):
    """The SDK's logging handler, standing aside when an instrumentation installed its own.

    ``LoggingInstrumentor().instrument()`` adds an OpenTelemetry handler to the root logger that
    exports through the global (the plugin's) logger provider; emitting here too would capture
    every record twice.
    """

    def __init__(self, logger_provider: LoggerProvider, switch: RecordingSwitch) -> None:
        super().__init__(logger_provider=logger_provider)
        self._switch = switch

    def emit(self, record: logging.LogRecord) -> None:
        if not self._switch.on:
            return
        root_handlers = logging.getLogger().handlers
        if any(h is not self and _is_otel_logging_handler(h) for h in root_handlers):
            return
        super().emit(record)


class SessionCapture:
    """Providers, in-memory exporters and the metric reader of one process."""

    def __init__(self) -> None:
        self.span_exporter = InMemorySpanExporter()
        self.log_exporter = InMemoryLogRecordExporter()  # type: ignore[no-untyped-call]
        self.metric_reader = AccumulatingMetricReader()
        self.open_spans = OpenSpans()
        self.log_notes = CurrentSpanAtEmit()
        self.strays = Strays()
        self._stray_spans = StraySpans(self.strays)
        self._stray_logs = StrayLogs(self.strays)
        self._span_processor = _SessionSpanProcessor(self.span_exporter)
        self.recording = RecordingSwitch()
        self._log_processor = _SessionLogProcessor(self.log_exporter, self.recording)

        self.tracer_provider: TracerProvider = SwitchedTracerProvider(self.recording)
        self.meter_provider: MeterProvider = MeterProvider(metric_readers=[self.metric_reader])
        self.logger_provider: LoggerProvider = LoggerProvider()
        self._attach_tracing(self.tracer_provider)
        self._attach_logging(self.logger_provider)

        self.metric_readers: list[AccumulatingMetricReader] = [self.metric_reader]
        self.tracer_providers: list[TracerProvider] = [self.tracer_provider]
        self.meter_providers: list[MeterProvider] = [self.meter_provider]
        self.logger_providers: list[LoggerProvider] = [self.logger_provider]
        self.problems: list[CaptureProblem] = []
        #: Problems found when installing, reported to every test that asks for telemetry.
        self.session_problems: list[CaptureProblem] = []
        #: What the current test did that later tests would feel; reported as warnings.
        self.notices: list[str] = []
        self._test_name = ""
        self._threads_at_start: frozenset[int] = frozenset()
        self._observables_at_start: dict[int, int] = {}
        for provider, kind in (
            (self.tracer_provider, "TracerProvider"),
            (self.meter_provider, "MeterProvider"),
            (self.logger_provider, "LoggerProvider"),
        ):
            self._keep_running(provider, kind)
        self._restore_setters: list[Callable[[], None]] = []
        self._log_bridge: logging.Handler | None = None
        self._active_sessions = 0

    # --- installing ---------------------------------------------------------------------------

    def _attach_tracing(self, provider: TracerProvider) -> None:
        provider.add_span_processor(self.open_spans)
        provider.add_span_processor(self._stray_spans)
        provider.add_span_processor(self._span_processor)

    def _attach_logging(self, provider: LoggerProvider) -> None:
        provider.add_log_record_processor(self.log_notes)
        provider.add_log_record_processor(self._stray_logs)
        provider.add_log_record_processor(self._log_processor)

    def _keep_running(
        self, provider: TracerProvider | MeterProvider | LoggerProvider, kind: str
    ) -> None:
        # The session's providers must outlive every test; a test that exercises an
        # application's shutdown path would otherwise end capturing for the rest of the process.
        # (The SDK's exit handler holds the original bound method and still shuts down at exit.)
        flush = provider.force_flush

        def shutdown(*args: object, **kwargs: object) -> None:
            flush()
            self.notices.append(
                f"the test called shutdown() on the {kind} that otel-testing installed for the "
                "session; it was flushed and kept running, so that later tests are still "
                "captured. To test a shutdown path, give the code a provider of its own."
            )

        provider.shutdown = shutdown  # type: ignore[method-assign]

    def install_globals(self) -> None:
        """Make the providers global, or attach to SDK providers that were set before us."""
        trace_api.set_tracer_provider(self.tracer_provider)
        metrics_api.set_meter_provider(self.meter_provider)
        logs_api.set_logger_provider(self.logger_provider)
        for provider in (
            trace_api.get_tracer_provider(),
            metrics_api.get_meter_provider(),
            logs_api.get_logger_provider(),
        ):
            self.adopt(provider, when="before the test session started")
        self.session_problems.extend(self.problems)
        self.problems.clear()
        self._wrap_provider_setters()

    def adopt(self, provider: object, when: str) -> None:
        """Capture what ``provider`` emits too: attach to an SDK provider, else record a problem."""
        if provider in (self.tracer_provider, self.meter_provider, self.logger_provider):
            return
        if isinstance(provider, TracerProvider):
            if provider not in self.tracer_providers:
                self._attach_tracing(provider)
                self.tracer_providers.append(provider)
            if trace_api.get_tracer_provider() is provider:
                self.tracer_provider = provider
        elif isinstance(provider, MeterProvider):
            if provider not in self.meter_providers:
                # A reader belongs to one MeterProvider, so each adopted provider gets its own.
                reader = AccumulatingMetricReader()
                provider.add_metric_reader(reader)
                self.metric_readers.append(reader)
                self.meter_providers.append(provider)
            if metrics_api.get_meter_provider() is provider:
                self.meter_provider = provider
        elif isinstance(provider, LoggerProvider):
            if provider not in self.logger_providers:
                self._attach_logging(provider)
                self.logger_providers.append(provider)
            if logs_api.get_logger_provider() is provider:
                self.logger_provider = provider
        elif type(provider).__name__.startswith(("Proxy", "NoOp")):
            return
        else:
            self.problems.append(
                CaptureProblem(
                    f"a {type(provider).__module__}.{type(provider).__qualname__} was set as a "
                    f"global OpenTelemetry provider {when}; otel-testing can attach only to the "
                    "SDK's providers, so what it emits is not captured. Set providers only "
                    "outside tests, or let the code take a provider argument and pass the "
                    "`tracer_provider`, `meter_provider` or `logger_provider` fixture."
                )
            )

    def _wrap_provider_setters(self) -> None:
        # The API offers no hook to learn that code tried to replace a global provider; its only
        # signal is a log line without the provider. Wrapping the module-level setter that the
        # public ``set_*_provider`` functions call at run time is the one way to get the object
        # and attach to it, so that code which then uses its own provider is still captured.
        targets: list[tuple[ModuleType, str]] = [
            (trace_api, "_set_tracer_provider"),
            (metrics_api_internal, "_set_meter_provider"),
            (logs_api_internal, "_set_logger_provider"),
        ]
        for module, name in targets:
            original = getattr(module, name, None)
            if original is None:
                continue
            self._restore_setters.append(_wrap_setter(module, name, original, self))

    def start_session(self) -> None:
        """Install (first session in this process) and attach the stdlib logging bridge."""
        self._active_sessions += 1
        if self._active_sessions > 1:
            return
        if not self._restore_setters:
            self.install_globals()
        with warnings.catch_warnings():
            # The SDK marks its handler deprecated in favour of opentelemetry-instrumentation-
            # logging's, which is not a dependency of ours; the SDK one does the same job.
            warnings.simplefilter("ignore", DeprecationWarning)
            self._log_bridge = _StdlibLogBridge(self.logger_provider, self.recording)
        logging.getLogger().addHandler(self._log_bridge)

    def end_session(self) -> None:
        self._active_sessions -= 1
        if self._active_sessions > 0:
            return
        if self._log_bridge is not None:
            logging.getLogger().removeHandler(self._log_bridge)
            self._log_bridge = None
        self.flush()
        self.start_test(drain_metrics=False)

    # --- one test -----------------------------------------------------------------------------

    def start_test(self, drain_metrics: bool, name: str = "", record: bool = True) -> None:
        """Forget everything earlier tests left behind; record spans and logs if ``record``."""
        self.recording.on = record
        self.forget_captured(drain_metrics)
        self.open_spans.clear()
        self.problems.clear()
        self.notices.clear()
        self.strays.start_test()
        self._test_name = name
        self._threads_at_start = frozenset(
            thread.ident for thread in threading.enumerate() if thread.ident is not None
        )
        self._observables_at_start = {
            id(provider): len(_observable_instruments(provider))
            for provider in self.meter_providers
        }

    def forget_captured(self, drain_metrics: bool) -> None:
        """Drop the telemetry captured so far; metric values start from zero again if asked."""
        self.span_exporter.clear()
        self.log_exporter.clear()
        self.log_notes.clear()
        if drain_metrics:
            for reader in self.metric_readers:
                reader.start_test()

    def record_from_now(self, fixture: str) -> None:
        """Record from here on in a test that did not name a capturing fixture up front."""
        if self.recording.on:
            return
        self.recording.on = True
        self.notices.append(
            f"the `{fixture}` fixture was requested while the test was running "
            "(request.getfixturevalue); spans and log records emitted before that were not "
            "recorded. Name the fixture as an argument of the test."
        )

    def test_notices(self) -> list[str]:
        """Everything the current test should be told about what it left behind or received."""
        notices = list(self.notices)
        created = [
            str(getattr(instrument, "name", "?"))
            for provider in self.meter_providers
            for instrument in _observable_instruments(provider)[
                self._observables_at_start.get(id(provider), 0) :
            ]
        ]
        if created:
            names = ", ".join(repr(name) for name in created)
            notices.append(
                f"the test created observable instrument(s) {names}; OpenTelemetry cannot "
                "unregister them, so their callbacks keep reporting in every later test of this "
                "process. Create observable instruments at import time or in a session-scoped "
                "fixture, or give the code the `meter_provider` fixture's provider only where "
                "that is intended."
            )
        stray = self.strays.report()
        if stray is not None:
            notices.append(stray)
        return notices

    def end_test(self) -> None:
        """Let go of this test's telemetry, so a long suite does not grow from test to test."""
        self.strays.end_test(
            self._test_name,
            self._threads_at_start,
            (span_key(span) for span in self.open_spans.spans()),
        )
        self.span_exporter.clear()
        self.log_exporter.clear()
        self.log_notes.clear()
        self.open_spans.clear()
        self.notices.clear()
        for reader in self.metric_readers:
            reader.clear()

    def flush(self) -> None:
        """Flush batch processors that code under test attached, before anything reads."""
        for tracer_provider in self.tracer_providers:
            tracer_provider.force_flush()
        for logger_provider in self.logger_providers:
            logger_provider.force_flush()

    def finished_spans(self) -> tuple[ReadableSpan, ...]:
        """This test's finished spans, without those that earlier tests left running."""
        self.flush()
        return tuple(
            span
            for span in self.span_exporter.get_finished_spans()
            if not self.strays.is_stray_span(span_key(span))
        )

    def log_records(self) -> tuple[ReadableLogRecord, ...]:
        """This test's log records, without those of threads that earlier tests left running."""
        self.flush()
        return tuple(
            record
            for record in self.log_exporter.get_finished_logs()
            if not self.strays.is_stray_log(record.log_record)
        )


def _wrap_setter(
    module: ModuleType, name: str, original: Callable[..., Any], capture: SessionCapture
) -> Callable[[], None]:
    def setter(provider: Any, log: bool) -> None:
        original(provider, log)
        capture.adopt(provider, when="during the test")

    setattr(module, name, setter)

    def restore() -> None:
        setattr(module, name, original)

    return restore


def _observable_instruments(provider: MeterProvider) -> list[Any]:
    """The provider's asynchronous instruments, in the order they were created."""
    # The SDK keeps them in a private list and offers no public way to enumerate instruments;
    # an SDK without it just means no notice about observables created during a test.
    consumer = getattr(provider, "_measurement_consumer", None)
    instruments = getattr(consumer, "_async_instruments", None)
    return instruments if isinstance(instruments, list) else []


def current_span_context() -> SpanContext:
    return trace_api.get_current_span().get_span_context()


def reset_current_context() -> None:
    """Start the thread afresh with an empty context (after a test left a span current)."""
    context_api.attach(Context())


_SESSION: SessionCapture | None = None


def session_capture() -> SessionCapture:
    """The process's capture, created on first use."""
    global _SESSION
    if _SESSION is None:
        _SESSION = SessionCapture()
    return _SESSION
