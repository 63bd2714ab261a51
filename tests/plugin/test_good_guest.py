"""Issue 14: the plugin is a good guest.

Each suite below is a pattern real suites use. It runs in a pytest subprocess (global providers
must not leak into this process) once with the plugin and once with ``-p no:otel_testing``, and
the outcomes are compared test by test: a test that does not ask for telemetry has the same
outcome (a pass) both ways; a test that asks passes with the plugin (and, without it, errors for
want of the fixture).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest

pytest_plugins = ["pytester"]

_SUMMARY = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S+)", re.MULTILINE)


def outcomes(result: pytest.RunResult) -> dict[str, str]:
    """Each test's outcome, from the ``-rA`` summary (an error in set-up wins over a pass)."""
    found: dict[str, str] = {}
    for outcome, test in _SUMMARY.findall(result.stdout.str()):
        if found.get(test) != "ERROR":
            found[test] = outcome
    return found


def run_both(pytester: pytest.Pytester, *args: str, asking: Iterable[str] = ()) -> pytest.RunResult:
    """Run with and without the plugin; assert the outcomes agree; return the plugin's run."""
    common = ("-rA", "-p", "no:cacheprovider", *args)
    with_plugin = pytester.runpytest_subprocess(*common)
    without = pytester.runpytest_subprocess(*common, "-p", "no:otel_testing")
    seen, baseline = outcomes(with_plugin), outcomes(without)
    asking = set(asking)
    assert seen, with_plugin.stdout.str()
    assert set(seen) == set(baseline)
    for test, outcome in baseline.items():
        name = test.rsplit("::", 1)[-1]
        if name in asking:
            assert seen[test] == "PASSED", (test, with_plugin.stdout.str())
            assert outcome == "ERROR", (test, without.stdout.str())
        else:
            assert (seen[test], outcome) == ("PASSED", "PASSED"), (
                test,
                with_plugin.stdout.str(),
                without.stdout.str(),
            )
    assert {t.rsplit("::", 1)[-1] for t in seen} >= asking
    return with_plugin


# --- a suite that sets up its own providers --------------------------------------------------

OWN_PROVIDERS_CONFTEST = """
import pytest
from opentelemetry import _logs, metrics, trace
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

RESOURCE = Resource.create({"service.name": "suite-service"})
SPANS = InMemorySpanExporter()
tracer_provider = TracerProvider(resource=RESOURCE)
tracer_provider.add_span_processor(SimpleSpanProcessor(SPANS))
trace.set_tracer_provider(tracer_provider)
READER = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[READER], resource=RESOURCE))
LOGS = InMemoryLogRecordExporter()
logger_provider = LoggerProvider(resource=RESOURCE)
logger_provider.add_log_record_processor(SimpleLogRecordProcessor(LOGS))
_logs.set_logger_provider(logger_provider)


@pytest.fixture(autouse=True)
def _clean():
    SPANS.clear()
    LOGS.clear()
"""

OWN_PROVIDERS_TESTS = """
from conftest import LOGS, READER, SPANS
from opentelemetry import _logs, metrics, trace
from opentelemetry._logs import LogRecord

tracer = trace.get_tracer(__name__)
calls = metrics.get_meter(__name__).create_counter("suite.calls")
logger = _logs.get_logger(__name__)


def suite_value(test):
    for rm in READER.get_metrics_data().resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                for point in metric.data.data_points:
                    if point.attributes.get("test") == test:
                        return point.value
    return None


def test_own_exporter_sees_spans_with_its_resource():
    with tracer.start_as_current_span("own"):
        pass
    [span] = SPANS.get_finished_spans()
    assert span.name == "own"
    assert span.resource.attributes["service.name"] == "suite-service"


def test_own_reader_sees_metrics():
    calls.add(2, {"test": "own"})
    assert suite_value("own") == 2


def test_own_logs_exporter_sees_records():
    logger.emit(LogRecord(body="own-log"))
    assert [r.log_record.body for r in LOGS.get_finished_logs()] == ["own-log"]
"""

ADOPTING_TESTS = """

def test_both_see_each_span(telemetry):
    with tracer.start_as_current_span("both"):
        pass
    assert telemetry.spans.names == ["both"]
    assert [s.name for s in SPANS.get_finished_spans()] == ["both"]
    assert telemetry.spans.one().sdk_span.resource.attributes["service.name"] == "suite-service"


def test_both_see_each_metric(telemetry):
    calls.add(3, {"test": "both"})
    assert telemetry.metrics.value("suite.calls", {"test": "both"}) == 3
    assert suite_value("both") == 3


def test_both_see_each_log_record(telemetry):
    logger.emit(LogRecord(body="both-log"))
    assert telemetry.logs.bodies == ["both-log"]
    assert [r.log_record.body for r in LOGS.get_finished_logs()] == ["both-log"]
"""

ASKING_OWN = {
    "test_both_see_each_span",
    "test_both_see_each_metric",
    "test_both_see_each_log_record",
}


def test_a_suite_with_its_own_providers_alone(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(OWN_PROVIDERS_CONFTEST)
    pytester.makepyfile(test_suite=OWN_PROVIDERS_TESTS)
    run_both(pytester, "-p", "no:randomly")


@pytest.mark.parametrize("order", [["-p", "no:randomly"], ["--randomly-seed=7"]])
def test_a_suite_with_its_own_providers_adopting_telemetry(
    pytester: pytest.Pytester, order: list[str]
) -> None:
    pytester.makeconftest(OWN_PROVIDERS_CONFTEST)
    pytester.makepyfile(test_suite=OWN_PROVIDERS_TESTS + ADOPTING_TESTS)
    run_both(pytester, *order, asking=ASKING_OWN)


def test_own_providers_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(OWN_PROVIDERS_CONFTEST)
    pytester.makepyfile(test_suite=OWN_PROVIDERS_TESTS + ADOPTING_TESTS)
    run_both(pytester, "-p", "xdist", "-n", "2", asking=ASKING_OWN)


# --- a library that checks it is a no-op without an SDK --------------------------------------

NO_OP_TESTS = """
import logging
import sys

from opentelemetry import propagate, trace

tracer = trace.get_tracer("library")


def test_no_sdk_is_imported():
    assert not [m for m in sys.modules if m.startswith("opentelemetry.sdk")]


def test_the_global_provider_is_the_api_proxy():
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def test_spans_have_invalid_ids_and_nothing_is_propagated():
    with tracer.start_as_current_span("op") as span:
        assert not span.get_span_context().is_valid
        headers = {}
        propagate.inject(headers)
    assert "traceparent" not in headers


def test_the_root_logger_has_no_opentelemetry_handler():
    root = logging.getLogger()
    assert not [h for h in root.handlers if "opentelemetry" in type(h).__module__]
    assert not [h for h in root.handlers if "otel_testing" in type(h).__module__]
"""

ASKING_FIRST = """
from opentelemetry import trace


def test_asks(telemetry):
    with trace.get_tracer("library").start_as_current_span("recorded"):
        pass
    assert telemetry.spans.names == ["recorded"]
"""


def test_a_library_no_op_check(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_library=NO_OP_TESTS)
    # conftest.py keeps logfire's pytest plugins (which import the SDK) out of inner runs.
    run_both(pytester)


@pytest.mark.parametrize("order", [["-p", "no:randomly"], ["--randomly-seed=1"]])
def test_a_library_no_op_check_after_a_test_that_asked(
    pytester: pytest.Pytester, order: list[str]
) -> None:
    # Proxy tracers that resolved to the plugin's provider in `test_asks` behave as no-ops again.
    pytester.makepyfile(test_a_asks=ASKING_FIRST, test_library=NO_OP_TESTS)
    run_both(pytester, *order, "-k", "not no_sdk_is_imported", asking={"test_asks"})


# --- stdlib logging configured by the suite --------------------------------------------------

BASIC_CONFIG_CONFTEST = """
import logging

logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s %(message)s")
"""

BASIC_CONFIG_TESTS = """
import logging


def test_basic_config_took_effect():
    root = logging.getLogger()
    assert root.level == logging.DEBUG
    assert [h for h in root.handlers if type(h) is logging.StreamHandler]


def test_caplog_sees_debug_records(caplog):
    logging.getLogger("app").debug("debug-record")
    assert "debug-record" in caplog.messages


def test_asks(telemetry):
    logging.getLogger("app").info("info-record")
    assert telemetry.logs.bodies == ["info-record"]
"""


def test_basic_config_in_a_conftest(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(BASIC_CONFIG_CONFTEST)
    pytester.makepyfile(test_logging=BASIC_CONFIG_TESTS)
    run_both(pytester, asking={"test_asks"})


FORCE_TESTS = """
import logging
import logging.config

import pytest
from otel_testing import TelemetryUnavailable


def test_a_force_takes_the_bridge_away_and_the_test_is_told(telemetry):
    logging.basicConfig(force=True, level=logging.INFO)
    logging.getLogger("a").warning("after-force")
    with pytest.raises(TelemetryUnavailable, match=r"basicConfig\\(force=True\\)"):
        telemetry.logs


def test_b_dict_config_without_asking():
    logging.config.dictConfig({"version": 1, "root": {"level": "INFO", "handlers": []}})


def test_c_a_later_test_still_gets_its_records(telemetry):
    logging.getLogger("c").warning("kept")
    assert telemetry.logs.bodies == ["kept"]
"""


def test_basic_config_force_and_dict_config(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_force=FORCE_TESTS)
    run_both(
        pytester,
        "-p",
        "no:randomly",
        asking={
            "test_a_force_takes_the_bridge_away_and_the_test_is_told",
            "test_c_a_later_test_still_gets_its_records",
        },
    )


# --- a suite that seeds random per test ------------------------------------------------------

SEEDED_CONFTEST = """
import random

import pytest


@pytest.fixture(autouse=True)
def _seeded():
    random.seed(1234)  # as the SDK's own conftest does
"""

SEEDED_TESTS = """
from opentelemetry import trace

tracer = trace.get_tracer(__name__)
LEFT_OPEN = []


def test_a_leaves_a_span_open(telemetry):
    LEFT_OPEN.append(tracer.start_span("left-open"))


def test_b_gets_the_same_ids_and_keeps_its_span(telemetry):
    with tracer.start_as_current_span("mine") as mine:
        pass
    LEFT_OPEN[0].end()  # the leftover ends during this test
    # The seed repeats the ids: only identity tells the two spans apart.
    assert mine.get_span_context().span_id == LEFT_OPEN[0].get_span_context().span_id
    assert telemetry.spans.names == ["mine"]
"""


def test_a_suite_that_seeds_random_per_test(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEEDED_CONFTEST)
    pytester.makepyfile(test_seeded=SEEDED_TESTS)
    run_both(
        pytester,
        "-p",
        "no:randomly",
        asking={"test_a_leaves_a_span_open", "test_b_gets_the_same_ids_and_keeps_its_span"},
    )


# --- TestBase, then telemetry ----------------------------------------------------------------

TESTBASE_TESTS = """
from opentelemetry import metrics, trace
from opentelemetry.metrics import Observation
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.test.globals_test import reset_trace_globals
from opentelemetry.test.test_base import TestBase


class TestInstrumentation(TestBase):
    def test_span(self):
        with trace.get_tracer("tb").start_as_current_span("testbase-span"):
            pass
        names = [s.name for s in self.memory_exporter.get_finished_spans()]
        self.assertEqual(names, ["testbase-span"])

    def test_observable_gauge_on_a_throwaway_provider(self):
        metrics.get_meter("tb").create_observable_gauge(
            "tb.gauge", callbacks=[lambda options: [Observation(1)]]
        )
        data = self.memory_metrics_reader.get_metrics_data()
        names = [m.name for rm in data.resource_metrics for sm in rm.scope_metrics
                 for m in sm.metrics]
        self.assertEqual(names, ["tb.gauge"])


class TestLeavesItsProviderGlobal:
    # Older TestBase versions left the last provider global; so do hand-written suites.
    def test_sets_and_keeps(self):
        reset_trace_globals()
        trace.set_tracer_provider(TracerProvider())


def test_z_telemetry_after_testbase(telemetry):
    with trace.get_tracer("z").start_as_current_span("after-testbase"):
        pass
    assert telemetry.spans.names == ["after-testbase"]
"""


@pytest.mark.parametrize("order", [["-p", "no:randomly"], ["--randomly-seed=5"]])
def test_testbase_then_telemetry_under_filterwarnings_error(
    pytester: pytest.Pytester, order: list[str]
) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"
    )
    pytester.makepyfile(test_tb=TESTBASE_TESTS)
    run_both(pytester, *order, asking={"test_z_telemetry_after_testbase"})


def test_the_plugin_keeps_no_provider_of_the_suite_alive(pytester: pytest.Pytester) -> None:
    # Built with shutdown_on_exit=False: the SDK's own exit hook would keep them alive.
    pytester.makepyfile(
        test_gc="""
import gc
import weakref

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.test.globals_test import reset_metrics_globals, reset_trace_globals

REFS = []


def test_a_sets_providers_the_plugin_attaches_to(telemetry):
    tracer_provider = TracerProvider(shutdown_on_exit=False)
    meter_provider = MeterProvider(shutdown_on_exit=False)
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    REFS.extend([weakref.ref(tracer_provider), weakref.ref(meter_provider)])
    with trace.get_tracer("a").start_as_current_span("on-the-suites-provider"):
        pass
    metrics.get_meter("a").create_counter("a.calls").add(1)
    assert telemetry.spans.names == ["on-the-suites-provider"]
    assert telemetry.metrics.value("a.calls") == 1


def test_b_the_suite_lets_them_go():
    reset_trace_globals()
    reset_metrics_globals()


def test_c_they_are_collected(telemetry):
    gc.collect()
    assert len(REFS) == 2
    assert [ref() for ref in REFS] == [None, None]
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


# --- fixtures wider than a test --------------------------------------------------------------

WIDE_FIXTURE_TESTS = """
import pytest
from opentelemetry import trace

tracer = trace.get_tracer(__name__)


@pytest.fixture(scope="session")
def app():
    with tracer.start_as_current_span("session-set-up"):
        pass
    return "app"


@pytest.fixture(scope="module")
def warmed():
    with tracer.start_as_current_span("module-set-up"):
        pass


def test_one(app, telemetry):
    with tracer.start_as_current_span("one"):
        pass
    assert telemetry.spans.names == ["one"]


def test_two(app, telemetry):
    with tracer.start_as_current_span("two"):
        pass
    assert telemetry.spans.names == ["two"]


def test_set_up_telemetry_is_offered_apart(warmed, telemetry):
    assert telemetry.spans.names == []
    assert telemetry.fixture_spans.names == ["module-set-up"]
"""


@pytest.mark.parametrize(
    "order",
    [["-p", "no:randomly"], ["--randomly-seed=2"], ["--randomly-seed=3", "-p", "xdist", "-n", "2"]],
)
def test_wider_fixtures_telemetry_belongs_to_no_test(
    pytester: pytest.Pytester, order: list[str]
) -> None:
    pytester.makepyfile(test_wide=WIDE_FIXTURE_TESTS)
    run_both(
        pytester, *order, asking={"test_one", "test_two", "test_set_up_telemetry_is_offered_apart"}
    )


# --- the OTEL_* environment ------------------------------------------------------------------

ENVIRONMENT_TESTS = """
from opentelemetry import trace


def test_plain():
    with trace.get_tracer("x").start_as_current_span("s"):
        pass


def test_reads_spans(telemetry):
    with trace.get_tracer("x").start_as_current_span("s"):
        pass
    assert telemetry.spans.names == ["s"]
"""


@pytest.mark.parametrize(
    ("variables", "told"),
    [
        ({"OTEL_SDK_DISABLED": "true"}, "*built with OTEL_SDK_DISABLED=true*"),
        ({"OTEL_TRACES_SAMPLER": "always_off"}, "*chosen by OTEL_TRACES_SAMPLER=always_off*"),
        (
            {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.5"},
            "*OTEL_TRACES_SAMPLER=traceidratio and OTEL_TRACES_SAMPLER_ARG=0.5*",
        ),
    ],
)
def test_an_environment_that_drops_telemetry_is_named(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    variables: dict[str, str],
    told: str,
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    pytester.makepyfile(test_env=ENVIRONMENT_TESTS)
    result = pytester.runpytest_subprocess("-rA", "-p", "no:cacheprovider")
    assert outcomes(result) == {
        "test_env.py::test_plain": "PASSED",
        "test_env.py::test_reads_spans": "FAILED",
    }
    result.stdout.fnmatch_lines(["*TelemetryUnavailable: otel-testing:*" + told.lstrip("*")])


def test_the_environment_configures_the_plugins_own_providers(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-the-environment")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_on")
    monkeypatch.setenv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "1")
    pytester.makepyfile(
        test_env="""
from opentelemetry import trace


def test_resource_and_limits(telemetry):
    with trace.get_tracer("x").start_as_current_span("s") as span:
        span.set_attributes({"app.a": 1, "app.b": 2})
    assert telemetry.as_dict()["resource"]["service.name"] == "from-the-environment"
    assert len(telemetry.spans.one().attributes) == 1
"""
    )
    run_both(pytester, asking={"test_resource_and_limits"})


# --- logfire's capfire -----------------------------------------------------------------------

CAPFIRE_TESTS = """
import logfire
from flask import Flask
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.flask import FlaskInstrumentor


def span_names(capfire):
    return [span["name"] for span in capfire.exporter.exported_spans_as_dict()]


def test_logfire_spans(capfire):
    with logfire.span("logfire-span"):
        pass
    assert "logfire-span" in span_names(capfire)


def test_api_spans(capfire):
    with trace.get_tracer("api").start_as_current_span("api-span"):
        pass
    assert "api-span" in span_names(capfire)


def test_instrumentation_spans(capfire):
    app = Flask("capfire_app")

    @app.get("/ping")
    def ping():
        return "ok"

    FlaskInstrumentor().instrument_app(app)
    assert app.test_client().get("/ping").status_code == 200
    assert "GET /ping" in span_names(capfire)


def test_api_metrics(capfire):
    metrics.get_meter("api").create_counter("api.calls").add(1)
    assert "api.calls" in [m["name"] for m in capfire.get_collected_metrics()]


def test_capfire_and_telemetry_both_see_each_span(capfire, telemetry):
    with trace.get_tracer("api").start_as_current_span("both-span"):
        pass
    assert "both-span" in span_names(capfire)
    assert telemetry.spans.names == ["both-span"]
"""


@pytest.mark.parametrize("order", [["-p", "no:randomly"], ["--randomly-seed=4"]])
def test_logfire_capfire(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, order: list[str]
) -> None:
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)  # logfire's plugin provides `capfire`
    pytester.makepyfile(test_capfire=CAPFIRE_TESTS)
    run_both(pytester, *order, asking={"test_capfire_and_telemetry_both_see_each_span"})


# --- the warning class -----------------------------------------------------------------------


def test_the_leak_warning_can_be_filtered_by_its_documented_name(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_leak="""
from opentelemetry import trace


def test_leaves_a_span_open(telemetry):
    trace.get_tracer("t").start_span("forgotten")
"""
    )
    name = "otel_testing.OpenTelemetryLeakWarning"
    failing = pytester.runpytest_subprocess("-p", "no:randomly", "-W", f"error::{name}")
    failing.assert_outcomes(passed=1, errors=1)
    quiet = pytester.runpytest_subprocess("-p", "no:randomly", "-W", f"ignore::{name}")
    quiet.assert_outcomes(passed=1)
    quiet.stdout.no_fnmatch_line("*OpenTelemetryLeakWarning*")


def test_a_meter_provider_that_cannot_take_a_reader_fails_metrics_naming_the_fix(
    pytester: pytest.Pytester,
) -> None:
    # MeterProvider.add_metric_reader is recent; an SDK without it cannot be read from outside.
    pytester.makeconftest(
        """
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider


class MeterProviderOfAnOlderSdk(MeterProvider):
    add_metric_reader = None


metrics.set_meter_provider(MeterProviderOfAnOlderSdk())
"""
    )
    pytester.makepyfile(
        test_old="""
import pytest
from opentelemetry import metrics, trace
from otel_testing import TelemetryUnavailable


def test_metrics_say_why_and_spans_still_work(telemetry):
    metrics.get_meter("m").create_counter("m.calls").add(1)
    with pytest.raises(TelemetryUnavailable, match="cannot give a MeterProvider a new reader"):
        telemetry.metrics
    with trace.get_tracer("t").start_as_current_span("s"):
        pass
    assert telemetry.spans.names == ["s"]
"""
    )
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=1)


def test_a_span_started_before_the_test_asked_is_not_its_own(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(OWN_PROVIDERS_CONFTEST)
    pytester.makepyfile(
        test_started_before="""
from conftest import SPANS
from opentelemetry import trace

STARTED = []


def test_a_starts_a_span_and_does_not_ask():
    STARTED.append(trace.get_tracer("a").start_span("started-before"))


def test_b_ends_it_while_asking(telemetry):
    STARTED[0].end()
    with trace.get_tracer("b").start_as_current_span("own"):
        pass
    assert telemetry.spans.names == ["own"]
    assert [s.name for s in SPANS.get_finished_spans()] == ["started-before", "own"]
"""
    )
    run_both(pytester, "-p", "no:randomly", asking={"test_b_ends_it_while_asking"})
