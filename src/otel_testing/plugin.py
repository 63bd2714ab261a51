"""pytest hooks and fixtures of otel-testing (thin: behaviour lives in ``_capture`` and the views).

Loaded through the ``pytest11`` entry point in every run of an environment where the package is
installed; ``-p no:otel_testing`` turns it off. It is inert until a test asks: a test asks by
naming one of the fixtures below (or requesting it while running), by the ``otel_strict`` marker,
or, for every test, by ``--otel-strict``. Until then nothing of OpenTelemetry is imported, no
global provider is set and no logging handler is added; see the README's plugin section.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from otel_lint.config.settings import Settings
    from otel_testing._capture.metric_accumulation import AccumulatingMetricReader
    from otel_testing._capture.session import SessionCapture
    from otel_testing.gate import Gate
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
_SETTINGS = pytest.StashKey["Settings | None"]()
_GATE = pytest.StashKey["Gate"]()
_PROBLEMS = pytest.StashKey[list[str]]()
_NOTES = pytest.StashKey[list[str]]()
_WORKER_OUTPUT = "otel_testing"
#: Options that make the session a gate: judged, recorded and summarised at its end.
_GATE_OPTIONS = ("otel_strict", "otel_baseline", "otel_write_baseline", "otel_report")


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
    group.addoption(
        "--otel-baseline",
        metavar="FILE",
        default=None,
        help="violations listed in FILE (written by --otel-write-baseline) warn instead of "
        "failing; new ones fail",
    )
    group.addoption(
        "--otel-write-baseline",
        metavar="FILE",
        default=None,
        help="write every violation of the project's telemetry to FILE and fail no test for them",
    )
    group.addoption(
        "--otel-report",
        metavar="FILE",
        default=None,
        help="write what the tests emitted and every violation to FILE: JSON, or SARIF 2.1.0 "
        "when FILE ends in .sarif",
    )
    parser.addini(
        "otel_namespaces",
        type="linelist",
        help="the project's own attribute namespaces for the convention check "
        "(default: `namespaces` in [tool.otel-lint] of pyproject.toml)",
    )
    parser.addini(
        "otel_strict_scopes",
        type="linelist",
        help="instrumentation scopes strict mode judges (a name covers the scopes below it; "
        "`*`: every scope); default: scopes whose module is not installed outside the rootdir",
    )
    parser.addini(
        "otel_strict_ignore_scopes",
        type="linelist",
        help="instrumentation scopes strict mode reports but never fails (the more specific of "
        "the two lists wins)",
    )
    parser.addini(
        "otel_expect_spans",
        type="linelist",
        help="span names some test must emit, or --otel-strict fails the session",
    )
    parser.addini(
        "otel_expect_metrics",
        type="linelist",
        help="metric names some test must emit, or --otel-strict fails the session",
    )


def _project_settings(config: pytest.Config) -> Settings | None:
    """``[tool.otel-lint]`` of the project, read once per session; None when there is none."""
    if _SETTINGS in config.stash:
        return config.stash[_SETTINGS]
    # Imported here: the linter's configuration pulls in pydantic, which suites that never
    # check conventions should not pay for.
    from otel_lint.config.loader import find_config, read_config_file
    from otel_lint.config.settings import ConfigError

    path = find_config(config.rootpath)
    settings = None
    if path is not None:
        try:
            settings = read_config_file(path)
        except ConfigError as error:
            raise pytest.UsageError(f"otel-testing: {error}") from None
    config.stash[_SETTINGS] = settings
    return settings


def project_namespaces(config: pytest.Config) -> tuple[str, ...]:
    """The project's own namespaces, read once per session and only when a check needs them."""
    cached = config.stash.get(_NAMESPACES, None)
    if cached is not None:
        return cached
    namespaces: tuple[str, ...] = tuple(config.getini("otel_namespaces"))
    if not namespaces:
        settings = _project_settings(config)
        namespaces = tuple(settings.namespaces) if settings is not None else ()
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
    if any(config.getoption(name, None) for name in _GATE_OPTIONS):
        _gate(config)  # so is a missing baseline


def _gate(config: pytest.Config) -> Gate:
    """The session's gate, made when the session or a strict test first needs it."""
    gate = config.stash.get(_GATE, None)
    if gate is not None:
        return gate
    # Imported here, as everything of ours beyond this module (see _capture).
    from otel_testing.gate import Gate, GateError, RuleSelection, read_baseline
    from otel_testing.scopes import ScopeOwnership

    selection = RuleSelection.of(_project_settings(config))
    owners = ScopeOwnership(
        config.rootpath,
        config.getini("otel_strict_scopes"),
        config.getini("otel_strict_ignore_scopes"),
    )
    path = config.getoption("otel_baseline", None)
    try:
        baseline = read_baseline(Path(path)) if path else frozenset()
    except GateError as error:
        raise pytest.UsageError(f"otel-testing: {error}") from None
    writing = bool(config.getoption("otel_write_baseline", None))
    gate = config.stash[_GATE] = Gate(selection, owners, baseline, writing)
    return gate


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """pytest-xdist's controller: merge what a worker's tests emitted and how they were judged."""
    output = getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT)
    if output is not None:
        _gate(node.config).record.merge(output)  # type: ignore[attr-defined]


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    gate = config.stash.get(_GATE, None)
    if gate is None:
        return
    worker_output = getattr(config, "workeroutput", None)
    if worker_output is not None:  # an xdist worker: the controller concludes
        worker_output[_WORKER_OUTPUT] = gate.record.to_plain()
        return
    from otel_testing.gate import GateError

    try:
        problems = _conclude(config, gate)
    except GateError as error:
        problems = [str(error)]
    config.stash[_PROBLEMS] = problems
    if problems and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _conclude(config: pytest.Config, gate: Gate) -> list[str]:
    """Write the baseline and the report; what fails the session although every test passed."""
    from otel_testing.gate import KNOWN, NEW, baseline_text, missing_expected, write_text
    from otel_testing.report import report_text

    record = gate.record
    written = config.getoption("otel_write_baseline", None)
    if written:
        write_text(Path(written), baseline_text(record.identities(NEW, KNOWN)))
    report = config.getoption("otel_report", None)
    if report:
        write_text(Path(report), report_text(record, Path(report)))
    unseen = len(gate.baseline - set(record.identities(KNOWN)))
    if unseen and not written:
        # Not a failure: a partial run (-k, one file) does not see everything the baseline holds.
        config.stash[_NOTES] = [
            f"otel-testing: {unseen} baseline entr{'y was' if unseen == 1 else 'ies were'} not "
            "seen in this run (fixed, or not run); --otel-write-baseline on a full run drops them"
        ]
    if not config.getoption("otel_strict", False) or not record.tests:
        return []
    problems = []
    if not record.captured_anything():
        problems.append(
            f"--otel-strict: the {len(record.tests)} test(s) that asked for telemetry captured "
            "none: no span, metric or log record reached the plugin (is the code under test "
            "instrumented, and does it use the global providers or the fixtures' ones?)"
        )
    missing = missing_expected(
        record, config.getini("otel_expect_spans"), config.getini("otel_expect_metrics")
    )
    if missing:
        problems.append(
            "--otel-strict: expected telemetry that no test emitted: " + ", ".join(missing)
        )
    return problems


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    config = terminalreporter.config
    gate = config.stash.get(_GATE, None)
    if gate is None or hasattr(config, "workeroutput"):
        return
    from otel_testing.report import summary_line, third_party_lines

    lines = third_party_lines(gate.record)
    if lines:
        terminalreporter.write_sep("-", "otel-testing: scopes the project does not own")
        for line in lines:
            terminalreporter.write_line(line)
    for note in config.stash.get(_NOTES, []):
        terminalreporter.write_line(note)
    for problem in config.stash.get(_PROBLEMS, []):
        terminalreporter.write_line(problem, red=True, bold=True)
    report = config.getoption("otel_report", None)
    terminalreporter.write_line(summary_line(gate.record, Path(report) if report else None))


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
    try:
        result = yield
    except (Exception, pytest.fail.Exception, pytest.skip.Exception):
        # A failed test's telemetry still belongs in the session's record and report; its own
        # failure is what the user must see, so nothing of the gate's may replace it.
        capture = _active_capture()
        if capture is not None and _GATE in item.config.stash:
            with contextlib.suppress(Exception, pytest.fail.Exception):
                _judge(item, capture, strict=False)
        raise
    capture = _active_capture()
    if capture is None:
        return result
    if "telemetry" in getattr(item, "fixturenames", ()) and capture.problems:
        pytest.fail("\n".join(p.message for p in capture.problems), pytrace=False)
    # Asked again: a fixture may have added the marker (request.applymarker) after set-up began.
    strict = _is_strict(item)
    if strict or _GATE in item.config.stash:
        _judge(item, capture, strict)
    return result


def _judge(item: pytest.Item, capture: SessionCapture, strict: bool) -> None:
    """Record what the test emitted and, under strict mode, fail it for the project's violations."""
    # Imported when first needed, as everything of ours beyond this module (see _capture).
    from otel_testing.conventions import violations_report
    from otel_testing.telemetry import Telemetry

    try:
        gate = _gate(item.config)
    except pytest.UsageError as error:  # a marker asked; the configuration is broken
        pytest.fail(str(error), pytrace=False)
    telemetry = Telemetry(capture)
    path, line, _ = item.location
    verdicts = gate.judge_test(
        item.nodeid,
        (path, (line or 0) + 1),
        (telemetry.spans, telemetry.metrics, telemetry.logs),
        _namespaces_in_test(item.config),
    )
    failing = gate.failing(verdicts)
    if strict and failing:
        known = sum(v.status == "known" for v in verdicts)
        pytest.fail(violations_report(failing, known), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    assertions = sys.modules.get("otel_testing.views.assertions")  # None: no test asked
    if assertions is None or call.excinfo is None:
        return report
    if isinstance(call.excinfo.value, assertions.TelemetryAssertionError):
        crash = getattr(report.longrepr, "reprcrash", None)
        if crash is not None:
            # The short summary shows the message's first line, not the exception's long path.
            crash.message = str(call.excinfo.value)
    return report


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
