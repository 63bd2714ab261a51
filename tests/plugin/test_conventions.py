"""Run-time convention checks, --otel-strict, unbounded values, snapshots and strategies."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from opentelemetry import metrics, trace

from otel_lint.conventions.naming import check_attribute_key, is_reserved, is_well_formed
from otel_lint.conventions.registry import Registry
from otel_lint.conventions.values import looks_unbounded, unbounded_reason
from otel_testing import strategies
from otel_testing.telemetry import Telemetry

pytest_plugins = ["pytester"]

tracer = trace.get_tracer(__name__)
meter = metrics.get_meter(__name__)


def test_check_semconv_reports_with_the_linter_codes(telemetry: Telemetry) -> None:
    with tracer.start_as_current_span("GET") as span:
        span.set_attribute("http.method", "GET")  # deprecated
        span.set_attribute("userId", "u")  # malformed
        span.set_attribute("otel.custom", 1)  # reserved
        span.set_attribute("http.request.method", "GET")  # fine
    meter.create_counter("app.jobs_total", unit="jobs").add(1, {"app.job.id": "9f1c7a3e4b2d4c1e"})
    meter.create_histogram("http.server.request.duration", unit="ms").record(3)
    codes = {(v.code, v.name) for v in telemetry.check_semconv()}
    assert ("OTL301", "http.method") in codes
    assert ("OTL302", "userId") in codes
    assert ("OTL304", "otel.custom") in codes
    assert ("OTL305", "app.jobs_total") in codes
    assert ("OTL306", "app.jobs_total") in codes
    assert ("OTL307", "http.server.request.duration") in codes
    assert ("OTL202", "app.job.id") in codes
    assert not any(name == "http.request.method" for _, name in codes)


def test_clean_telemetry_has_no_violations(telemetry: Telemetry) -> None:
    with tracer.start_as_current_span("GET /items") as span:
        span.set_attribute("http.request.method", "GET")
    meter.create_counter("app.items.served", unit="{item}").add(1, {"http.route": "/items"})
    assert telemetry.check_semconv() == []


STRICT_SUITE = """
import pytest
from opentelemetry import trace

def test_emits_deprecated():
    with trace.get_tracer("t").start_as_current_span("s") as span:
        span.set_attribute("http.method", "GET")

def test_emits_clean():
    with trace.get_tracer("t").start_as_current_span("s") as span:
        span.set_attribute("http.request.method", "GET")
"""


def test_otel_strict_option_fails_tests_with_violations(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(STRICT_SUITE)
    result = pytester.runpytest_inprocess("--otel-strict", "-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*telemetry violates the semantic conventions:*", "*OTL301 ?span 's'? *http.method*"]
    )
    pytester.runpytest_inprocess("-p", "no:randomly").assert_outcomes(passed=2)


def test_otel_strict_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        STRICT_SUITE.replace("def test_emits_deprecated", "@pytest.mark.otel_strict\ndef test_d")
    )
    result = pytester.runpytest_inprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*FAILED*test_d*"])


NAMESPACE_SUITE = """
from opentelemetry import trace

def test_custom_key_in_a_convention_namespace(telemetry):
    with trace.get_tracer("t").start_as_current_span("s") as span:
        span.set_attribute("db.tenant", "blue")
    assert [v.name for v in telemetry.check_semconv()] == EXPECTED
"""


@pytest.mark.parametrize(
    ("configuration", "expected"),
    [
        ("", ["db.tenant"]),
        ('[tool.otel-lint]\nnamespaces = ["db.tenant"]\n', []),
        ('[tool.otel-lint]\nnamespaces = ["db.other"]\n', ["db.tenant"]),
        ("[pytest]\notel_namespaces = db.tenant\n", []),
    ],
)
def test_own_namespaces_come_from_the_project_configuration(
    pytester: pytest.Pytester, configuration: str, expected: list[str]
) -> None:
    # The strict gate and check_semconv() judge as the linter does for the same project.
    if configuration.startswith("[pytest]"):
        pytester.makeini(configuration)
    elif configuration:
        pytester.makepyprojecttoml(configuration)
    pytester.makepyfile(NAMESPACE_SUITE.replace("EXPECTED", repr(expected)))
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=1)
    strict = pytester.runpytest_subprocess("-p", "no:randomly", "--otel-strict")
    strict.assert_outcomes(**({"failed": 1} if expected else {"passed": 1}))


def test_a_broken_project_configuration_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.otel-lint]\nnamespaces = "db.tenant"\n')
    pytester.makepyfile(NAMESPACE_SUITE.replace("EXPECTED", "[]"))
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--otel-strict")
    result.stderr.fnmatch_lines(["*otel-testing: *namespaces*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.no_fnmatch_line("*Traceback*")
    # Without --otel-strict the configuration is read only when a test checks conventions.
    lazy = pytester.runpytest_subprocess("-p", "no:randomly")
    lazy.assert_outcomes(failed=1)
    lazy.stdout.fnmatch_lines(["*otel-testing: *`namespaces`: Input should be a valid list*"])
    lazy.stdout.no_fnmatch_line("*UsageError*")


@pytest.mark.parametrize(
    "value",
    [
        "3f2b8c1e-9d4a-4e7b-8c2f-1a2b3c4d5e6f",
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "1234567",
        "jane@example.com",
        "https://shop.example/items/42?ref=mail",
        "/users/1234/orders",
        "2024-05-01T12:00:00Z",
        1714564800.123,
        1714564800123,
        "Timeout while waiting for the payment provider to answer",
        "x" * 80,
        "01HXYZ4K8M2N5P7Q9R3S6T0V1W",
        "10.1.2.3",
    ],
)
def test_unbounded_values(value: object) -> None:
    assert unbounded_reason(value) is not None, value


@pytest.mark.parametrize(
    "value",
    [
        "GET",
        "/users/{id}",
        "200",
        404,
        True,
        3.5,
        "https://shop.example/",
        "payment_declined",
        None,
    ],
)
def test_bounded_values(value: object) -> None:
    assert not looks_unbounded(value)


def test_snapshot_dicts_are_deterministic(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import logging
        from opentelemetry import metrics, trace

        tracer = trace.get_tracer("snap")
        calls = metrics.get_meter("snap").create_counter("snap.calls", unit="{call}")

        def run():
            with tracer.start_as_current_span("outer"):
                with tracer.start_as_current_span("inner"):
                    logging.getLogger("snap").warning("hi")
            calls.add(1, {"snap.kind": "a"})

        EXPECTED = None

        def snapshot(telemetry):
            run()
            return telemetry.as_dict()

        def test_one(telemetry):
            global EXPECTED
            EXPECTED = snapshot(telemetry)
            spans = EXPECTED["spans"]
            ids = [(s["name"], s["trace_id"], s["span_id"], s["parent_span_id"]) for s in spans]
            assert ids == [("outer", 1, 1, None), ("inner", 1, 2, 1)]
            assert (spans[0]["start_time"], spans[1]["start_time"]) == (0, 1)
            assert EXPECTED["logs"][0]["span_id"] == 2
            path = EXPECTED["logs"][0]["attributes"]["code.file.path"]
            assert path == "test_snapshot_dicts_are_deterministic.py"
            assert EXPECTED["resource"]["telemetry.sdk.version"] == "<volatile>"
            points = EXPECTED["metrics"]["snap.calls"]["points"]
            assert points == [{"attributes": {"snap.kind": "a"}, "value": 1}]
            # Alone, spans and logs are numbered on their own; ids agree with the whole.
            assert [s["span_id"] for s in telemetry.spans.as_dicts()] == [1, 2]
            assert telemetry.logs.as_dicts()[0]["body"] == "hi"

        def test_two_is_identical(telemetry):
            assert snapshot(telemetry) == EXPECTED
        """
    )
    pytester.runpytest_inprocess("-p", "no:randomly").assert_outcomes(passed=2)


@settings(max_examples=50, deadline=None)
@given(key=strategies.attribute_keys(), value=strategies.attribute_values())
def test_strategy_keys_and_values_are_valid(key: str, value: object) -> None:
    assert is_well_formed(key) and not is_reserved(key)
    if isinstance(value, tuple):
        assert len({type(v) for v in value}) <= 1


@settings(max_examples=30, deadline=None)
@given(attrs=strategies.semconv_attributes(namespace="http"))
def test_semconv_attribute_sets_pass_the_linter(attrs: dict[str, object]) -> None:
    from otel_lint.conventions.registry import load_registry

    registry: Registry = load_registry()
    for key in attrs:
        assert key.startswith("http.")
        assert check_attribute_key(key, registry) == []
