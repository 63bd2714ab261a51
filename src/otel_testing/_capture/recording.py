"""Whether the current test records spans and log records at all.

A test that asks for none of the plugin's fixtures (and is not strict) cannot look at what it
emitted, so recording it would only cost time. Such a test gets spans that are not recorded, as
with a sampler that drops them: their span contexts are valid (a new trace id, or the parent's)
but unsampled, so context still propagates (a ``traceparent`` header, log correlation), and no
processor sees them. The log bridge drops its records too. Metrics are recorded either way
(aggregation is cheap), and each test that reads them starts from zero.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace as trace_api
from opentelemetry.context import Context
from opentelemetry.sdk.trace import Tracer, TracerProvider
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags


class RecordingSwitch:
    """On while the current test may read what it emits; shared by the tracers and processors."""

    def __init__(self) -> None:
        self.on = True


class SwitchedTracer(Tracer):
    """The SDK's tracer, starting unrecorded spans while the switch is off.

    Only ``start_span`` is switched: the SDK's ``start_as_current_span`` (a context manager and a
    decorator) calls it for every span, so the choice is made per span, with the SDK's own frames
    and exception recording unchanged. Tracers are made once, often at import time, and used by
    every test. Off, a span is what the SDK makes when its sampler drops one, without asking the
    sampler or touching attributes, links or processors.
    """

    _otel_testing_switch: RecordingSwitch

    def start_span(
        self, name: str, context: Context | None = None, *args: Any, **kwargs: Any
    ) -> trace_api.Span:
        if self._otel_testing_switch.on:
            return super().start_span(name, context, *args, **kwargs)
        parent = trace_api.get_current_span(context).get_span_context()
        ids = self.id_generator
        if parent.is_valid:
            trace_id, state = parent.trace_id, parent.trace_state
        else:
            trace_id, state = ids.generate_trace_id(), None
        unsampled = TraceFlags(TraceFlags.DEFAULT)
        return NonRecordingSpan(
            SpanContext(trace_id, ids.generate_span_id(), False, unsampled, state)
        )


class SwitchedTracerProvider(TracerProvider):
    """The SDK's provider, whose tracers are ``SwitchedTracer``s on one switch."""

    def __init__(self, switch: RecordingSwitch, **options: Any) -> None:
        super().__init__(**options)
        self._switch = switch
        #: Tracers by the arguments asked with. The SDK caches them too, but finds its entry
        #: only after building a scope and raising and filtering a deprecation warning, which
        #: code that asks for its tracer on every call pays in every test.
        self._known: dict[object, trace_api.Tracer] = {}

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace_api.Tracer:
        key: object = (args, tuple(sorted(kwargs.items())))
        try:
            known = self._known.get(key)
        except TypeError:  # attributes given as a dict: not hashable, ask the SDK every time
            key, known = None, None
        if known is not None:
            return known
        tracer = super().get_tracer(*args, **kwargs)
        # The SDK builds and caches its Tracer itself; giving that object our subclass keeps
        # every argument it was built with (they differ between SDK versions).
        if type(tracer) is Tracer:
            # The switch first: another thread may be handed this (cached) tracer as soon as
            # its class says it is switched.
            tracer._otel_testing_switch = self._switch  # type: ignore[attr-defined]
            tracer.__class__ = SwitchedTracer
        if key is not None:
            self._known[key] = tracer
        return tracer
