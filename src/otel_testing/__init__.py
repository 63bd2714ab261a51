"""otel-testing: capture and assert on the telemetry that code under test produces.

pytest imports this package in every run of an environment where it is installed (the plugin's
entry point is ``otel_testing.plugin``), so the names below are loaded on first use: importing the
package imports neither the OpenTelemetry SDK nor anything else of ours.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from otel_testing.conventions import Violation
    from otel_testing.plugin import OpenTelemetryLeakWarning
    from otel_testing.telemetry import Telemetry, TelemetryUnavailable
    from otel_testing.views.assertions import TelemetryAssertionError
    from otel_testing.views.logs import LogRecordView, Logs
    from otel_testing.views.matching import ANY
    from otel_testing.views.metrics import HistogramPoint, Metrics, MetricView, NumberPoint
    from otel_testing.views.spans import SpanEvent, Spans, SpanView

#: Public name -> the module that defines it.
_HOMES = {
    "ANY": "otel_testing.views.matching",
    "HistogramPoint": "otel_testing.views.metrics",
    "LogRecordView": "otel_testing.views.logs",
    "Logs": "otel_testing.views.logs",
    "MetricView": "otel_testing.views.metrics",
    "Metrics": "otel_testing.views.metrics",
    "NumberPoint": "otel_testing.views.metrics",
    "OpenTelemetryLeakWarning": "otel_testing.plugin",
    "SpanEvent": "otel_testing.views.spans",
    "SpanView": "otel_testing.views.spans",
    "Spans": "otel_testing.views.spans",
    "Telemetry": "otel_testing.telemetry",
    "TelemetryAssertionError": "otel_testing.views.assertions",
    "TelemetryUnavailable": "otel_testing.telemetry",
    "Violation": "otel_testing.conventions",
}

__all__ = [
    "ANY",
    "HistogramPoint",
    "LogRecordView",
    "Logs",
    "MetricView",
    "Metrics",
    "NumberPoint",
    "OpenTelemetryLeakWarning",
    "SpanEvent",
    "SpanView",
    "Spans",
    "Telemetry",
    "TelemetryAssertionError",
    "TelemetryUnavailable",
    "Violation",
]


def __getattr__(name: str) -> Any:
    # Loaded on first use, not at import: see the module docstring.
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'otel_testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
