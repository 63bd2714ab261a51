"""The plugin's own TracerProvider, which records only while a test that asked for telemetry runs.

The plugin installs it as the global provider for such a test when the suite has set none, and
frees the slot when the test ends. Tracers that the API's proxies resolved to it meanwhile stay
bound to it (the API caches them), so outside those tests its tracers behave as if the plugin
were not there: when the suite has set a provider of its own, they pass each span to that one;
when nothing is set, they do what the API's no-op tracer does (no new ids, the parent's context
passed on). Only ``start_span`` is switched: the SDK's ``start_as_current_span`` (a context
manager and a decorator) calls it for every span, so the choice is made per span, with the SDK's
own frames and exception recording unchanged.
"""

from __future__ import annotations

import weakref
from typing import Any

from opentelemetry import trace as trace_api
from opentelemetry.context import Context
from opentelemetry.sdk.trace import Tracer, TracerProvider

from otel_testing._capture.api_globals import Signal, global_provider


class RecordingSwitch:
    """What the capture is doing now; shared by the tracers and processors of the session."""

    def __init__(self) -> None:
        #: A test that asked for telemetry is running: processors keep what they see.
        self.on = False
        #: A fixture wider than the test is being set up: what it emits is not the test's.
        self.in_wide_fixture = False


_NO_OP = trace_api.NoOpTracer()


class SwitchedTracer(Tracer):
    """The SDK's tracer, recording only while its provider is the global one and the test asks."""

    _otel_testing_provider: SwitchedTracerProvider

    def start_span(
        self, name: str, context: Context | None = None, *args: Any, **kwargs: Any
    ) -> trace_api.Span:
        provider = self._otel_testing_provider
        current = global_provider(Signal.TRACES)
        if current is provider and provider.switch.on:
            return super().start_span(name, context, *args, **kwargs)
        if current is not None and current is not provider:
            return self._tracer_of(current).start_span(name, context, *args, **kwargs)
        return _NO_OP.start_span(name, context, *args, **kwargs)

    def _tracer_of(self, provider: trace_api.TracerProvider) -> trace_api.Tracer:
        # The last provider passed on to, held weakly: the plugin keeps no provider it did not
        # build alive.
        cached = getattr(self, "_otel_testing_delegate", None)
        if cached is not None and cached[0]() is provider:
            tracer: trace_api.Tracer = cached[1]
            return tracer
        scope = self._instrumentation_scope
        tracer = provider.get_tracer(scope.name, scope.version, scope.schema_url, scope.attributes)
        self._otel_testing_delegate = (weakref.ref(provider), tracer)
        return tracer


class SwitchedTracerProvider(TracerProvider):
    """The SDK's provider, whose tracers are ``SwitchedTracer``s on one switch."""

    def __init__(self, switch: RecordingSwitch, **options: Any) -> None:
        super().__init__(**options)
        self.switch = switch
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
        # every argument it was built with (they differ between SDK versions). A disabled SDK
        # (OTEL_SDK_DISABLED) hands out its no-op tracer, which stays as it is.
        if type(tracer) is Tracer:
            # The provider first: another thread may be handed this (cached) tracer as soon as
            # its class says it is switched.
            tracer._otel_testing_provider = self  # type: ignore[attr-defined]
            tracer.__class__ = SwitchedTracer
        if key is not None:
            self._known[key] = tracer
        return tracer
