"""The ``telemetry`` fixture's object: this test's spans, metrics and logs, read fresh each time."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk._logs import ReadableLogRecord

if TYPE_CHECKING:
    from otel_lint.conventions.registry import Registry
    from otel_testing.conventions import Violation
from otel_testing._capture.session import SessionCapture, TelemetryUnavailable
from otel_testing.snapshots import telemetry_dict
from otel_testing.views.logs import LogRecordView, Logs
from otel_testing.views.metrics import Metrics
from otel_testing.views.spans import Spans

__all__ = ["Telemetry", "TelemetryUnavailable"]


class Telemetry:
    """What the code under test emitted during this test.

    Each property reads the capture again (after flushing batch processors), so a value taken
    after more work sees that work.
    """

    def __init__(
        self,
        capture: SessionCapture,
        project_namespaces: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        self._capture = capture
        self._project_namespaces = project_namespaces

    @property
    def spans(self) -> Spans:
        """This test's finished spans (not those of wider fixtures' set-up, nor strays)."""
        return Spans.capture(self._capture.finished_spans)

    @property
    def metrics(self) -> Metrics:
        """Metric points recorded since the test started (set-up of wider fixtures excluded)."""
        return Metrics(self._capture.metrics_data())

    @property
    def logs(self) -> Logs:
        """This test's log records (not those of wider fixtures' set-up, nor strays)."""
        return self._logs(self._capture.log_records())

    @property
    def fixture_spans(self) -> Spans:
        """Spans emitted while fixtures wider than the test (session, module...) were set up
        during this test's set-up; they belong to no test, so ``spans`` leaves them out."""
        return Spans.capture(self._capture.fixture_spans)

    @property
    def fixture_logs(self) -> Logs:
        """Log records emitted while fixtures wider than the test were set up (see above)."""
        return self._logs(self._capture.fixture_log_records())

    def _logs(self, records: Iterable[ReadableLogRecord]) -> Logs:
        current = self._capture.log_notes.current_span_of()
        return Logs([LogRecordView.of(r, current.get(id(r.log_record))) for r in records])

    def check_semconv(
        self, registry: Registry | None = None, own_namespaces: Iterable[str] | None = None
    ) -> list[Violation]:
        """Convention violations in everything captured so far, with the linter's rule codes.

        ``own_namespaces`` defaults to the project's: the ``otel_namespaces`` ini option, else
        ``namespaces`` in ``[tool.otel-lint]``, as the linter reads it.
        """
        # Imported on first use: the registry and naming code cost suites that never check.
        from otel_testing.conventions import check_semconv

        if own_namespaces is None:
            own_namespaces = self._project_namespaces()
        return check_semconv(self.spans, self.metrics, self.logs, registry, own_namespaces)

    def as_dict(self) -> dict[str, Any]:
        """Spans, logs and metrics as deterministic plain dicts for snapshot tests."""
        resource = dict(self._capture.tracer_provider.resource.attributes)
        return telemetry_dict(self.spans, self.logs, self.metrics, resource)

    def clear(self) -> None:
        """Forget what was captured so far in this test (for example, set-up traffic)."""
        self._capture.forget_captured(drain_metrics=True)
