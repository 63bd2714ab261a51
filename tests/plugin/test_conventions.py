"""Run-time convention checks, --otel-strict, unbounded values, snapshots and strategies."""

from __future__ import annotations

import ast
import enum
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from opentelemetry import metrics, trace
from opentelemetry.semconv._incubating.attributes import http_attributes as incubating_http
from opentelemetry.semconv.attributes import http_attributes as stable_http

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


def _current_http_keys_read_from_the_package() -> dict[str, type[enum.Enum] | None]:
    """An oracle independent of the linter's registry: the http modules' source, read directly.

    A key is ``NAME: Final = "key"`` followed by its docstring; it is current unless that
    docstring says ``Deprecated:`` (the incubating copies of stable keys say "Deprecated in
    favor of stable", which is not a deprecation). Templates end in ``_TEMPLATE``.
    """
    found: dict[str, type[enum.Enum] | None] = {}
    deprecated: set[str] = set()
    for module in (stable_http, incubating_http):
        tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
        body = tree.body
        for statement, following in zip(body, [*body[1:], None], strict=True):
            if not (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
            ):
                continue
            name, key = statement.target.id, statement.value.value
            doc = (
                following.value.value
                if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
                else ""
            )
            if name.endswith("_TEMPLATE"):
                continue
            if "Deprecated:" in str(doc):
                deprecated.add(key)
                continue
            values = getattr(module, name.title().replace("_", "") + "Values", None)
            found[key] = found.get(key) or values
    return {key: values for key, values in found.items() if key not in deprecated}


CURRENT_HTTP_KEYS = _current_http_keys_read_from_the_package()
#: The `telemetry` fixture is shared by a test's examples; each example calls `clear()` first.
_FIXTURE_PER_TEST = [HealthCheck.function_scoped_fixture]


def test_the_oracle_reads_both_current_and_deprecated_http_keys() -> None:
    # The oracle itself must see something: a stable key with its enum, and no deprecated key.
    assert CURRENT_HTTP_KEYS["http.request.method"] is not None
    assert "http.response.status_code" in CURRENT_HTTP_KEYS
    assert "http.method" not in CURRENT_HTTP_KEYS
    assert "http.request.header" not in CURRENT_HTTP_KEYS


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(attrs=strategies.semconv_attributes(namespace="http"))
def test_semconv_attribute_sets_are_current_keys_with_defined_values(
    attrs: dict[str, object], telemetry: Telemetry
) -> None:
    telemetry.clear()
    for key, value in attrs.items():
        assert key in CURRENT_HTTP_KEYS, f"{key} is not a current http key of the package"
        members = CURRENT_HTTP_KEYS[key]
        if members is not None:
            assert value in {member.value for member in members}, (key, value)
    with tracer.start_as_current_span("GET") as span:
        span.set_attributes(attrs)  # type: ignore[arg-type]
    # The whole run-time check, not only the key lookup: attributes as the SDK kept them.
    assert telemetry.check_semconv() == []
    assert dict(telemetry.spans.one().attributes) == attrs


@pytest.mark.parametrize(
    ("key", "code"),
    [("app.userId", "OTL302"), ("otel.custom", "OTL304"), ("http.method", "OTL301")],
)
def test_the_run_time_check_rejects_keys_the_strategies_must_never_draw(
    key: str, code: str, telemetry: Telemetry
) -> None:
    with tracer.start_as_current_span("s") as span:
        span.set_attribute(key, "v")
    assert [v.code for v in telemetry.check_semconv(own_namespaces=["app"])] == [code]


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(attrs=strategies.attributes())
def test_strategy_attributes_survive_the_sdk_and_the_run_time_check(
    attrs: dict[str, object], telemetry: Telemetry
) -> None:
    telemetry.clear()
    with tracer.start_as_current_span("s") as span:
        span.set_attributes(attrs)  # type: ignore[arg-type]
    # The SDK drops a value it finds invalid (a mixed-type sequence, a nested one) with a
    # warning; everything drawn must arrive unchanged, sequences as tuples.
    assert dict(telemetry.spans.one().attributes) == attrs
    # Drawn keys may fall inside a semconv namespace (`http.x`); as the project's own namespace
    # they must still be neither malformed nor reserved.
    own = {key.split(".")[0] for key in attrs}
    assert telemetry.check_semconv(own_namespaces=own) == []
