"""Whether the current test records spans and log records at all.

A test that asks for none of the plugin's fixtures (and is not strict) cannot look at what it
emitted, so recording it would only cost time. Such a test's spans are what the API's no-op tracer
gives when no SDK is installed: no span is created, and a span started inside a remote or outer
context carries that context on. So a test that does not record sees the same with the plugin as
without it, whichever tests ran before it. The log bridge drops its records too. Metrics are
recorded either way (aggregation is cheap), and each test that reads them starts from zero.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace as trace_api
from opentelemetry.sdk.trace import Tracer, TracerProvider


class RecordingSwitch:
    """On while the current test may read what it emits; shared by the tracers and processors."""

    def __init__(self) -> None:
        self.on = True


_NO_OP = trace_api.NoOpTracer()


class SwitchedTracer(Tracer):
    """The SDK's tracer, starting spans as the API's no-op tracer does while the switch is off.

    Only ``start_span`` is switched: the SDK's ``start_as_current_span`` (a context manager and a
    decorator) calls it for every span, so the choice is made per span, with the SDK's own frames
    and exception recording unchanged. Tracers are made once, often at import time, and used by
    every test.
    """

    _otel_testing_switch: RecordingSwitch

    def start_span(self, *args: Any, **kwargs: Any) -> trace_api.Span:
        if self._otel_testing_switch.on:
            return super().start_span(*args, **kwargs)
        return _NO_OP.start_span(*args, **kwargs)


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
            tracer.__class__ = SwitchedTracer
            tracer._otel_testing_switch = self._switch  # type: ignore[attr-defined]
        if key is not None:
            self._known[key] = tracer
        return tracer
