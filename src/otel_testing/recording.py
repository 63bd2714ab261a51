"""Whether the current test records spans and log records at all.

A test that asks for none of the plugin's fixtures (and is not strict) cannot look at what it
emitted, so recording it would only cost time. Such a test sees what it would see without the
plugin: the session's tracers act as the API's no-op tracer (no span is created; a span started
inside a remote or outer context carries that context on), and the log bridge drops its records.
Before the first test that records, the plugin has installed nothing at all, and the API's
proxies are no-ops too, so a test sees the same whichever tests ran before it. Metrics are
recorded either way (aggregation is cheap), and each test that reads them starts from zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from opentelemetry import trace as trace_api
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.util._decorator import _agnosticcontextmanager


class RecordingSwitch:
    """On while the current test may read what it emits; shared by the tracers and processors."""

    def __init__(self) -> None:
        self.on = True


class SwitchedTracerProvider(TracerProvider):
    """The SDK's provider, whose tracers act as no-op tracers while the switch is off."""

    def __init__(self, switch: RecordingSwitch, **options: Any) -> None:
        super().__init__(**options)
        self._switch = switch

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace_api.Tracer:
        return SwitchedTracer(super().get_tracer(*args, **kwargs), self._switch)


_NO_OP = trace_api.NoOpTracer()


class SwitchedTracer(trace_api.Tracer):
    """Starts spans with the SDK's tracer while the switch is on, as the no-op tracer otherwise.

    Decided per span, not per tracer: tracers are obtained once (often at import time) and used
    by every test.
    """

    def __init__(self, tracer: trace_api.Tracer, switch: RecordingSwitch) -> None:
        self._tracer = tracer
        self._switch = switch

    def start_span(self, *args: Any, **kwargs: Any) -> trace_api.Span:
        tracer = self._tracer if self._switch.on else _NO_OP
        return tracer.start_span(*args, **kwargs)

    @_agnosticcontextmanager
    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Iterator[trace_api.Span]:
        tracer = self._tracer if self._switch.on else _NO_OP
        with tracer.start_as_current_span(*args, **kwargs) as span:
            yield span

    def __getattr__(self, name: str) -> Any:
        # The SDK tracer's own attributes (``resource``, ``instrumentation_scope``...).
        return getattr(self._tracer, name)
