"""The session capture: active only while a test that asked for telemetry runs.

Outside such tests it does nothing: the global providers are whatever the suite left, the root
logger has no handler of ours, and processors attached earlier to a suite's provider keep
nothing. When a test asks, the capture

- attaches its processors (and, for metrics, a reader) to the SDK providers the suite set, so
  the suite's own processors, exporters, readers, resource and sampler work as before;
- installs its own providers only for a signal where nothing is set, and frees the slot when the
  test ends (or as soon as the suite sets a provider of its own during the test);
- follows a provider the suite sets or replaces during the test;
- adds the stdlib logging bridge to the root logger, and removes it afterwards.

This object is the plugin's one deliberate piece of global state. It keeps strong references
only to what it built; a suite's providers are held for the length of one test at most.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.context import Context
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricsData
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext

from otel_testing._capture import api_globals
from otel_testing._capture.api_globals import Signal
from otel_testing._capture.environment import disabled_reason, sampler_reason
from otel_testing._capture.log_bridge import LogBridge
from otel_testing._capture.metric_accumulation import (
    AccumulatingMetricReader,
    merged_metrics_data,
)
from otel_testing._capture.processors import (
    CaptureLogProcessor,
    CaptureSpanProcessor,
    CurrentSpanAtEmit,
    FixtureTelemetry,
    OpenSpans,
)
from otel_testing._capture.recording import RecordingSwitch, SwitchedTracerProvider
from otel_testing._capture.strays import Strays, span_key


class TelemetryUnavailable(Exception):
    """The test asked for telemetry the capture cannot give it; the message says why and how."""


@dataclass(frozen=True)
class CaptureProblem:
    """Something the capture could not attach to, said so that a person can fix it."""

    message: str


class _OwnProviders:
    """The providers the plugin builds (once per process, on the first test that asks)."""

    def __init__(self, capture: SessionCapture) -> None:
        # Built with the SDK's defaults, so they read the OTEL_* environment as any provider.
        self.tracer_provider = SwitchedTracerProvider(capture.switch)
        self.metric_reader = AccumulatingMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.metric_reader])
        self.logger_provider = LoggerProvider()
        self.log_bridge = LogBridge(self.logger_provider, capture.switch)

    def of(self, signal: Signal) -> object:
        if signal is Signal.TRACES:
            return self.tracer_provider
        if signal is Signal.METRICS:
            return self.meter_provider
        return self.logger_provider


class SessionCapture:
    """In-memory exporters and the attachments of one process, switched on per test."""

    def __init__(self) -> None:
        self.switch = RecordingSwitch()
        self.span_exporter = InMemorySpanExporter()
        self.log_exporter = InMemoryLogRecordExporter()  # type: ignore[no-untyped-call]
        self.open_spans = OpenSpans()
        self.log_notes = CurrentSpanAtEmit()
        self.strays = Strays()
        self.fixture_telemetry = FixtureTelemetry()
        self._span_processor = CaptureSpanProcessor(
            self.switch, self.span_exporter, self.open_spans, self.strays, self.fixture_telemetry
        )
        self._log_processor = CaptureLogProcessor(
            self.switch, self.log_exporter, self.log_notes, self.strays, self.fixture_telemetry
        )
        self._own: _OwnProviders | None = None
        #: Suite providers that already carry our processors (weakly: never kept alive by us).
        self._attached: weakref.WeakSet[Any] = weakref.WeakSet()
        self.active = False
        #: Problems of the running test (a provider we cannot attach to), failing `telemetry`.
        self.problems: list[CaptureProblem] = []
        #: What the current test did that later tests would feel; reported as warnings.
        self.notices: list[str] = []
        # Everything below lives for one test.
        self._current: dict[Signal, Any] = {}
        self._installed: set[Signal] = set()
        self._foreign_readers: list[tuple[MeterProvider, AccumulatingMetricReader]] = []
        self._metrics_problem: str | None = None
        self._stop_watching: Callable[[], None] | None = None
        self._test_name = ""
        self._threads_at_start: frozenset[int] = frozenset()
        self._observables_at_start = 0

    # --- providers ----------------------------------------------------------------------------

    @property
    def own(self) -> _OwnProviders:
        if self._own is None:
            self._own = _OwnProviders(self)
            self._own.tracer_provider.add_span_processor(self._span_processor)
            self._own.logger_provider.add_log_record_processor(self._log_processor)
            for signal in Signal:
                _keep_running(self._own.of(signal), signal, self.notices)
        return self._own

    @property
    def tracer_provider(self) -> TracerProvider:
        """The provider whose spans this test captures: the suite's if it set one, else ours."""
        current = self._current.get(Signal.TRACES)
        return current if isinstance(current, TracerProvider) else self.own.tracer_provider

    @property
    def meter_provider(self) -> MeterProvider:
        current = self._current.get(Signal.METRICS)
        return current if isinstance(current, MeterProvider) else self.own.meter_provider

    @property
    def logger_provider(self) -> LoggerProvider:
        current = self._current.get(Signal.LOGS)
        return current if isinstance(current, LoggerProvider) else self.own.logger_provider

    @property
    def metric_reader(self) -> AccumulatingMetricReader:
        """The reader on the current meter provider (ours on the plugin's own provider)."""
        provider = self.meter_provider
        for attached_to, reader in reversed(self._foreign_readers):
            if attached_to is provider:
                return reader
        return self.own.metric_reader

    @property
    def metric_readers(self) -> list[AccumulatingMetricReader]:
        return [self.own.metric_reader, *(reader for _, reader in self._foreign_readers)]

    def _take(self, signal: Signal, provider: object, when: str) -> None:
        """Capture what the global provider of ``signal`` emits from now on in this test."""
        own = self.own.of(signal)
        if provider is None:
            if api_globals.install(signal, own):
                provider = own
            else:  # set by another thread meanwhile
                provider = api_globals.global_provider(signal)
        if provider is own:
            self._installed.add(signal)  # ours holds the slot: freed when the test ends
        else:
            self._attach(signal, provider, when)
        self._current[signal] = _unwrapped(provider)

    def refresh(self) -> None:
        """Follow providers replaced without the API's setters since the test started.

        logfire's ``configure()`` (the ``capfire`` fixture calls it per test) swaps the SDK
        provider inside the proxy it set once as the global one; a capture fixture set up after
        such a fixture calls this, so the capture is attached to the provider now in use.
        """
        if self.active:
            for signal in Signal:
                self._take(signal, api_globals.global_provider(signal), when="before the test")

    def _attach(self, signal: Signal, provider: Any, when: str) -> None:
        provider = _unwrapped(provider)
        if isinstance(provider, TracerProvider | LoggerProvider):
            if provider not in self._attached:
                if isinstance(provider, TracerProvider):
                    provider.add_span_processor(self._span_processor)
                else:
                    provider.add_log_record_processor(self._log_processor)
                self._attached.add(provider)
        elif isinstance(provider, MeterProvider):
            self._attach_reader(provider)
        elif not _is_api_default(provider):
            self.problems.append(
                CaptureProblem(
                    f"a {type(provider).__module__}.{type(provider).__qualname__} was set as the "
                    f"global OpenTelemetry {signal.value} {when}; otel-testing can attach only "
                    "to the SDK's providers, so what it emits is not captured. Let the code "
                    "take a provider argument and pass the `tracer_provider`, `meter_provider` "
                    "or `logger_provider` fixture."
                )
            )

    def _attach_reader(self, provider: MeterProvider) -> None:
        if any(attached is provider for attached, _ in self._foreign_readers):
            return
        add = getattr(provider, "add_metric_reader", None)
        if add is None:
            self._metrics_problem = (
                "the suite's MeterProvider was built before this test and this SDK version "
                "cannot give a MeterProvider a new reader afterwards, so otel-testing cannot "
                "read its points. Upgrade opentelemetry-sdk (MeterProvider.add_metric_reader), "
                "or build the provider with `metric_readers=[...]` and read that reader."
            )
            return
        # A reader of our own, with its own storage: the suite's readers see the same numbers
        # as without us, and ours starts from zero because it exists only for this test.
        reader = AccumulatingMetricReader()
        add(reader)
        self._foreign_readers.append((provider, reader))

    def _before_set(self, signal: Signal, provider: object) -> None:
        # The suite sets a provider of its own: it gets the slot as if we had never been there.
        if signal in self._installed:
            api_globals.release(signal, self.own.of(signal))
            self._installed.discard(signal)

    def _after_set(self, signal: Signal, provider: object) -> None:
        if provider is not self.own.of(signal):
            # Captured even when the API refused it as the global one: code may use it directly.
            self._attach(signal, provider, when="during the test")
        self._take(signal, api_globals.global_provider(signal), when="during the test")

    # --- one test -----------------------------------------------------------------------------

    def start_test(self, name: str) -> None:
        """Start capturing for a test that asked: attach, install where nothing is set."""
        own = self.own
        self._test_name = name
        self.problems.clear()
        self.notices.clear()
        self.strays.start_test()
        self.forget_captured(drain_metrics=True)
        self.open_spans.clear()
        self._threads_at_start = frozenset(
            thread.ident for thread in threading.enumerate() if thread.ident is not None
        )
        if current_span_context().is_valid:
            # An earlier test left a span current; this one would become its child. Nothing
            # this test can fix, so no warning (the test that left it, if it asked, was told).
            reset_current_context()
        self.switch.on = True
        self.active = True
        for signal in Signal:
            self._take(signal, api_globals.global_provider(signal), when="before the test")
        # Counted after installing: proxy instruments created at import time become real then.
        self._observables_at_start = len(_observable_instruments(own.meter_provider))
        self._stop_watching = api_globals.watch_setters(self._before_set, self._after_set)
        own.log_bridge.attach()

    def start_late(self, name: str, fixture: str) -> None:
        """Start capturing in a test that asked for a fixture only while it was running."""
        if self.active:
            return
        self.start_test(name)
        self.notices.append(
            f"the `{fixture}` fixture was requested while the test was running "
            "(request.getfixturevalue); telemetry emitted before that was not captured. Name "
            "the fixture as an argument of the test."
        )

    def begin_wide_fixture(self) -> None:
        self.switch.in_wide_fixture = True

    def end_wide_fixture(self) -> None:
        self.switch.in_wide_fixture = False
        # Its metric points cannot be told apart once aggregated; they count in no test.
        for reader in self.metric_readers:
            reader.start_test()

    def forget_captured(self, drain_metrics: bool) -> None:
        """Drop the telemetry captured so far; metric values start from zero again if asked."""
        self.span_exporter.clear()
        self.log_exporter.clear()
        self.log_notes.clear()
        self.fixture_telemetry.clear()
        if drain_metrics:
            for reader in self.metric_readers:
                reader.start_test()

    def test_notices(self) -> list[str]:
        """Everything the current test should be told about what it left behind or received."""
        notices = list(self.notices)
        if self._own is not None:
            # Only the plugin's own provider: a provider the test built is the test's business.
            created = _observable_instruments(self._own.meter_provider)[
                self._observables_at_start :
            ]
            if created:
                names = ", ".join(repr(str(getattr(i, "name", "?"))) for i in created)
                notices.append(
                    f"the test created observable instrument(s) {names} on the MeterProvider "
                    "otel-testing installed; OpenTelemetry cannot unregister them, so their "
                    "callbacks keep reporting in every later test of this process. Create "
                    "observable instruments at import time or in a session-scoped fixture."
                )
        stray = self.strays.report()
        if stray is not None:
            notices.append(stray)
        return notices

    def end_test(self) -> None:
        """Stop capturing: detach what is per test, free the slots, let go of the telemetry."""
        if not self.active:
            return
        own = self.own
        own.log_bridge.detach()
        if self._stop_watching is not None:
            self._stop_watching()
            self._stop_watching = None
        self.strays.end_test(self._test_name, self._threads_at_start, self.open_spans.spans())
        self.switch.on = False
        self.switch.in_wide_fixture = False
        self.active = False
        for signal in self._installed:
            api_globals.release(signal, own.of(signal))
        self._installed.clear()
        for provider, reader in self._foreign_readers:
            remove = getattr(provider, "remove_metric_reader", None)
            if remove is not None:
                remove(reader)
        self._foreign_readers.clear()
        self._current.clear()
        self._metrics_problem = None
        self.forget_captured(drain_metrics=False)
        own.metric_reader.clear()
        self.open_spans.clear()
        self.notices.clear()

    # --- reading ------------------------------------------------------------------------------

    def _unavailable(self, *reasons: str | None) -> None:
        found = [reason for reason in reasons if reason]
        if found:
            raise TelemetryUnavailable("otel-testing: " + " ".join(found))

    def finished_spans(self) -> tuple[ReadableSpan, ...]:
        """This test's finished spans, without strays of earlier tests or wide fixtures' spans."""
        provider = self.tracer_provider
        self._unavailable(disabled_reason(provider), sampler_reason(provider))
        excluded = self.fixture_telemetry.spans
        return tuple(
            span
            for span in self.span_exporter.get_finished_spans()
            if not self.strays.is_stray_span(span_key(span)) and span_key(span) not in excluded
        )

    def fixture_spans(self) -> tuple[ReadableSpan, ...]:
        """Spans emitted while fixtures wider than the test were set up in this test's set-up."""
        excluded = self.fixture_telemetry.spans
        return tuple(s for s in self.span_exporter.get_finished_spans() if span_key(s) in excluded)

    def log_records(self) -> tuple[ReadableLogRecord, ...]:
        """This test's log records, without strays of earlier tests or wide fixtures' records."""
        bridge_gone = None
        if self.own.log_bridge.removed_during_test():
            bridge_gone = (
                "the stdlib logging bridge was removed from the root logger during this test "
                "(logging.basicConfig(force=True) or logging.config.dictConfig replace the root "
                "logger's handlers), so records logged after that were not captured. Configure "
                "logging before the test, or in a fixture that runs before it asks for "
                "`telemetry`."
            )
        self._unavailable(disabled_reason(self.logger_provider), bridge_gone)
        excluded = self.fixture_telemetry.logs
        return tuple(
            record
            for record in self.log_exporter.get_finished_logs()
            if not self.strays.is_stray_log(record.log_record)
            and id(record.log_record) not in excluded
        )

    def fixture_log_records(self) -> tuple[ReadableLogRecord, ...]:
        excluded = self.fixture_telemetry.logs
        return tuple(
            r for r in self.log_exporter.get_finished_logs() if id(r.log_record) in excluded
        )

    def metrics_data(self) -> MetricsData:
        """What every captured meter provider recorded since the test started."""
        self._unavailable(disabled_reason(self.meter_provider), self._metrics_problem)
        return merged_metrics_data(self.metric_readers)


_SDK_PROVIDERS = (TracerProvider, MeterProvider, LoggerProvider)


def _unwrapped(provider: Any) -> Any:
    """The SDK provider inside a wrapper that delegates to one (logfire's proxy providers)."""
    for _ in range(3):
        inner = getattr(provider, "provider", None)
        if isinstance(provider, _SDK_PROVIDERS) or inner is None:
            break
        provider = inner
    return provider


def _is_api_default(provider: object) -> bool:
    """The API's own proxy and no-op providers: nothing is set, nothing to attach to."""
    kind = type(provider)
    return kind.__module__.startswith("opentelemetry.") and kind.__name__.startswith(
        ("Proxy", "_Proxy", "NoOp")
    )


def _keep_running(provider: object, signal: Signal, notices: list[str]) -> None:
    # The plugin's providers must outlive every test; a test that exercises an application's
    # shutdown path would otherwise end capturing for the rest of the process. (The SDK's exit
    # handler holds the original bound method and still shuts down at exit.)
    flush = provider.force_flush  # type: ignore[attr-defined]

    def shutdown(*args: object, **kwargs: object) -> None:
        flush()
        notices.append(
            f"the test called shutdown() on the {signal.value} that otel-testing installed "
            "for the test; it was flushed and kept running, so that later tests are still "
            "captured. To test a shutdown path, give the code a provider of its own."
        )

    provider.shutdown = shutdown  # type: ignore[attr-defined]


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
