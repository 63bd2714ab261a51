"""The strict gate over a session: scopes, rule selection, ratchet, report, no silent pass."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

NO_ORDER = ("-p", "no:randomly")

#: A project's own code (`shop`, a package under the rootdir) beside a third party's
#: (a tracer named as a contrib instrumentation, whose module lives in site-packages).
SHOP = """
from opentelemetry import trace

def checkout(key="http.request.method"):
    with trace.get_tracer("shop.checkout").start_as_current_span("checkout") as span:
        span.set_attribute(key, "GET")
"""
THIRD_PARTY = """
from opentelemetry import trace

def serve():
    tracer = trace.get_tracer("opentelemetry.instrumentation.flask")
    with tracer.start_as_current_span("GET /cart", kind=trace.SpanKind.SERVER) as span:
        span.set_attribute("http.method", "GET")
        span.set_attribute("net.host.port", 80)
"""


def test_third_party_scopes_are_summarised_not_failed(pytester: pytest.Pytester) -> None:
    pytester.mkpydir("shop")
    (pytester.path / "shop" / "__init__.py").write_text(SHOP)
    pytester.makepyfile(
        flaskish=THIRD_PARTY,
        test_shop="""
        import flaskish, shop

        def test_clean_app_behind_an_old_instrumentation():
            flaskish.serve()
            shop.checkout()

        def test_the_apps_own_deprecated_key():
            flaskish.serve()
            shop.checkout("http.method")
        """,
    )
    result = pytester.runpytest_subprocess(*NO_ORDER, "--otel-strict")
    result.assert_outcomes(passed=1, failed=1)
    # The failure names the app's span and scope, never the instrumentation's span.
    result.stdout.fnmatch_lines(
        [
            "*telemetry violates the semantic conventions:*",
            "*OTL301 ?span 'checkout', scope 'shop.checkout'? *http.method*",
        ]
    )
    failure = result.stdout.str().split("short test summary")[0].split("otel-testing:")[0]
    assert "GET /cart" not in failure.split("FAILURES")[-1]
    result.stdout.fnmatch_lines(
        [
            "*otel-testing: scopes the project does not own*",
            "opentelemetry.instrumentation.flask: 2 violation(s), not failed",
            "  OTL301 ?span 'GET /cart'? *http.method*",
            "  hint: *OTEL_SEMCONV_STABILITY_OPT_IN to 'http' or 'http/dup'*",
        ]
    )


def test_the_sdks_own_exception_escaped_never_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from opentelemetry import trace

        def test_an_exception_escapes_a_span():
            try:
                with trace.get_tracer("shop").start_as_current_span("pay"):
                    raise ValueError("declined")
            except ValueError:
                pass

        def test_but_the_project_setting_it_does():
            with trace.get_tracer("shop").start_as_current_span("pay") as span:
                span.set_attribute("exception.escaped", True)
        """
    )
    result = pytester.runpytest_subprocess(*NO_ORDER, "--otel-strict")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*FAILED*test_but_the_project_setting_it_does*"])


def test_every_span_is_named_then_counted(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from opentelemetry import trace

        def test_many():
            tracer = trace.get_tracer("shop")
            for n in range(12):
                for _ in range(2):
                    with tracer.start_as_current_span(f"step{n:02}") as span:
                        span.set_attribute("http.method", "GET")
        """
    )
    result = pytester.runpytest_subprocess(*NO_ORDER, "--otel-strict")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*OTL301 ?span 'step00', scope 'shop', 2 times? *",
            "*OTL301 ?span 'step09', scope 'shop', 2 times? *",
            "*... and 2 more",
        ]
    )
    result.stdout.no_fnmatch_line("*'step10'*")


@pytest.mark.parametrize(
    ("ini", "outcome"),
    [
        ("", {"passed": 1}),
        ("otel_strict_scopes = opentelemetry.instrumentation", {"failed": 1}),
        ("otel_strict_scopes = *", {"failed": 1}),
        (
            "otel_strict_scopes = *\notel_strict_ignore_scopes = opentelemetry.instrumentation",
            {"passed": 1},
        ),
    ],
)
def test_scopes_to_judge_and_to_leave_are_configurable(
    pytester: pytest.Pytester, ini: str, outcome: dict[str, int]
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(
        flaskish=THIRD_PARTY,
        test_it="import flaskish\n\ndef test_serve():\n    flaskish.serve()\n",
    )
    pytester.runpytest_subprocess(*NO_ORDER, "--otel-strict").assert_outcomes(**outcome)


def test_a_projects_own_scope_can_be_left(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\notel_strict_ignore_scopes = shop.legacy\n")
    pytester.makepyfile(
        """
        from opentelemetry import trace

        def emit(scope):
            with trace.get_tracer(scope).start_as_current_span("s") as span:
                span.set_attribute("http.method", "GET")

        def test_legacy():
            emit("shop.legacy.orders")

        def test_current():
            emit("shop.legacyfree")
        """
    )
    result = pytester.runpytest_subprocess(*NO_ORDER, "--otel-strict")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*FAILED*test_current*"])


RULES_SUITE = """
from opentelemetry import trace

def test_deprecated_key():
    with trace.get_tracer("shop").start_as_current_span("checkout") as span:
        span.set_attribute("http.method", "GET")

def test_malformed_key():
    with trace.get_tracer("shop").start_as_current_span("checkout") as span:
        span.set_attribute("userId", "u")
"""


@pytest.mark.parametrize(
    ("table", "failed"),
    [
        ("", ["test_deprecated_key", "test_malformed_key"]),
        ('ignore = ["OTL301"]', ["test_malformed_key"]),
        ('select = ["OTL302"]', ["test_malformed_key"]),
        ('ignore = ["OTL3"]', []),
        ('ignore = ["OTL3"]\nextend-select = ["OTL301"]', ["test_deprecated_key"]),
        ('select = ["OTL30"]\nignore = ["OTL3"]', ["test_deprecated_key", "test_malformed_key"]),
        ('severity = { OTL301 = "info" }', ["test_malformed_key"]),
        (
            'severity = { OTL301 = "warning", OTL302 = "error" }',
            ["test_deprecated_key", "test_malformed_key"],
        ),
    ],
)
def test_the_linters_rule_selection_applies(
    pytester: pytest.Pytester, table: str, failed: list[str]
) -> None:
    pytester.makepyprojecttoml(f"[tool.otel-lint]\n{table}\n")
    pytester.makepyfile(RULES_SUITE)
    result = pytester.runpytest_subprocess(*NO_ORDER, "--otel-strict")
    result.assert_outcomes(passed=2 - len(failed), failed=len(failed))
    for name in failed:
        result.stdout.fnmatch_lines([f"FAILED *::{name}*"])
    if "info" in table:
        result.stdout.fnmatch_lines(["*0 known, 1 not judged (info or third-party)*"])
