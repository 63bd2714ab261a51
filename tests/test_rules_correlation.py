"""The 1xx rules (log-trace correlation) over small projects on disk, and the facts they rest on."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from ast_grep_py import SgRoot
from project_lint import lint_project, write_project

from otel_lint.catalogue.model import load_rules
from otel_lint.conventions.registry import Registry
from otel_lint.engine.analysis import analyze_text
from otel_lint.findings import Finding
from otel_lint.output.fixes import fix_until_stable, parses
from otel_lint.project import facts

RULES = [rule for rule in load_rules() if rule.code.startswith("OTL1")]


def lint_files(root: Path, files: dict[str, str]) -> list[Finding]:
    write_project(root, files)
    return lint_project(root, "OTL1")


def codes(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.code, f.path) for f in findings]


LOG_FACTS = {facts.LOG_BRIDGE, facts.LOG_IDS_ON_RECORD, facts.LOG_FORMAT_INJECTED}


def python_facts_of(source: str) -> set[str]:
    """The log-correlation facts a Python source shows."""
    source = textwrap.dedent(source)
    return facts.python_facts(source, SgRoot(source, "python").root()) & LOG_FACTS


LOGGING_SETUP = """
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
"""


# --- the facts, as read from instrumentation-logging 0.66b1 -------------------------------------


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ("", {facts.LOG_BRIDGE}),
        ("inject_trace_context=True", {facts.LOG_BRIDGE, facts.LOG_IDS_ON_RECORD}),
        (
            "set_logging_format=True",
            {facts.LOG_BRIDGE, facts.LOG_IDS_ON_RECORD, facts.LOG_FORMAT_INJECTED},
        ),
        ("set_logging_format=False", {facts.LOG_BRIDGE}),
        ("enable_log_auto_instrumentation=False", set()),
        (
            "enable_log_auto_instrumentation=False, inject_trace_context=True",
            {facts.LOG_BRIDGE, facts.LOG_IDS_ON_RECORD},
        ),
    ],
)
def test_logging_instrumentor_arguments_decide_the_facts(
    arguments: str, expected: set[str]
) -> None:
    source = f"""
        from opentelemetry.instrumentation.logging import LoggingInstrumentor

        LoggingInstrumentor().instrument({arguments})
    """
    assert python_facts_of(source) == expected


def test_the_installed_instrumentation_behaves_as_the_facts_assume() -> None:
    """Guard the reading of 0.66b1: injection is opt-in, the handler is installed by default."""
    import inspect

    from opentelemetry.instrumentation.logging import LoggingInstrumentor

    source = inspect.getsource(LoggingInstrumentor._instrument)
    assert '"inject_trace_context", False' in source
    assert "_setup_logging_handler" in source


@pytest.mark.parametrize(
    "source",
    [
        "from opentelemetry.sdk._logs import LoggingHandler\nhandler = LoggingHandler(level=0)\n",
        'LOGGING = {"handlers": {"otel": {"class": "opentelemetry.sdk._logs.LoggingHandler"}}}\n',
        "import logfire\nhandler = logfire.LogfireLoggingHandler()\n",
    ],
)
def test_otel_handlers_are_bridges(source: str) -> None:
    assert facts.LOG_BRIDGE in python_facts_of(source)


def test_a_filter_that_sets_record_ids_puts_them_on_records() -> None:
    found = python_facts_of(
        """
        class TraceFilter(logging.Filter):
            def filter(self, record):
                ctx = trace.get_current_span().get_span_context()
                record.trace_id = format(ctx.trace_id, "032x")
                return True
        """
    )
    assert found == {facts.LOG_BRIDGE, facts.LOG_IDS_ON_RECORD}


def test_a_loguru_patcher_bridges_without_stdlib_record_fields() -> None:
    found = python_facts_of(
        """
        def patch(record):
            ctx = trace.get_current_span().get_span_context()
            record["extra"]["trace_id"] = format(ctx.trace_id, "032x")
        """
    )
    assert found == {facts.LOG_BRIDGE}


def test_a_span_helper_that_updates_attributes_is_no_bridge() -> None:
    found = python_facts_of(
        """
        def tag(attributes):
            span = trace.get_current_span()
            attributes.update({"acme.tenant": tenant})
            span.set_attributes(attributes)
        """
    )
    assert facts.LOG_BRIDGE not in found


@pytest.mark.parametrize(
    "text",
    [
        "ENV OTEL_PYTHON_LOG_CORRELATION=true\n",
        'environment:\n  OTEL_PYTHON_LOG_CORRELATION: "true"\n',
        'env:\n  - name: OTEL_PYTHON_LOG_CORRELATION\n    value: "true"\n',
    ],
)
def test_log_correlation_env_is_read_in_deployment_files(text: str) -> None:
    assert facts.LOG_FORMAT_INJECTED in facts.text_facts(text)


def test_zero_code_launch_with_the_logging_instrumentation_is_a_bridge() -> None:
    found = facts.text_facts("opentelemetry-instrumentation-logging\n") | facts.text_facts(
        "CMD opentelemetry-instrument python app.py\n"
    )
    assert facts.holds(facts.LOG_BRIDGE, found)
    assert not facts.holds(
        facts.LOG_BRIDGE, facts.text_facts("opentelemetry-instrumentation-logging\n")
    )


# --- OTL101 across files ----------------------------------------------------------------------


def test_otl101_reports_the_configuration_when_no_file_bridges(
    tmp_path: Path, registry: Registry
) -> None:
    files = {
        "app/log_setup.py": LOGGING_SETUP,
        "app/main.py": "import app.log_setup\n",
        "requirements.txt": "opentelemetry-sdk\nopentelemetry-exporter-otlp\n",
        "Dockerfile": "FROM python\n",
    }
    found = lint_files(tmp_path, files)
    assert codes(found) == [("OTL101", "app/log_setup.py")]
    assert found[0].line == 4


def test_otl101_leaves_projects_without_opentelemetry_alone(
    tmp_path: Path, registry: Registry
) -> None:
    files = {"app/log_setup.py": LOGGING_SETUP, "requirements.txt": "flask\n"}
    assert codes(lint_files(tmp_path, files)) == []


def test_otl101_is_resolved_by_a_bridge_in_another_module(
    tmp_path: Path, registry: Registry
) -> None:
    files = {
        "app/log_setup.py": LOGGING_SETUP,
        "app/telemetry.py": """
            from opentelemetry.instrumentation.logging import LoggingInstrumentor

            LoggingInstrumentor().instrument()
        """,
    }
    assert codes(lint_files(tmp_path, files)) == []


def test_otl101_is_resolved_by_the_deployment_environment(
    tmp_path: Path, registry: Registry
) -> None:
    files = {
        "app/log_setup.py": LOGGING_SETUP,
        "deploy/api.k8s.yaml": "env:\n  - name: OTEL_PYTHON_LOG_CORRELATION\n    value: 'true'\n",
    }
    assert codes(lint_files(tmp_path, files)) == []


def test_otl101_is_resolved_by_zero_code_logging_instrumentation(
    tmp_path: Path, registry: Registry
) -> None:
    files = {
        "app/log_setup.py": LOGGING_SETUP,
        "requirements.txt": "opentelemetry-distro\nopentelemetry-instrumentation-logging\n",
        "Procfile": "web: opentelemetry-instrument gunicorn app:app\n",
    }
    assert codes(lint_files(tmp_path, files)) == []


def test_otl101_ignores_test_configuration(tmp_path: Path, registry: Registry) -> None:
    assert codes(lint_files(tmp_path, {"tests/conftest.py": LOGGING_SETUP})) == []


# --- OTL102 across files ----------------------------------------------------------------------

INJECTING = """
    from opentelemetry.instrumentation.logging import LoggingInstrumentor

    LoggingInstrumentor().instrument(inject_trace_context=True)
"""


def test_otl102_needs_a_bridge_that_only_puts_ids_on_records(
    tmp_path: Path, registry: Registry
) -> None:
    files = {"app/log_setup.py": LOGGING_SETUP, "app/telemetry.py": INJECTING}
    found = lint_files(tmp_path, files)
    assert codes(found) == [("OTL102", "app/log_setup.py")]
    assert found[0].line == 4 and found[0].column > 1  # the format literal, not the call


def test_otl102_is_silent_when_the_format_is_injected_by_the_environment(
    tmp_path: Path, registry: Registry
) -> None:
    files = {
        "app/log_setup.py": LOGGING_SETUP,
        "app/telemetry.py": INJECTING,
        "docker-compose.yml": (
            "services:\n  api:\n    environment:\n      - OTEL_PYTHON_LOG_CORRELATION=true\n"
        ),
    }
    assert codes(lint_files(tmp_path, files)) == []


def test_otl102_is_silent_for_the_handler_only_bridge(tmp_path: Path, registry: Registry) -> None:
    files = {
        "app/log_setup.py": LOGGING_SETUP,
        "app/telemetry.py": INJECTING.replace("inject_trace_context=True", ""),
    }
    assert codes(lint_files(tmp_path, files)) == []


# --- OTL103 fixes -------------------------------------------------------------------------------


def _lint(text: str, registry: Registry) -> list[Finding]:
    return list(analyze_text("example.py", text, RULES, registry).findings)


@pytest.mark.parametrize(
    ("source", "fixed"),
    [
        ('x = f"{str(ctx.trace_id)}"\n', "x = f\"{format(ctx.trace_id, '032x')}\"\n"),
        ("x = f'{hex(ctx.span_id)}'\n", "x = f'{format(ctx.span_id, \"016x\")}'\n"),
        # The string's text starts with the other quote: the delimiter decides, not the text.
        ("x = f'\"{hex(ctx.span_id)}\"'\n", 'x = f\'"{format(ctx.span_id, "016x")}"\'\n'),
        # A triple-quoted string's quote may appear in its fields.
        ('x = f"""{hex(ctx.span_id)}"""\n', 'x = f"""{format(ctx.span_id, "016x")}"""\n'),
        ('x = format(ctx.trace_id, "X")\n', 'x = format(ctx.trace_id, "032x")\n'),
        (
            'x = {"trace_id": "0000000000000000"}\n',
            'x = {"trace_id": "00000000000000000000000000000000"}\n',
        ),
        (
            'record.otelTraceID = "0000000000000000"\n',
            'record.otelTraceID = "00000000000000000000000000000000"\n',
        ),
    ],
)
def test_otl103_fixes_parse_and_keep_the_rest(source: str, fixed: str, registry: Registry) -> None:
    outcome = fix_until_stable(source, lambda text: _lint(text, registry))
    assert outcome.text == fixed
    assert parses(outcome.text)


@pytest.mark.parametrize(
    "source",
    [
        "x = f\"{f'{hex(ctx.trace_id)}'}\"\n",
        "x = f'{f\"{str(ctx.span_context.span_id)}\"}'\n",
    ],
)
def test_otl103_offers_no_fix_where_no_quote_is_left(source: str, registry: Registry) -> None:
    # Before Python 3.12 neither quote may appear inside both f-strings: the finding stands, and
    # it is not shown as fixable (`[*]`) only for --fix to decline it.
    assert compile(source, "example.py", "exec")
    findings = _lint(source, registry)
    assert [(f.code, f.fix) for f in findings] == [("OTL103", None)]


def test_otl103_fix_renders_what_the_api_helpers_render() -> None:
    from opentelemetry.trace import format_span_id, format_trace_id

    for value in (1, 0xABC, 2**127 + 5):
        assert format(value, "032x") == format_trace_id(value)
        assert format(value & (2**64 - 1), "016x") == format_span_id(value & (2**64 - 1))


@pytest.mark.parametrize(
    "source",
    [
        'x = f"{ctx.trace_id=}"\n',  # the debug form prints the expression too
        'x = f"{ctx.trace_id!r}"\n',
        "x = str(request.trace_id)\n",  # may already be text
        'x = "%x" % ctx.trace_id\n',  # %-formatting is not judged
    ],
)
def test_otl103_leaves_forms_it_does_not_judge(source: str, registry: Registry) -> None:
    assert _lint(source, registry) == []


def test_bridge_in_a_file_not_being_checked_is_still_seen(tmp_path: Path) -> None:
    """pre-commit passes only changed files; a filter elsewhere still counts as the bridge."""
    write_project(
        tmp_path,
        {
            "app/logging_setup.py": """
                import logging
                from opentelemetry import trace

                logging.basicConfig(level=logging.INFO)
            """,
            # The span comes from the project's own helper: this file never names opentelemetry.
            "app/ids.py": """
                import logging

                from app.tracing import current_span

                class TraceIds(logging.Filter):
                    def filter(self, record):
                        context = current_span().get_span_context()
                        record.trace_id = f"{context.trace_id:032x}"
                        return True
            """,
        },
    )
    assert lint_project(tmp_path, "OTL101", "app/logging_setup.py") == []
    (tmp_path / "app" / "ids.py").write_text("import logging\n")
    assert [f.code for f in lint_project(tmp_path, "OTL101", "app/logging_setup.py")] == ["OTL101"]
