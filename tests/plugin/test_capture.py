"""Capture: providers installed per asking test, import-time instruments, isolation, leaks."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

APP = """
import logging
from opentelemetry import metrics, trace

tracer = trace.get_tracer(__name__)
meter = metrics.get_meter(__name__)
requests_total = meter.create_counter("app.requests", unit="{request}")
in_flight = meter.create_up_down_counter("app.in_flight", unit="{request}")
duration = meter.create_histogram("app.duration", unit="s")
log = logging.getLogger("app")


def handle(seconds):
    with tracer.start_as_current_span("handle") as span:
        span.set_attribute("app.seconds", seconds)
        with tracer.start_as_current_span("query"):
            log.warning("querying")
        requests_total.add(1, {"app.route": "/items"})
        in_flight.add(1)
        duration.record(seconds)
"""


def test_import_time_tracer_and_instruments_start_from_zero_in_each_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        test_two="""
        import app

        def test_first(telemetry):
            app.handle(3.0)
            app.handle(5.0)
            assert telemetry.spans.names == ["handle", "query", "handle", "query"]
            assert telemetry.metrics.value("app.requests") == 2
            assert telemetry.metrics.value("app.in_flight") == 2
            h = telemetry.metrics.histogram("app.duration")
            assert (h.count, h.sum, h.min, h.max) == (2, 8.0, 3.0, 5.0)

        def test_second(telemetry):
            app.handle(1.0)
            assert telemetry.spans.names == ["handle", "query"]
            assert telemetry.metrics.value("app.requests", {"app.route": "/items"}) == 1
            assert telemetry.metrics.value("app.in_flight") == 1
            h = telemetry.metrics.histogram("app.duration")
            assert (h.count, h.sum, h.min, h.max) == (1, 1.0, 1.0, 1.0)
            # Reading twice must not lose what the first read collected.
            assert telemetry.metrics.value("app.requests") == 1
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_exporters_are_emptied_between_tests_even_without_the_fixture(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        test_leak="""
        import app

        def test_emits_without_asking():
            app.handle(1.0)

        def test_starts_empty(span_exporter, log_exporter, metric_reader, telemetry):
            assert span_exporter.get_finished_spans() == ()
            assert log_exporter.get_finished_logs() == ()
            assert telemetry.metrics.names == []
            assert len(telemetry.logs) == 0
        """
    )
    # A process of its own: an observable instrument that an earlier test of this worker created
    # keeps reporting (the SDK cannot unregister it), and in-process runs share that provider.
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_providers_fixtures_are_the_capturing_globals(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from opentelemetry import metrics, trace, _logs

        def emit(tracer_provider, meter_provider):
            with tracer_provider.get_tracer("lib").start_as_current_span("explicit"):
                pass
            meter_provider.get_meter("lib").create_counter("lib.calls").add(4)

        def test_fixtures(telemetry, tracer_provider, meter_provider, logger_provider):
            assert trace.get_tracer_provider() is tracer_provider
            assert metrics.get_meter_provider() is meter_provider
            assert _logs.get_logger_provider() is logger_provider
            emit(tracer_provider, meter_provider)
            assert telemetry.spans.one(name="explicit").scope.name == "lib"
            assert telemetry.metrics.value("lib.calls") == 4
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


def test_disabled_with_p_no(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from opentelemetry import trace

        def test_globals_untouched():
            assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"

        def test_no_fixture(telemetry):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:otel_testing", "-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*fixture 'telemetry' not found*"])


def test_code_that_sets_its_own_sdk_provider_is_still_captured(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from opentelemetry import metrics, trace
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        def test_own_providers(telemetry):
            own_exporter = InMemorySpanExporter()
            provider = TracerProvider()
            batch = BatchSpanProcessor(own_exporter, schedule_delay_millis=60_000)
            provider.add_span_processor(batch)
            trace.set_tracer_provider(provider)  # the plugin's own gives the slot up
            own_meters = MeterProvider()
            metrics.set_meter_provider(own_meters)

            with provider.get_tracer("own").start_as_current_span("direct"):
                pass
            own_meters.get_meter("own").create_counter("own.calls").add(2)

            assert telemetry.spans.names == ["direct"]
            assert trace.get_tracer_provider() is provider
            # The capture is synchronous: the suite's batch processor is left to its own timing.
            assert own_exporter.get_finished_spans() == ()
            provider.force_flush()
            assert [s.name for s in own_exporter.get_finished_spans()] == ["direct"]
            assert telemetry.metrics.value("own.calls") == 2

        def test_batch_processor_on_the_global_provider_keeps_its_timing(telemetry):
            exporter = InMemorySpanExporter()
            trace.get_tracer_provider().add_span_processor(
                BatchSpanProcessor(exporter, schedule_delay_millis=60_000)
            )
            with trace.get_tracer("x").start_as_current_span("batched"):
                pass
            assert telemetry.spans.names == ["batched"]
            assert exporter.get_finished_spans() == ()
        """
    )
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=2)


def test_a_provider_the_plugin_cannot_attach_to_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from opentelemetry import trace

        class HomeMadeProvider(trace.TracerProvider):
            def get_tracer(self, *args, **kwargs):
                return trace.NoOpTracer()

        def test_home_made(telemetry):
            trace.set_tracer_provider(HomeMadeProvider())
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*HomeMadeProvider was set as the global OpenTelemetry TracerProvider during the test*"]
    )


def test_stdlib_logs_inside_a_span_are_correlated(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        """
        import logging
        import app

        def test_correlated(telemetry):
            app.handle(1.0)
            logging.getLogger("outside").error("no span here")
            query = telemetry.spans.one(name="query")
            (record,) = telemetry.logs.for_span(query)
            assert record.body == "querying"
            assert record.severity_text == "WARN"
            assert (record.trace_id, record.span_id) == (query.trace_id, query.span_id)
            assert telemetry.logs.uncorrelated().bodies == ["no span here"]
            telemetry.logs.assert_correlated()
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


def test_assert_correlated_lists_records_with_the_wrong_context(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from opentelemetry import trace
        from opentelemetry._logs import LogRecord

        def test_stale(telemetry, logger_provider):
            tracer = trace.get_tracer("t")
            with tracer.start_as_current_span("earlier") as earlier:
                pass
            stale = trace.set_span_in_context(earlier)
            with tracer.start_as_current_span("now"):
                logger_provider.get_logger("x").emit(LogRecord(body="stale", context=stale))
            telemetry.logs.assert_correlated()
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*1 log record(s) emitted inside a span do not carry its ids*", "*'stale'*span current*"]
    )


def test_logging_instrumentor_records_are_captured_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import logging
        from opentelemetry import trace
        from opentelemetry.instrumentation.logging import LoggingInstrumentor

        def test_instrumented(telemetry):
            LoggingInstrumentor().instrument()
            try:
                with trace.get_tracer("t").start_as_current_span("work") as span:
                    logging.getLogger("app").warning("once")
            finally:
                LoggingInstrumentor().uninstrument()
            assert telemetry.logs.bodies == ["once"]
            assert telemetry.logs[0].span_id == telemetry.spans.one(name="work").span_id
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_spans_left_open_or_current_are_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from opentelemetry import context, trace

        tracer = trace.get_tracer(__name__)

        def test_leaves_span_open(telemetry):
            tracer.start_span("forgotten")

        def test_leaves_context_attached(telemetry):
            # An incoming request's context, attached and never detached.
            incoming = trace.SpanContext(trace_id=0xABC, span_id=0xDEF, is_remote=True)
            context.attach(trace.set_span_in_context(trace.NonRecordingSpan(incoming)))

        def test_leaves_context_attached_without_asking():
            # Not told (it did not ask), but the next test that asks still starts clean.
            incoming = trace.SpanContext(trace_id=0xABC, span_id=0x123, is_remote=True)
            context.attach(trace.set_span_in_context(trace.NonRecordingSpan(incoming)))

        def test_next_starts_clean(telemetry):
            assert not trace.get_current_span().get_span_context().is_valid
            with tracer.start_as_current_span("fresh"):
                pass
            assert telemetry.spans.one(name="fresh").parent is None
            assert telemetry.spans.one().parent_span_id is None
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:randomly")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "*1 span(s) were still open when the test ended: 'forgotten'*",
            "*OpenTelemetryLeakWarning: span 0000000000000def was still the current span*",
        ]
    )
    result.stdout.no_fnmatch_line("*span 0000000000000123 was still the current span*")


def test_tests_that_name_no_capture_fixture_see_no_sdk(pytester: pytest.Pytester) -> None:
    # They did not ask, so they see what they would see without the plugin: the API's no-op
    # tracer (invalid ids, an incoming context passed on as is), before and after tests that
    # record, even through a module-level proxy tracer that resolved to the plugin's provider.
    pytester.makepyfile(
        """
        import logging
        from opentelemetry import trace

        tracer = trace.get_tracer(__name__)

        def test_without_fixture():
            assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
            with tracer.start_as_current_span("unrecorded") as span:
                assert not span.get_span_context().is_valid
                assert not span.is_recording()

        def test_one_that_records(span_exporter):
            with tracer.start_as_current_span("recorded") as span:
                assert span.is_recording()

        def test_without_fixture_again():
            test_without_fixture()

        def test_without_fixture_an_incoming_context_carries_on():
            from opentelemetry.trace import (
                NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context,
            )

            incoming = SpanContext(
                trace_id=0xABC, span_id=0xDEF, is_remote=True, trace_flags=TraceFlags(1)
            )
            outer = set_span_in_context(NonRecordingSpan(incoming))
            with tracer.start_as_current_span("inner", context=outer) as span:
                assert span.get_span_context() == incoming
                assert not span.is_recording()

        def test_with_span_exporter(span_exporter):
            with tracer.start_as_current_span("recorded") as span:
                assert span.is_recording()
            assert [s.name for s in span_exporter.get_finished_spans()] == ["recorded"]

        def test_requested_late(request):
            with tracer.start_as_current_span("before"):
                logging.getLogger("t").warning("before")
            telemetry = request.getfixturevalue("telemetry")
            with tracer.start_as_current_span("after"):
                pass
            assert telemetry.spans.names == ["after"]
            assert telemetry.logs.bodies == []
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(
        ["*the `telemetry` fixture was requested while the test was running*"]
    )
    without = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:otel_testing")
    without.assert_outcomes(passed=3, failed=1, errors=2)
    # Under --otel-strict every test's telemetry is judged, so every test records.
    strict = pytester.runpytest_subprocess("-p", "no:randomly", "--otel-strict")
    strict.assert_outcomes(passed=2, failed=4)
    # A summary line ends with the test's name, or with " - " and the reason when the terminal is
    # wide enough for it.
    strict.stdout.re_match_lines(
        [
            rf"FAILED \S+::{name}( - .*)?$"
            for name in (
                "test_without_fixture",
                "test_without_fixture_again",
                "test_without_fixture_an_incoming_context_carries_on",
                "test_requested_late",
            )
        ]
    )
    strict.stdout.no_re_match_line(r".*AttributeError")


def test_an_application_that_sets_up_its_own_sdk_propagates_as_without_the_plugin(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        myapp="""
        from opentelemetry import propagate, trace
        from opentelemetry.sdk.trace import TracerProvider

        trace.set_tracer_provider(TracerProvider())  # as services do at import
        tracer = trace.get_tracer(__name__)

        def outgoing_headers():
            with tracer.start_as_current_span("call downstream"):
                headers = {}
                propagate.inject(headers)
                return headers
        """,
        test_app="""
        import myapp

        def test_traceparent_is_propagated():
            flags = myapp.outgoing_headers()["traceparent"].split("-")[-1]
            assert int(flags, 16) & 1  # sampled, by the application's own provider

        def test_and_captured_where_asked(telemetry):
            myapp.outgoing_headers()
            assert telemetry.spans.names == ["call downstream"]

        def test_and_again_after_that():
            test_traceparent_is_propagated()
        """,
    )
    pytester.makeconftest("import myapp\n")
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=3)


def test_a_strict_marker_a_fixture_applies_is_honoured(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from opentelemetry import trace

        tracer = trace.get_tracer("x")

        @pytest.fixture
        def strict_please(request):
            request.applymarker(pytest.mark.otel_strict)

        def test_dynamic(strict_please, span_exporter):
            with tracer.start_as_current_span("GET", kind=trace.SpanKind.SERVER) as span:
                span.set_attribute("http.method", "GET")  # deprecated
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*http.method*"])
