"""pytest hooks and fixtures of otel-testing (thin: behaviour lives in capture and the views).

Loaded through the ``pytest11`` entry point; ``-p no:otel_testing`` turns it off. The SDK and the
capturing providers are installed when the first test that records starts (a test naming a
capturing fixture, or any test under ``--otel-strict``): until then a suite pays nothing for the
plugin, as if it were not loaded. Tracers, meters and instruments that code obtained earlier (at
import time) come from the API's proxies, which resolve to the providers once they are global.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from otel_testing.capture import SessionCapture
    from otel_testing.metric_accumulation import AccumulatingMetricReader
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


def _started(config: pytest.Config) -> bool:
    return config.stash.get(_STARTED, False)


def _capture(config: pytest.Config) -> SessionCapture:
    """The process's capture, installed (SDK imported, providers made global) on first use."""
    from otel_testing.capture import session_capture

    capture = session_capture()
    if not _started(config):
        config.stash[_STARTED] = True
        capture.start_session()
    return capture


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "otel_strict: fail the test if its telemetry violates the semantic conventions",
    )
    if config.getoption("otel_strict", False):
        project_namespaces(config)  # a broken configuration stops the run before any test


def pytest_unconfigure(config: pytest.Config) -> None:
    if _started(config):
        from otel_testing.capture import session_capture

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
    record = strict or bool(names & _CAPTURE_FIXTURES)
    if record or _started(item.config):
        _capture(item.config).start_test(
            drain_metrics=strict or bool(names & _METRIC_FIXTURES),
            name=item.nodeid,
            record=record,
        )
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    result = yield
    if not _started(item.config):
        return result
    capture = _capture(item.config)
    if "telemetry" in _fixture_names(item):
        problems = [*capture.session_problems, *capture.problems]
        if problems:
            pytest.fail("\n".join(p.message for p in problems), pytrace=False)
    if _is_strict(item):
        from otel_testing.telemetry import Telemetry

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
        if _started(item.config):
            capture = _capture(item.config)
            _report_leaks(capture)
            capture.end_test()
        _report_current_span()


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


def _report_current_span() -> None:
    # Checked after every test, recording or not: a context attached and never detached (an
    # incoming request's, say) would make the next test's spans its children.
    from opentelemetry import context, trace

    current = trace.get_current_span().get_span_context()
    if current.is_valid:
        context.attach(context.Context())  # the thread starts afresh
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


def _capturing(request: pytest.FixtureRequest, fixture: str) -> SessionCapture:
    # `request`, not the session-scoped `pytestconfig`: depending on a session fixture makes
    # pytest keep one finalizer per test until the session ends (~600 B per test).
    config = request.config
    if not _started(config):
        # Fetched with request.getfixturevalue in a test that named no capturing fixture, before
        # any test installed the capture: install it now and start this test's capture.
        _capture(config).start_test(drain_metrics=False, name=request.node.nodeid, record=False)
    capture = _capture(config)
    capture.record_from_now(fixture)
    return capture


@pytest.fixture
def telemetry(request: pytest.FixtureRequest) -> Telemetry:
    """This test's spans, metrics and logs, from the global providers the plugin installed."""
    from otel_testing.telemetry import Telemetry

    config = request.config
    return Telemetry(_capturing(request, "telemetry"), lambda: _namespaces_in_test(config))


@pytest.fixture
def tracer_provider(request: pytest.FixtureRequest) -> TracerProvider:
    """The capturing TracerProvider, for code that takes a provider as an argument."""
    return _capturing(request, "tracer_provider").tracer_provider


@pytest.fixture
def meter_provider(request: pytest.FixtureRequest) -> MeterProvider:
    """The capturing MeterProvider, for code that takes a provider as an argument."""
    return _capturing(request, "meter_provider").meter_provider


@pytest.fixture
def logger_provider(request: pytest.FixtureRequest) -> LoggerProvider:
    """The capturing LoggerProvider, for code that takes a provider as an argument."""
    return _capturing(request, "logger_provider").logger_provider


@pytest.fixture
def span_exporter(request: pytest.FixtureRequest) -> InMemorySpanExporter:
    """The raw in-memory span exporter (emptied when each test starts)."""
    return _capturing(request, "span_exporter").span_exporter


@pytest.fixture
def metric_reader(request: pytest.FixtureRequest) -> AccumulatingMetricReader:
    """The raw metric reader; ``get_metrics_data()`` returns what this test recorded."""
    return _capturing(request, "metric_reader").metric_reader


@pytest.fixture
def log_exporter(request: pytest.FixtureRequest) -> InMemoryLogRecordExporter:
    """The raw in-memory log exporter (emptied when each test starts)."""
    return _capturing(request, "log_exporter").log_exporter
