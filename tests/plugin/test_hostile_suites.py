"""Suites that misbehave: each offending test is told what it did, and later tests still capture
exactly their own telemetry.

Every suite here runs in a pytest subprocess of its own in a fixed order (``-p no:randomly``), so
that a test which breaks the capture can only break the tests written after it.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

# The test that follows every offender: it must see its own span, log and counter value only.
CLEAN_TEST = """

def test_zz_next_test_sees_only_its_own(telemetry):
    import logging
    from opentelemetry import metrics, trace
    with trace.get_tracer("next").start_as_current_span("next-span"):
        logging.getLogger("next").warning("next-log")
    metrics.get_meter("next").create_counter("next.calls").add(1)
    assert telemetry.spans.names == ["next-span"]
    assert telemetry.logs.bodies == ["next-log"]
    assert telemetry.metrics.names == ["next.calls"]
    assert telemetry.metrics.value("next.calls") == 1
"""


def _run(pytester: pytest.Pytester, suite: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_suite=suite + CLEAN_TEST)
    return pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", *args)


def test_a_test_that_raises_inside_a_span(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
from opentelemetry import trace

def test_raises(telemetry):
    with trace.get_tracer("t").start_as_current_span("failing"):
        raise RuntimeError("boom")
""",
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*RuntimeError: boom*"])


def test_a_provider_shut_down_by_a_test_keeps_capturing(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
import logging
from opentelemetry import _logs, metrics, trace

def test_shuts_the_global_providers_down(telemetry):
    with trace.get_tracer("t").start_as_current_span("before-shutdown"):
        logging.getLogger("t").warning("before-log")
    trace.get_tracer_provider().shutdown()
    metrics.get_meter_provider().shutdown()
    _logs.get_logger_provider().shutdown()
    # What was emitted before the shutdown is still there to assert on.
    assert telemetry.spans.names == ["before-shutdown"]
    assert telemetry.logs.bodies == ["before-log"]
""",
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*OpenTelemetryLeakWarning: the test called shutdown() on the TracerProvider*",
            "*OpenTelemetryLeakWarning: the test called shutdown() on the MeterProvider*",
            "*OpenTelemetryLeakWarning: the test called shutdown() on the LoggerProvider*",
        ]
    )


def test_own_provider_shut_down_by_a_test_does_not_stop_the_capture(
    pytester: pytest.Pytester,
) -> None:
    # The plugin's exporters are attached to every provider it adopts; shutting that provider
    # down must not shut the shared exporters down with it.
    result = _run(
        pytester,
        """
import logging
from opentelemetry import _logs, trace
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk.trace import TracerProvider

def test_installs_and_shuts_down_its_own(telemetry):
    provider = TracerProvider()
    trace.set_tracer_provider(provider)
    with provider.get_tracer("own").start_as_current_span("own-span"):
        pass
    provider.shutdown()
    logs = LoggerProvider()
    _logs.set_logger_provider(logs)
    logs.shutdown()
    assert telemetry.spans.names == ["own-span"]
""",
    )
    result.assert_outcomes(passed=2)


def test_a_thread_that_outlives_its_test(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
import logging, threading, time
from opentelemetry import context, trace

tracer = trace.get_tracer("t")
finished = threading.Event()

def test_starts_a_thread_and_returns(telemetry):
    span = tracer.start_span("started-early")
    ctx = trace.set_span_in_context(span)

    def later():
        time.sleep(0.3)
        token = context.attach(ctx)
        with tracer.start_as_current_span("late-child"):
            logging.getLogger("t").warning("late-log")
        context.detach(token)
        span.end()
        finished.set()

    threading.Thread(target=later, name="stray-worker").start()

def test_waits_for_the_stray_thread(telemetry):
    assert finished.wait(5)
    with tracer.start_as_current_span("mine"):
        logging.getLogger("t").warning("my-log")
    assert telemetry.spans.names == ["mine"]
    assert telemetry.logs.bodies == ["my-log"]
""",
    )
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*1 span(s) were still open when the test ended: 'started-early'*",
            "*left running: 2 span(s) and 1 log record(s) from "
            "test_suite.py::test_starts_a_thread_and_returns*",
        ]
    )


def test_observable_instrument_created_in_a_test_is_reported(pytester: pytest.Pytester) -> None:
    # OpenTelemetry cannot unregister an instrument, and hiding it from later tests would break
    # code that creates its instruments lazily on first use (a later test would then never see
    # them). So the callback keeps reporting, and the test that created it is told.
    pytester.makepyfile(
        test_suite="""
from opentelemetry import metrics
from opentelemetry.metrics import Observation

def test_creates_a_gauge(telemetry):
    metrics.get_meter("t").create_observable_gauge(
        "queue.depth", callbacks=[lambda options: [Observation(3)]]
    )
    assert telemetry.metrics.value("queue.depth") == 3

def test_later(telemetry):
    assert telemetry.metrics.names == ["queue.depth"]

def test_import_time_gauges_are_not_reported():
    pass
"""
    )
    pytester.makeconftest(
        """
from opentelemetry import metrics
from opentelemetry.metrics import Observation

metrics.get_meter("conftest").create_observable_gauge(
    "pool.size", callbacks=[lambda options: []]
)
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*test_creates_a_gauge*",
            "*OpenTelemetryLeakWarning: the test created observable instrument(s) 'queue.depth'*",
        ]
    )
    assert result.stdout.str().count("OpenTelemetryLeakWarning") == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("raise KeyboardInterrupt", "*KeyboardInterrupt*"),
        ("pytest.exit('stopping here', returncode=3)", "*Exit: stopping here*"),
    ],
)
def test_interrupts_and_exits_are_not_swallowed(
    pytester: pytest.Pytester, body: str, expected: str
) -> None:
    pytester.makepyfile(
        test_suite=f"""
import pytest
from opentelemetry import trace

def test_stops_the_run(telemetry):
    with trace.get_tracer("t").start_as_current_span("interrupted"):
        {body}

def test_never_runs():
    raise AssertionError("the run should have stopped")
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--otel-strict")
    result.stdout.fnmatch_lines([expected])
    result.stdout.no_fnmatch_line("*the run should have stopped*")
    assert result.ret == (pytest.ExitCode.INTERRUPTED if "Keyboard" in body else 3)
