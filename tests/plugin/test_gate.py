"""The strict gate over a session: scopes, rule selection, ratchet, report, no silent pass."""

from __future__ import annotations

import json
from pathlib import Path

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
            "  OTL301 `http.method` is a deprecated * (on span 'GET /cart')",
            "  OTL301 `net.host.port` is a deprecated * (on span 'GET /cart')",
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


#: Scopes of the project's own code (a package and a test module under the rootdir, names that
#: are no module at all) and of third parties (installed, the standard library, a virtual
#: environment inside the project).
PROJECT_SCOPES = {
    "shop",
    "shop.cart",
    "shop.legacy.orders",
    "shop.legacyfree",
    "svc-a",
    "test_it",
    "",
}
OTHER_SCOPES = {
    "opentelemetry.instrumentation.flask",
    "opentelemetry.sdk",
    "werkzeug",
    "logging",
    "vendored.client",
}


@pytest.mark.parametrize(
    ("judged", "left", "owned"),
    [
        ((), (), PROJECT_SCOPES),
        (
            ("opentelemetry.instrumentation",),
            (),
            PROJECT_SCOPES | {"opentelemetry.instrumentation.flask"},
        ),
        (("*",), (), PROJECT_SCOPES | OTHER_SCOPES),
        (
            ("*",),
            ("opentelemetry.instrumentation",),
            PROJECT_SCOPES | OTHER_SCOPES - {"opentelemetry.instrumentation.flask"},
        ),
        ((), ("shop.legacy",), PROJECT_SCOPES - {"shop.legacy.orders"}),
    ],
)
def test_which_scopes_are_the_projects(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    judged: tuple[str, ...],
    left: tuple[str, ...],
    owned: set[str],
) -> None:
    from otel_testing.scopes import ScopeOwnership

    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "test_it.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    # A virtual environment inside the project is someone else's code all the same.
    installed = tmp_path / ".venv" / "lib" / "site-packages" / "vendored"
    installed.mkdir(parents=True)
    (installed / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(installed.parent))
    owners = ScopeOwnership(tmp_path, judged, left)
    scopes = PROJECT_SCOPES | OTHER_SCOPES
    assert {scope for scope in scopes if owners.is_projects(scope)} == owned


TWO_SCOPES = """
from opentelemetry import trace

def emit(scope):
    with trace.get_tracer(scope).start_as_current_span("s") as span:
        span.set_attribute(KEY, 1)

def test_first():
    emit(FIRST)

def test_second():
    emit(SECOND)
"""


def _two_scopes(key: str, first: str, second: str) -> str:
    """A suite of two tests setting ``key`` on a span, the first in scope ``first``."""
    return (
        TWO_SCOPES.replace("KEY", repr(key))
        .replace("FIRST", repr(first))
        .replace("SECOND", repr(second))
    )


def test_a_projects_own_scope_can_be_left(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\notel_strict_ignore_scopes = shop.legacy\n")
    pytester.makepyfile(_two_scopes("http.method", "shop.legacy.orders", "shop.legacyfree"))
    result = pytester.runpytest_subprocess(*NO_ORDER, "--otel-strict")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*FAILED*test_second*"])


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
    ("table", "failing"),
    [
        ("", {"OTL301", "OTL302"}),
        ('ignore = ["OTL301"]', {"OTL302"}),
        ('select = ["OTL302"]', {"OTL302"}),
        ('ignore = ["OTL3"]', set()),
        ('ignore = ["OTL3"]\nextend-select = ["OTL301"]', {"OTL301"}),
        ('select = ["OTL30"]\nignore = ["OTL3"]', {"OTL301", "OTL302"}),
        ('severity = { OTL301 = "info" }', {"OTL302"}),
        ('severity = { OTL301 = "warning", OTL302 = "error" }', {"OTL301", "OTL302"}),
    ],
)
def test_the_linters_rule_selection_applies(tmp_path: Path, table: str, failing: set[str]) -> None:
    from otel_lint.config.loader import read_config_file
    from otel_testing.conventions import Violation
    from otel_testing.gate import NEW, RuleSelection, judge
    from otel_testing.scopes import ScopeOwnership

    (tmp_path / "pyproject.toml").write_text(f"[tool.otel-lint]\n{table}\n")
    selection = RuleSelection.of(read_config_file(tmp_path / "pyproject.toml"))
    violations = [
        Violation(code, "span", "checkout", "k", "m", scope="shop") for code in ("OTL301", "OTL302")
    ]
    verdicts = judge(violations, selection, ScopeOwnership(tmp_path), frozenset())
    assert {v.violation.code for v in verdicts if v.status == NEW} == failing


def test_strict_mode_reads_the_selection_from_pyproject(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        '[tool.otel-lint]\nignore = ["OTL302", "OTL303"]\nseverity = { OTL301 = "info" }\n'
    )
    pytester.makepyfile(RULES_SUITE)
    result = pytester.runpytest_subprocess(*NO_ORDER, "--otel-strict")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*violations: 0 new, 0 known, 1 not judged (info or third-party)*"]
    )
    pytester.makepyprojecttoml("[tool.otel-lint]\n")
    pytester.runpytest_subprocess(*NO_ORDER, "--otel-strict").assert_outcomes(failed=2)


RATCHET_SUITE = """
import pytest
from opentelemetry import metrics, trace

import flaskish

tracer = trace.get_tracer("shop.orders")
orders = metrics.get_meter("shop.orders").create_counter("shop.orders_total", unit="{order}")

@pytest.mark.parametrize("n", range(6))
def test_order(n):
    flaskish.serve()
    with tracer.start_as_current_span("place order") as span:
        span.set_attribute("http.method", "POST")
        span.set_attribute("shop.order.items", n)
    orders.add(1, {"shop.channel": "web"})

def test_refund():
    with tracer.start_as_current_span("refund") as span:
        span.set_attribute("net.peer.name", "bank")
        NEW_VIOLATION
"""


def _ratchet_project(pytester: pytest.Pytester, new_violation: str = "pass") -> None:
    pytester.makepyfile(
        flaskish=THIRD_PARTY,
        test_orders=RATCHET_SUITE.replace("NEW_VIOLATION", new_violation),
    )


def test_a_baseline_holds_identities_and_known_violations_pass(
    pytester: pytest.Pytester,
) -> None:
    _ratchet_project(pytester)
    written = pytester.runpytest_subprocess(
        *NO_ORDER, "--otel-strict", "--otel-write-baseline", "base/otel.json"
    )
    written.assert_outcomes(passed=7)
    document = json.loads((pytester.path / "base" / "otel.json").read_text())
    assert document == {
        "version": 1,
        "violations": [
            {
                "code": "OTL301",
                "signal": "span",
                "name": "place order",
                "key": "http.method",
                "scope": "shop.orders",
            },
            {
                "code": "OTL301",
                "signal": "span",
                "name": "refund",
                "key": "net.peer.name",
                "scope": "shop.orders",
            },
            {
                "code": "OTL305",
                "signal": "metric",
                "name": "shop.orders_total",
                "key": "shop.orders_total",
                "scope": "shop.orders",
            },
        ],
    }
    known = pytester.runpytest_subprocess(
        *NO_ORDER, "--otel-strict", "--otel-baseline", "base/otel.json"
    )
    known.assert_outcomes(passed=7)
    known.stdout.fnmatch_lines(["*violations: 0 new, 3 known, 2 not judged*"])
    # A new violation fails its test; the known ones stay quiet.
    _ratchet_project(pytester, 'span.set_attribute("http.url", "/x")')
    new = pytester.runpytest_subprocess(
        *NO_ORDER, "--otel-strict", "--otel-baseline", "base/otel.json"
    )
    new.assert_outcomes(passed=6, failed=1)
    new.stdout.fnmatch_lines(
        [
            "*OTL301 ?span 'refund', scope 'shop.orders'? *http.url*",
            "*(1 more known from the baseline)*",
        ]
    )
    new.stdout.no_fnmatch_line("*OTL301 ?span 'refund'*net.peer.name*")
    # Fixing a known violation leaves its entry unseen: said, not failed, until rewritten.
    _ratchet_project(pytester, 'span.set_attribute("net.peer.name", "bank")')
    (pytester.path / "test_orders.py").write_text(
        (pytester.path / "test_orders.py")
        .read_text()
        .replace('"http.method"', '"http.request.method"')
    )
    fixed = pytester.runpytest_subprocess(
        *NO_ORDER, "--otel-strict", "--otel-baseline", "base/otel.json"
    )
    fixed.assert_outcomes(passed=7)
    fixed.stdout.fnmatch_lines(["otel-testing: 1 baseline entry was not seen in this run*"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "*otel-testing: *missing.json: no such baseline*"),
        ("{", "*otel-testing: *bad.json: not a readable otel-testing baseline*"),
        ('{"version": 1, "violations": [{"code": 1}]}', "*bad.json: violations[[]0[]] needs*"),
        ("[]", "*bad.json: not an otel-testing baseline*"),
    ],
)
def test_a_bad_baseline_is_a_usage_error(
    pytester: pytest.Pytester, content: str | None, message: str
) -> None:
    _ratchet_project(pytester)
    name = "missing.json" if content is None else "bad.json"
    if content is not None:
        (pytester.path / name).write_text(content)
    result = pytester.runpytest_subprocess(*NO_ORDER, "--otel-strict", "--otel-baseline", name)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    result.stderr.no_fnmatch_line("*Traceback*")


@pytest.mark.slow
def test_baseline_report_and_summary_are_the_same_under_xdist_and_random_order(
    pytester: pytest.Pytester,
) -> None:
    _ratchet_project(pytester, 'span.set_attribute("http.url", "/x")')
    (pytester.path / "known.json").write_text(
        '{"version": 1, "violations": [{"code": "OTL301", "signal": "span", '
        '"name": "place order", "key": "http.method", "scope": "shop.orders"}]}'
    )
    runs = {
        "serial": [*NO_ORDER],
        "xdist": [*NO_ORDER, "-n", "2"],
        "random": ["-p", "randomly", "-p", "xdist", "-n", "2", "--randomly-seed=7"],
    }
    outputs = {}
    for label, options in runs.items():
        result = pytester.runpytest_subprocess(
            *options,
            "--otel-strict",
            "--otel-baseline=known.json",
            f"--otel-write-baseline={label}/baseline.json",
            f"--otel-report={label}/report.json",
        )
        result.assert_outcomes(passed=7)
        summary = [line for line in result.outlines if line.startswith("otel-testing: ")]
        assert len(summary) == 1, result.outlines
        outputs[label] = (
            (pytester.path / label / "baseline.json").read_text(),
            (pytester.path / label / "report.json").read_text(),
            summary[0].replace(label, "LABEL"),
        )
    assert outputs["serial"] == outputs["xdist"] == outputs["random"]
    report = json.loads(outputs["serial"][1])
    assert report["summary"]["tests"] == 7
    assert report["summary"]["spans"] == 6 * 2 + 1
    assert "-n 2" not in outputs["serial"][2]


REPORT_SUITE = """
import logging
from opentelemetry import metrics, trace

import flaskish

tracer = trace.get_tracer("shop.orders")
meter = metrics.get_meter("shop.orders")
latency = meter.create_histogram("shop.order.duration", unit="ms")

def test_order(telemetry):
    flaskish.serve()
    with tracer.start_as_current_span("place order", kind=trace.SpanKind.CLIENT) as span:
        span.set_attribute("shop.order.items", 3)
        span.set_attribute("shop.order.tags", ["a", "b"])
    latency.record(12.5, {"shop.channel": "web"})
    logging.getLogger("shop.orders").warning("placed")

def test_plain(telemetry):
    with tracer.start_as_current_span("place order", kind=trace.SpanKind.CLIENT) as span:
        span.set_attribute("shop.order.items", 1.5)
"""


def _schema() -> dict[str, object]:
    from otel_testing.report import SCHEMA_FILE

    schema: dict[str, object] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


def test_the_json_report_says_what_the_suite_emitted(pytester: pytest.Pytester) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    pytester.makepyfile(flaskish=THIRD_PARTY, test_report=REPORT_SUITE)
    result = pytester.runpytest_subprocess(*NO_ORDER, "--otel-report", "out/report.json")
    result.assert_outcomes(passed=2)  # a report alone fails nothing
    result.stdout.fnmatch_lines(
        [
            "otel-testing: 3 spans, 1 metrics, 1 log records, 2 scopes; "
            "violations: 1 new, 0 known, 2 not judged (info or third-party); "
            "report: out/report.json"
        ]
    )
    report = json.loads((pytester.path / "out" / "report.json").read_text())
    jsonschema.validate(report, _schema())
    order, plain = "test_report.py::test_order", "test_report.py::test_plain"
    assert report["spans"] == [
        {
            "name": "GET /cart",
            "kind": "SERVER",
            "scope": "opentelemetry.instrumentation.flask",
            "tests": [order],
        },
        {"name": "place order", "kind": "CLIENT", "scope": "shop.orders", "tests": [order, plain]},
    ]
    assert report["metrics"] == [
        {
            "name": "shop.order.duration",
            "instrument": "histogram",
            "unit": "ms",
            "scope": "shop.orders",
            "attribute_keys": ["shop.channel"],
            "tests": [order],
        }
    ]
    types = {row["key"]: row["value_types"] for row in report["attributes"]}
    assert types["shop.order.items"] == ["float", "int"]
    assert types["shop.order.tags"] == ["str[]"]
    assert report["logs"] == [{"scope": "shop.orders", "count": 1, "tests": [order]}]
    statuses = {(row["code"], row["key"], row["status"]) for row in report["violations"]}
    # Without --otel-strict nothing fails, but the project's own violation is still new.
    assert ("OTL306", "shop.order.duration", "new") in statuses
    assert ("OTL301", "http.method", "third-party") in statuses


def test_the_sarif_report_is_sarif_2_1_0(pytester: pytest.Pytester) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    pytester.makepyfile(flaskish=THIRD_PARTY, test_report=REPORT_SUITE)
    result = pytester.runpytest_subprocess(*NO_ORDER, "--otel-strict", "--otel-report=r.sarif")
    result.assert_outcomes(passed=1, failed=1)
    sarif = json.loads((pytester.path / "r.sarif").read_text())
    schema = Path(__file__).parents[1] / "schemas" / "sarif-2.1.0-rtm.5.json"
    jsonschema.validate(sarif, json.loads(schema.read_text()))
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    levels = {
        (r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        for r in run["results"]
    }
    assert ("OTL306", "error", "test_report.py") in levels
    assert ("OTL301", "note", "test_report.py") in levels
    for result_ in run["results"]:
        assert rules[result_["ruleIndex"]]["id"] == result_["ruleId"]
        assert result_["locations"][0]["physicalLocation"]["region"]["startLine"] > 1
        assert result_["partialFingerprints"]["otelTesting/v1"]


def test_the_report_schema_documents_every_field(pytester: pytest.Pytester) -> None:
    # Every property the schema names carries a type or a reference, and the summary counts
    # every status a violation can have.
    schema = _schema()
    statuses = schema["properties"]["violations"]["items"]["properties"]["status"]["enum"]  # type: ignore[index]
    counted = schema["properties"]["summary"]["properties"]["violations"]["required"]  # type: ignore[index]
    assert statuses == counted == ["new", "known", "info", "third-party"]


def test_a_report_that_cannot_be_written_fails_the_session_plainly(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(flaskish=THIRD_PARTY, test_report=REPORT_SUITE)
    (pytester.path / "taken").write_text("a file, not a folder")
    result = pytester.runpytest_subprocess(*NO_ORDER, "--otel-report", "taken/report.json")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*taken/report.json: cannot write: *"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_strict_fails_a_session_that_captured_nothing(pytester: pytest.Pytester) -> None:
    # The instrumentation was never installed: every test passes, and the gate saw nothing.
    pytester.makepyfile(
        """
        def handle():
            return "ok"

        def test_handle(telemetry):
            assert handle() == "ok"
        """
    )
    result = pytester.runpytest_subprocess(*NO_ORDER, "--otel-strict")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["--otel-strict: the 1 test(s) that asked for telemetry captured none*"]
    )
    # Without strict mode an empty capture is no-one's business.
    assert pytester.runpytest_subprocess(*NO_ORDER).ret == pytest.ExitCode.OK


def test_strict_fails_a_session_missing_an_expected_span_or_metric(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(
        "[pytest]\notel_expect_spans =\n    place order\n    refund\n"
        "otel_expect_metrics = shop.order.duration\n"
    )
    pytester.makepyfile(
        """
        from opentelemetry import trace

        def test_order():
            with trace.get_tracer("shop").start_as_current_span("place order"):
                pass
        """
    )
    result = pytester.runpytest_subprocess(*NO_ORDER, "--otel-strict")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "--otel-strict: expected telemetry that no test emitted: span 'refund', "
            "metric 'shop.order.duration'"
        ]
    )
    result.stdout.no_fnmatch_line("*captured none*")


def test_a_failed_tests_telemetry_is_recorded_and_its_failure_kept(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from opentelemetry import trace

        def emit(name):
            with trace.get_tracer("shop").start_as_current_span(name) as span:
                span.set_attribute("http.method", "GET")

        def test_assertion():
            emit("assertion")
            assert 1 == 2

        def test_fail():
            emit("fail")
            pytest.fail("failed on purpose")
        """
    )
    result = pytester.runpytest_subprocess(*NO_ORDER, "--otel-strict", "--otel-report=r.json")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*assert 1 == 2*", "*failed on purpose*"])
    result.stdout.no_fnmatch_line("*telemetry violates*")
    report = json.loads((pytester.path / "r.json").read_text())
    assert [(row["name"], row["status"]) for row in report["violations"]] == [
        ("assertion", "new"),
        ("fail", "new"),
    ]


def test_control_characters_in_emitted_names_are_escaped(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(_two_scopes("shop.x\x1b[31m", "shop", "opentelemetry.instrumentation.x"))
    result = pytester.runpytest_subprocess(*NO_ORDER, "--otel-strict")
    result.assert_outcomes(passed=1, failed=1)
    assert "\x1b[31m" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*OTL302 ?span 's', scope 'shop'? `shop.x\\x1b?31m`*"])
    result.stdout.fnmatch_lines(["  OTL302 `shop.x\\x1b?31m`*(on span 's')"])
