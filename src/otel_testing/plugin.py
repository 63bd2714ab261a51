"""pytest hooks and fixtures of otel-testing (thin: behaviour lives in ``_capture`` and the views).

Loaded through the ``pytest11`` entry point in every run of an environment where the package is
installed; ``-p no:otel_testing`` turns it off. It is inert until a test asks: a test asks by
naming one of the fixtures below (or requesting it while running), by the ``otel_strict`` marker,
or, for every test, by ``--otel-strict``. Until then nothing of OpenTelemetry is imported, no
global provider is set and no logging handler is added; see the README's plugin section.
"""

from __future__ import annotations

import sys
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

    from otel_testing._capture.metric_accumulation import AccumulatingMetricReader
    from otel_testing._capture.session import SessionCapture
    from otel_testing.telemetry import Telemetry

#: Fixtures through which a test reads what it emitted: naming one is asking for telemetry.
CAPTURE_FIXTURES = frozenset(
    {
        "telemetry",
        "tracer_provider",
        "meter_provider",
        "logger_provider",
        "span_exporter",
        "metric_reader",
        "log_exporter",
    }
)
_NAMESPACES = pytest.StashKey[tuple[str, ...]]()


class OpenTelemetryLeakWarning(pytest.PytestWarning):
    """A test that asked for telemetry left something behind (an open span, a current context, a
    running thread, an observable instrument or a shut-down provider of the plugin's) that later
    tests of the process would feel. Filter it with
    ``-W ignore::otel_testing.OpenTelemetryLeakWarning``."""


def _capture() -> SessionCapture:
    # Imported on first use, not at module level: this module is imported in every pytest run,
    # and a suite that never asks for telemetry must not pay for (or see) the OpenTelemetry SDK.
    from otel_testing._capture.session import session_capture

    return session_capture()


def _active_capture() -> SessionCapture | None:
    """The capture if a test is capturing now; None, importing nothing, otherwise."""
    session = sys.modules.get("otel_testing._capture.session")
    if session is None:  # no test has asked in this process
        return None
    capture: SessionCapture = session.session_capture()
    return capture if capture.active else None


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
        from otel_lint.config.loader import find_config, read_config_file
        from otel_lint.config.settings import ConfigError

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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "otel_strict: fail the test if its telemetry violates the semantic conventions",
    )
    if config.getoption("otel_strict", False):
        project_namespaces(config)  # a broken configuration stops the run before any test


def pytest_unconfigure(config: pytest.Config) -> None:
    capture = _active_capture()
    if capture is not None:  # an interrupted test may not have reached its teardown
        capture.end_test()


def _is_strict(item: pytest.Item) -> bool:
    return bool(item.config.getoption("otel_strict", False)) or (
        item.get_closest_marker("otel_strict") is not None
    )


def _asks(item: pytest.Item) -> bool:
    # Cheapest first: this runs for every test of every suite in the environment.
    names = getattr(item, "fixturenames", ())
    return not CAPTURE_FIXTURES.isdisjoint(names) or _is_strict(item)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    if _asks(item):
        # Before fixtures are set up, so what function-scoped fixtures emit is the test's.
        _capture().start_test(item.nodeid)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    if fixturedef.scope == "function":
        return (yield)
    capture = _active_capture()
    if capture is None:
        return (yield)
    # A wider fixture is set up in whichever test uses it first: what it emits is no test's.
    capture.begin_wide_fixture()
    try:
        return (yield)
    finally:
        capture.end_wide_fixture()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    result = yield
    capture = _active_capture()
    if capture is None:
        return result
    if "telemetry" in getattr(item, "fixturenames", ()) and capture.problems:
        pytest.fail("\n".join(p.message for p in capture.problems), pytrace=False)
    # Asked again: a fixture may have added the marker (request.applymarker) after set-up began.
    if _is_strict(item):
        # Imported when first needed, as everything of ours beyond this module (see _capture).
        from otel_testing.conventions import violations_report
        from otel_testing.telemetry import Telemetry

        violations = Telemetry(capture).check_semconv(
            own_namespaces=_namespaces_in_test(item.config)
        )
        if violations:
            pytest.fail(violations_report(violations), pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    finally:
        capture = _active_capture()
        if capture is not None:
            try:
                _report_leaks(capture)
            finally:
                capture.end_test()


def _report_leaks(capture: SessionCapture) -> None:
    # Only called once a test asked, so the module is loaded already (see _capture).
    from otel_testing._capture.session import current_span_context, reset_current_context

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


def _capturing(request: pytest.FixtureRequest) -> SessionCapture:
    capture = _capture()
    if capture.active:
        # Fixtures set up before this one may have replaced a provider without the API's setter.
        capture.refresh()
    else:
        # Not named up front: the test asked while it was running.
        capture.start_late(request.node.nodeid, request.fixturename or "telemetry")
    return capture


@pytest.fixture
def telemetry(request: pytest.FixtureRequest) -> Telemetry:
    """This test's spans, metrics and logs, from the suite's providers or the plugin's own."""
    from otel_testing.telemetry import Telemetry  # on first use, as in _capture

    # `request`, not the session-scoped `pytestconfig`: depending on a session fixture makes
    # pytest keep one finalizer per test until the session ends (~600 B per test).
    config = request.config
    return Telemetry(_capturing(request), lambda: _namespaces_in_test(config))


@pytest.fixture
def tracer_provider(request: pytest.FixtureRequest) -> TracerProvider:
    """The capturing TracerProvider (the suite's global one if set), for code that takes one."""
    return _capturing(request).tracer_provider


@pytest.fixture
def meter_provider(request: pytest.FixtureRequest) -> MeterProvider:
    """The capturing MeterProvider (the suite's global one if set), for code that takes one."""
    return _capturing(request).meter_provider


@pytest.fixture
def logger_provider(request: pytest.FixtureRequest) -> LoggerProvider:
    """The capturing LoggerProvider (the suite's global one if set), for code that takes one."""
    return _capturing(request).logger_provider


@pytest.fixture
def span_exporter(request: pytest.FixtureRequest) -> InMemorySpanExporter:
    """The raw in-memory span exporter (emptied when each test starts)."""
    return _capturing(request).span_exporter


@pytest.fixture
def metric_reader(request: pytest.FixtureRequest) -> AccumulatingMetricReader:
    """The raw metric reader; ``get_metrics_data()`` returns what this test recorded."""
    return _capturing(request).metric_reader


@pytest.fixture
def log_exporter(request: pytest.FixtureRequest) -> InMemoryLogRecordExporter:
    """The raw in-memory log exporter (emptied when each test starts)."""
    return _capturing(request).log_exporter
