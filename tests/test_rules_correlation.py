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


def python_facts_of(source: str, *others: str) -> set[str]:
    """The log-correlation facts a project of one Python source (and deployment files) shows."""
    source = textwrap.dedent(source)
    found = facts.python_facts(source, SgRoot(source, "python").root())
    found |= {fact for text in others for fact in facts.text_facts(textwrap.dedent(text))}
    return {fact for fact in LOG_FACTS if facts.holds(fact, found)}


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


# --- bridges one or two calls away (structlog processors, filters) ------------------------------

STRUCTLOG_SETUP = """
    import structlog

    from app.tracing import {helper}


    def add_trace_ids(logger, method_name, event_dict):
        event_dict.update({helper}())
        return event_dict


    structlog.configure(processors=[add_trace_ids, structlog.processors.JSONRenderer()])
"""
READS_SPAN = """
    from opentelemetry import trace


    def otel_ids():
        context = trace.get_current_span().get_span_context()
        return {"trace_id": format(context.trace_id, "032x")}
"""


def test_a_processor_whose_helper_in_another_module_reads_the_span_is_a_bridge(
    tmp_path: Path,
) -> None:
    files = {
        "app/log_setup.py": STRUCTLOG_SETUP.format(helper="otel_ids"),
        "app/tracing.py": READS_SPAN,
        "app/other_setup.py": LOGGING_SETUP,
    }
    # The processor bridges structlog, and (as any bridge) silences the stdlib configuration too.
    assert codes(lint_files(tmp_path, files)) == []


def test_a_processor_whose_helper_reads_no_span_is_no_bridge(tmp_path: Path) -> None:
    files = {
        "app/log_setup.py": STRUCTLOG_SETUP.format(helper="request_ids"),
        "app/tracing.py": READS_SPAN + "\n\ndef request_ids():\n    return {'request': 1}\n",
    }
    found = lint_files(tmp_path, files)
    assert codes(found) == [("OTL101", "app/log_setup.py")]
    assert "none of its processors adds the trace and span ids" in found[0].message


def test_a_helper_imported_under_another_name_or_through_its_module_is_followed(
    tmp_path: Path,
) -> None:
    setup = STRUCTLOG_SETUP.format(helper="ids").replace(
        "from app.tracing import ids", "from app.tracing import otel_ids as ids"
    )
    files = {"app/log_setup.py": setup, "app/tracing.py": READS_SPAN}
    assert codes(lint_files(tmp_path, files)) == []
    setup = STRUCTLOG_SETUP.format(helper="tracing.otel_ids").replace(
        "from app.tracing import tracing.otel_ids", "from app import tracing"
    )
    files = {"app/log_setup.py": setup, "app/tracing.py": READS_SPAN}
    assert codes(lint_files(tmp_path, files)) == []


def test_a_processor_list_that_grows_after_it_is_bound_is_not_judged_by_its_literal(
    tmp_path: Path,
) -> None:
    files = {
        "app/log_setup.py": """
            import structlog

            from app.tracing import otel_ids


            def correlate(_, __, event_dict):
                event_dict.update(otel_ids())
                return event_dict


            shared = [structlog.processors.add_log_level]
            if USE_JSON:
                shared.append(correlate)
            structlog.configure(processors=[*shared, structlog.processors.JSONRenderer()])
        """,
        "app/tracing.py": READS_SPAN,
    }
    assert codes(lint_files(tmp_path, files)) == []
    # Without any bridge in the project, the configuration is still reported.
    files["app/tracing.py"] = "import opentelemetry\n\n\ndef otel_ids():\n    return {}\n"
    assert codes(lint_files(tmp_path, files)) == [("OTL101", "app/log_setup.py")]


def test_a_function_that_fills_a_dict_named_record_is_no_hook(tmp_path: Path) -> None:
    """mlflow's evaluation script: `main()` fills `record[...]` and calls a tracing helper."""
    files = {
        "app/main.py": LOGGING_SETUP,
        "scripts/seed.py": """
            from app.tracing import otel_ids


            def main():
                record = {}
                record["ids"] = otel_ids()
        """,
        "app/tracing.py": READS_SPAN,
    }
    assert codes(lint_files(tmp_path, files)) == [("OTL101", "app/main.py")]


def test_show_settings_counts_the_join_calls_instead_of_listing_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from otel_lint.cli import main

    setup = STRUCTLOG_SETUP.format(helper="otel_ids")
    write_project(tmp_path, {"app/log_setup.py": setup, "app/tracing.py": READS_SPAN})
    assert main(["check", "--show-settings", str(tmp_path)]) == 0
    shown = capsys.readouterr().out
    assert "    span-call: 1 call of logging hooks and id helpers" in shown
    assert "span-call:add_trace_ids" not in shown
    assert "    span-reader:otel_ids: app/tracing.py" in shown


def test_a_helper_two_calls_away_is_followed(tmp_path: Path) -> None:
    files = {
        "app/log_setup.py": STRUCTLOG_SETUP.format(helper="log_context"),
        "app/context.py": (
            "from app.tracing import otel_ids\n\n\n"
            "def log_context():\n    return {'service': 'shop', **otel_ids()}\n"
        ),
        "app/tracing.py": READS_SPAN,
    }
    assert codes(lint_files(tmp_path, files)) == []


def test_a_span_reader_the_processors_do_not_use_leaves_structlog_uncorrelated(
    tmp_path: Path,
) -> None:
    """A loguru patcher bridges loguru: structlog's own processors decide for structlog."""
    files = {
        "app/log_setup.py": (
            "import structlog\n\nstructlog.configure(processors=["
            "structlog.processors.add_log_level, structlog.processors.JSONRenderer()])\n"
        ),
        "app/loguru_setup.py": (
            "from opentelemetry import trace\n\n\ndef patch(record):\n"
            "    ctx = trace.get_current_span().get_span_context()\n"
            "    record['extra']['trace_id'] = format(ctx.trace_id, '032x')\n"
        ),
    }
    assert codes(lint_files(tmp_path, files)) == [("OTL101", "app/log_setup.py")]
    # With stdlib bridged too, the configuration is left alone.
    files["app/telemetry.py"] = INJECTING
    assert codes(lint_files(tmp_path, files)) == []


def test_a_filter_whose_helper_reads_the_span_puts_ids_on_records(tmp_path: Path) -> None:
    files = {
        "app/log_setup.py": """
            import logging

            from app.tracing import otel_ids


            class TraceIds(logging.Filter):
                def filter(self, record):
                    record.trace_id = otel_ids()["trace_id"]
                    return True


            handler = logging.StreamHandler()
            handler.addFilter(TraceIds())
            handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
            logging.getLogger().addHandler(handler)
        """,
        "app/tracing.py": READS_SPAN,
    }
    # Bridged (no OTL101), with ids on the records that the format drops (OTL102).
    assert codes(lint_files(tmp_path, files)) == [("OTL102", "app/log_setup.py")]


def test_a_formatter_whose_helper_reads_the_span_bridges_without_record_fields(
    tmp_path: Path,
) -> None:
    files = {
        "app/log_setup.py": """
            import logging

            from app.tracing import otel_ids


            class TraceFormatter(logging.Formatter):
                def format(self, record):
                    return f"{super().format(record)} trace_id={otel_ids()['trace_id']}"


            handler = logging.StreamHandler()
            handler.setFormatter(TraceFormatter("%(levelname)s %(message)s"))
            logging.getLogger().addHandler(handler)
        """,
        "app/tracing.py": READS_SPAN,
    }
    # The line carries the id; the record does not, so its format is no OTL102 either.
    assert codes(lint_files(tmp_path, files)) == []
    files["app/tracing.py"] = "def otel_ids():\n    return {'trace_id': 'none'}\n"
    files["requirements.txt"] = "opentelemetry-sdk\n"
    assert codes(lint_files(tmp_path, files)) == [("OTL101", "app/log_setup.py")]


def test_a_format_method_that_reads_the_span_does_not_make_every_format_call_a_helper() -> None:
    found = facts.python_facts(
        textwrap.dedent(
            """
            class TraceFormatter(logging.Formatter):
                def format(self, record):
                    return str(trace.get_current_span())
            """
        )
    )
    assert f"{facts.SPAN_READER}TraceFormatter" in found
    assert f"{facts.SPAN_READER}format" not in found


# --- the instrumentation's version ----------------------------------------------------------------

B, S, IDS, FMT = (
    facts.LOG_BRIDGE,
    facts.STDLIB_LOG_BRIDGE,
    facts.LOG_IDS_ON_RECORD,
    facts.LOG_FORMAT_INJECTED,
)


@pytest.mark.parametrize(
    ("version", "flags", "expected"),
    [
        # Up to 0.60b0: a record factory, always; no handler.
        ("0.45b0", "plain", {B, S, IDS}),
        ("0.60b0", "no-handler", {B, S, IDS}),
        ("0.48b0", "format", {B, S, IDS, FMT}),
        # 0.61b0-0.63b0: a handler by default; the fields only with set_logging_format.
        ("0.61b0", "plain", {B, S}),
        ("0.62b0", "inject", {B, S}),
        ("0.63b0", "inject,no-handler", set()),
        ("0.62b0", "format,no-handler", {B, S, IDS, FMT}),
        # 0.64b0 on: inject_trace_context puts the fields on records without the format.
        ("0.64b0", "inject", {B, S, IDS}),
        ("0.66b1", "no-handler", set()),
        (None, "inject,no-handler", {B, S, IDS}),
    ],
)
def test_what_the_instrumentor_bridges_follows_its_version(
    version: str | None, flags: str, expected: set[str]
) -> None:
    assert facts.logging_instrumentor_bridges(flags, version) == expected


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("requirements.txt", "opentelemetry-instrumentation-logging==0.48b0\n"),
        ("requirements-prod.txt", "OpenTelemetry_Instrumentation_Logging == 0.48b0  # pinned\n"),
        (
            "pyproject.toml",
            '[project]\nname = "shop"\n'
            'dependencies = ["opentelemetry-instrumentation-logging==0.48b0"]\n',
        ),
        (
            "pyproject.toml",
            '[project]\nname = "shop"\n[tool.poetry.dependencies]\n'
            'opentelemetry-instrumentation-logging = { version = "0.48b0" }\n',
        ),
        (
            "poetry.lock",
            '[[package]]\nname = "opentelemetry-instrumentation-logging"\nversion = "0.48b0"\n',
        ),
        (
            "uv.lock",
            '[[package]]\nname = "opentelemetry-instrumentation-logging"\nversion = "0.48b0"\n'
            'source = { registry = "https://pypi.org/simple" }\n',
        ),
        (
            "Pipfile.lock",
            '{"default": {"opentelemetry-instrumentation-logging": {"hashes": ["sha256:ab"],'
            ' "version": "==0.48b0"}}}\n',
        ),
    ],
)
def test_the_pinned_version_decides_what_a_plain_instrument_call_bridges(
    tmp_path: Path, name: str, text: str
) -> None:
    """0.48b0 puts otelTraceID on every record and leaves the format alone: OTL102."""
    files = {
        "app/log_setup.py": LOGGING_SETUP,
        "app/telemetry.py": INJECTING.replace("inject_trace_context=True", ""),
        name: text,
    }
    if name == "pyproject.toml":
        files["requirements.txt"] = "opentelemetry-sdk\n"
    assert codes(lint_files(tmp_path, files)) == [("OTL102", "app/log_setup.py")]


def test_a_range_is_no_pin_and_the_installed_version_decides(tmp_path: Path) -> None:
    from importlib.metadata import version

    installed = version("opentelemetry-instrumentation-logging")
    assert facts.installed_logging_instrumentation() == installed
    files = {
        "app/log_setup.py": LOGGING_SETUP,
        "app/telemetry.py": INJECTING.replace("inject_trace_context=True", ""),
        "pyproject.toml": (
            '[project]\nname = "shop"\n'
            'dependencies = ["opentelemetry-instrumentation-logging>=0.48b0"]\n'
            '[tool.poetry.dependencies]\nopentelemetry-instrumentation-logging = "^0.48b0"\n'
        ),
    }
    # The suite runs with 0.61b0 or later installed: the handler, no record fields.
    assert codes(lint_files(tmp_path, files)) == []


# --- zero-code launches --------------------------------------------------------------------------

LAUNCH = {
    "app/main.py": LOGGING_SETUP,
    "requirements.txt": "opentelemetry-distro\nopentelemetry-exporter-otlp\n",
    "Procfile": "web: opentelemetry-instrument gunicorn app.main:app\n",
}


@pytest.mark.parametrize(
    ("extra", "bridged"),
    [
        ({}, False),
        ({".env": "OTEL_PYTHON_LOG_CORRELATION=true\n"}, True),
        ({".env": "OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED=true\n"}, True),
        ({"requirements-otel.txt": "opentelemetry-instrumentation-logging\n"}, True),
        (
            {
                "uv.lock": '[[package]]\nname = "opentelemetry-instrumentation-logging"\n'
                'version = "0.66b1"\n'
            },
            True,
        ),
        # 0.61b0 on, the instrumentation's handler is switched off by the environment.
        (
            {
                "requirements-otel.txt": "opentelemetry-instrumentation-logging==0.66b1\n",
                ".env": "OTEL_PYTHON_LOG_AUTO_INSTRUMENTATION=false\n",
            },
            False,
        ),
        # A lock file's other instrumentations are dependencies, not what the launch bridges.
        (
            {
                "uv.lock": '[[package]]\nname = "opentelemetry-instrumentation-requests"\n'
                'version = "0.66b1"\n'
            },
            False,
        ),
    ],
)
def test_a_zero_code_launch_bridges_only_with_the_logging_instrumentation(
    tmp_path: Path, extra: dict[str, str], bridged: bool
) -> None:
    found = codes(lint_files(tmp_path, {**LAUNCH, **extra}))
    assert found == ([] if bridged else [("OTL101", "app/main.py")])


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
