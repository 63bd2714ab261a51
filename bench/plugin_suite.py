"""A generated pytest suite for the plugin: every test emits 10 spans, a counter increment, a log.

Three shapes of the same suite, each in its own folder with its own pytest.ini (so the
repository's addopts do not apply):

* ``fixture``: tests take ``telemetry`` and assert on what they emitted (run with the plugin);
* ``testbase``: tests take a hand-written fixture in the style of opentelemetry-test-utils'
  ``TestBase``: fresh providers and in-memory exporters per test, the API's set-once globals reset
  (run with ``-p no:otel_testing``), asserting the same things;
* ``bare``: the same tests without any fixture or assertion (run with and without the plugin).

Tracers, meters and loggers are obtained inside each test, as code under test that resolves them
per call does, so every shape sees its own providers.
"""

from __future__ import annotations

from pathlib import Path

TESTS_PER_FILE = 50

_PYTEST_INI = "[pytest]\naddopts =\nasyncio_default_fixture_loop_scope = function\n"

_APP = '''\
"""The code under test: one operation that emits 10 spans, a counter increment and a log record."""

import logging

from opentelemetry import metrics, trace

log = logging.getLogger("bench.app")


def handle(number):
    tracer = trace.get_tracer("bench.app")
    counter = metrics.get_meter("bench.app").create_counter("bench.items", unit="{item}")
    with tracer.start_as_current_span("handle") as span:
        span.set_attribute("bench.number", number)
        for step in range(9):
            with tracer.start_as_current_span("step") as child:
                child.set_attribute("bench.step", step)
        counter.add(1, {"bench.kind": "item"})
        log.warning("handled %d", number)
'''

_TESTBASE_CONFTEST = '''\
"""Per-test OpenTelemetry set-up written by hand, as opentelemetry-test-utils' TestBase does it."""

import logging
import warnings

import pytest
from opentelemetry import _logs, metrics, trace
from opentelemetry._logs import _internal as logs_internal
from opentelemetry.metrics import _internal as metrics_internal
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once


def _reset_globals():
    # What opentelemetry-test-utils' reset_trace_globals / reset_metrics_globals do, plus logs.
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
    trace._PROXY_TRACER_PROVIDER = trace.ProxyTracerProvider()
    metrics_internal._METER_PROVIDER_SET_ONCE = Once()
    metrics_internal._METER_PROVIDER = None
    metrics_internal._PROXY_METER_PROVIDER = metrics_internal._ProxyMeterProvider()
    logs_internal._LOGGER_PROVIDER_SET_ONCE = Once()
    logs_internal._LOGGER_PROVIDER = None
    logs_internal._PROXY_LOGGER_PROVIDER = logs_internal.ProxyLoggerProvider()


class Captured:
    def __init__(self):
        _reset_globals()
        self.span_exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.span_exporter))
        trace.set_tracer_provider(self.tracer_provider)
        self.metric_reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(
            metric_readers=[self.metric_reader], shutdown_on_exit=False
        )
        metrics.set_meter_provider(self.meter_provider)
        self.log_exporter = InMemoryLogRecordExporter()
        self.logger_provider = LoggerProvider(shutdown_on_exit=False)
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.log_exporter))
        _logs.set_logger_provider(self.logger_provider)
        with warnings.catch_warnings():
            # The SDK's handler is deprecated in favour of instrumentation-logging's; same job.
            warnings.simplefilter("ignore", DeprecationWarning)
            self.handler = LoggingHandler(logger_provider=self.logger_provider)
        logging.getLogger().addHandler(self.handler)

    def close(self):
        logging.getLogger().removeHandler(self.handler)
        self.meter_provider.shutdown()
        self.logger_provider.shutdown()
        self.tracer_provider.shutdown()
        _reset_globals()

    def counter_value(self, name):
        data = self.metric_reader.get_metrics_data()
        for resource_metrics in data.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    if metric.name == name:
                        return sum(point.value for point in metric.data.data_points)
        return 0


@pytest.fixture
def otel():
    captured = Captured()
    yield captured
    captured.close()
'''

_TEST_FIXTURE = """
def test_handle_{n}(telemetry):
    app.handle({n})
    assert len(telemetry.spans) == 10
    assert telemetry.metrics.value("bench.items") == 1
    assert len(telemetry.logs) == 1
"""

_TEST_TESTBASE = """
def test_handle_{n}(otel):
    app.handle({n})
    assert len(otel.span_exporter.get_finished_spans()) == 10
    assert otel.counter_value("bench.items") == 1
    assert len(otel.log_exporter.get_finished_logs()) == 1
"""

_TEST_BARE = """
def test_handle_{n}():
    app.handle({n})
"""

SHAPES = {"fixture": _TEST_FIXTURE, "testbase": _TEST_TESTBASE, "bare": _TEST_BARE}


def write_suite(into: Path, tests: int) -> dict[str, Path]:
    """Write the three shapes of a ``tests``-test suite under ``into``; their folders by shape."""
    folders = {}
    for shape, template in SHAPES.items():
        folder = into / shape
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "pytest.ini").write_text(_PYTEST_INI, encoding="utf-8")
        (folder / "app.py").write_text(_APP, encoding="utf-8")
        if shape == "testbase":
            (folder / "conftest.py").write_text(_TESTBASE_CONFTEST, encoding="utf-8")
        for start in range(0, tests, TESTS_PER_FILE):
            body = "".join(
                template.format(n=n) for n in range(start, min(start + TESTS_PER_FILE, tests))
            )
            path = folder / f"test_handle_{start // TESTS_PER_FILE:03d}.py"
            path.write_text(f"import app\n{body}", encoding="utf-8")
        folders[shape] = folder
    return folders
