"""The ``telemetry`` fixture's object: this test's spans, metrics and logs, read fresh each time."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from otel_lint.semconv import Registry
    from otel_testing.conventions import Violation
from otel_testing._capture.metric_accumulation import merged_metrics_data
from otel_testing._capture.session import SessionCapture
from otel_testing.snapshots import telemetry_dict
from otel_testing.views.logs import LogRecordView, Logs
from otel_testing.views.metrics import Metrics
from otel_testing.views.spans import Spans


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
        return Spans.capture(self._capture.finished_spans)

    @property
    def metrics(self) -> Metrics:
        return Metrics(merged_metrics_data(self._capture.metric_readers))

    @property
    def logs(self) -> Logs:
        records = self._capture.log_records()
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
