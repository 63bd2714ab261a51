"""pytest hooks and fixtures of otel-testing (thin: behaviour lives in capture and the views).

Loaded through the ``pytest11`` entry point; ``-p no:otel_testing`` turns it off. The providers are
installed before conftest files are imported, so tracers and meters that code under test obtains
at import time resolve to them.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_testing._capture.metric_accumulation import AccumulatingMetricReader
from otel_testing._capture.session import (
    SessionCapture,
    current_span_context,
    reset_current_context,
    session_capture,
)
from otel_testing.telemetry import Telemetry

#: Fixtures whose test needs metric values that start from zero (a collection at test start).
_METRIC_FIXTURES = frozenset({"telemetry", "metric_reader", "meter_provider"})
#: Fixtures through which a test can read what it emitted: only their tests record spans and logs.
_CAPTURE_FIXTURES = _METRIC_FIXTURES | {
    "tracer_provider",
    "logger_provider",
    "span_exporter",
    "log_exporter",
}
_STARTED = pytest.StashKey[bool]()
_NAMESPACES = pytest.StashKey[tuple[str, ...]]()


class OpenTelemetryLeakWarning(pytest.PytestWarning):
    """A test left something behind (an open span, a current context, a running thread, an
    observable instrument, a shut-down provider) that later tests of the process would feel."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("otel-testing")
    group.addoption(
        "--otel-strict",
        action="store_true",
        default=False,
        help="fail every test whose emitted telemetry violates the semantic conventions",
    )
    parser.addini(
        "otel_namespaces",
        type="linelist",
        help="the project's own attribute namespaces for the convention check "
        "(default: `namespaces` in [tool.otel-lint] of pyproject.toml)",
    )


def project_namespaces(config: pytest.Config) -> tuple[str, ...]:
    """The project's own namespaces, read once per session and only when a check needs them."""
    cached = config.stash.get(_NAMESPACES, None)
    if cached is not None:
        return cached
    namespaces: tuple[str, ...] = tuple(config.getini("otel_namespaces"))
    if not namespaces:
        # Imported here: the linter's configuration pulls in pydantic, which suites that never
        # check conventions should not pay for.
        from otel_lint.config import ConfigError, find_config, read_config_file

        path = find_config(config.rootpath)
        if path is not None:
            try:
                namespaces = tuple(read_config_file(path).namespaces)
            except ConfigError as error:
                raise pytest.UsageError(f"otel-testing: {error}") from None
    config.stash[_NAMESPACES] = namespaces
    return namespaces


def _namespaces_in_test(config: pytest.Config) -> tuple[str, ...]:
    # Inside a test a usage error would show as a traceback; a failure says the same plainly.
    try:
        return project_namespaces(config)
    except pytest.UsageError as error:
        pytest.fail(str(error), pytrace=False)


def _start(config: pytest.Config) -> None:
    if not config.stash.get(_STARTED, False):
        config.stash[_STARTED] = True
        session_capture().start_session()


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # Before conftest files import the code under test, so import-time tracers resolve to ours.
    _start(early_config)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "otel_strict: fail the test if its telemetry violates the semantic conventions",
    )
    if config.getoption("otel_strict", False):
        project_namespaces(config)  # a broken configuration stops the run before any test
    _start(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.stash.get(_STARTED, False):
        config.stash[_STARTED] = False
        session_capture().end_session()


def _is_strict(item: pytest.Item) -> bool:
    return bool(item.config.getoption("otel_strict", False)) or (
        item.get_closest_marker("otel_strict") is not None
    )


def _fixture_names(item: pytest.Item) -> frozenset[str]:
    return frozenset(getattr(item, "fixturenames", ()))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    strict = _is_strict(item)
    names = _fixture_names(item)
    session_capture().start_test(
        drain_metrics=strict or bool(names & _METRIC_FIXTURES),
        name=item.nodeid,
        record=strict or bool(names & _CAPTURE_FIXTURES),
    )
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    result = yield
    capture = session_capture()
    if "telemetry" in _fixture_names(item):
        problems = [*capture.session_problems, *capture.problems]
        if problems:
            pytest.fail("\n".join(p.message for p in problems), pytrace=False)
    # Asked again: a fixture may have added the marker (request.applymarker) after set-up began.
    if _is_strict(item):
        violations = Telemetry(capture).check_semconv(
            own_namespaces=_namespaces_in_test(item.config)
        )
        if violations:
            from otel_testing.conventions import violations_report

            pytest.fail(violations_report(violations), pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    finally:
        _report_leaks(session_capture())
        session_capture().end_test()


def _report_leaks(capture: SessionCapture) -> None:
    for notice in capture.test_notices():
        warnings.warn(OpenTelemetryLeakWarning(notice), stacklevel=2)
    still_open = capture.open_spans.spans()
    if still_open:
        names = ", ".join(repr(s.name) for s in still_open)
        warnings.warn(
            OpenTelemetryLeakWarning(
                f"{len(still_open)} span(s) were still open when the test ended: {names}. "
                "End every span (use `with tracer.start_as_current_span(...)`) or wait for the "
                "thread or task that ends it."
            ),
            stacklevel=2,
        )
    current = current_span_context()
    if current.is_valid:
        reset_current_context()
        warnings.warn(
            OpenTelemetryLeakWarning(
                f"span {current.span_id:016x} was still the current span when the test ended "
                "(a context was attached and never detached); the next test would have become "
                "its child. otel-testing reset the context; detach the token that "
                "`context.attach` returned, or use `trace.use_span(...)` as a context manager."
            ),
            stacklevel=2,
        )


# --- fixtures ------------------------------------------------------------------------------------


def _capturing(fixture: str) -> SessionCapture:
    capture = session_capture()
    capture.record_from_now(fixture)
    return capture


@pytest.fixture
def telemetry(request: pytest.FixtureRequest) -> Telemetry:
    """This test's spans, metrics and logs, from the global providers the plugin installed."""
    # `request`, not the session-scoped `pytestconfig`: depending on a session fixture makes
    # pytest keep one finalizer per test until the session ends (~600 B per test).
    config = request.config
    return Telemetry(_capturing("telemetry"), lambda: _namespaces_in_test(config))


@pytest.fixture
def tracer_provider() -> TracerProvider:
    """The capturing TracerProvider, for code that takes a provider as an argument."""
    return _capturing("tracer_provider").tracer_provider


@pytest.fixture
def meter_provider() -> MeterProvider:
    """The capturing MeterProvider, for code that takes a provider as an argument."""
    return _capturing("meter_provider").meter_provider


@pytest.fixture
def logger_provider() -> LoggerProvider:
    """The capturing LoggerProvider, for code that takes a provider as an argument."""
    return _capturing("logger_provider").logger_provider


@pytest.fixture
def span_exporter() -> InMemorySpanExporter:
    """The raw in-memory span exporter (emptied when each test starts)."""
    return _capturing("span_exporter").span_exporter


@pytest.fixture
def metric_reader() -> AccumulatingMetricReader:
    """The raw metric reader; ``get_metrics_data()`` returns what this test recorded."""
    return _capturing("metric_reader").metric_reader


@pytest.fixture
def log_exporter() -> InMemoryLogRecordExporter:
    """The raw in-memory log exporter (emptied when each test starts)."""
    return _capturing("log_exporter").log_exporter
