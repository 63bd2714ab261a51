"""The API's global provider slots: read, set, released, and watched while a test runs.

The API lets each global provider be set once per process and says nothing when code sets one.
The plugin needs more than that, and only while a test that asked for telemetry runs: to hand the
slot back when the suite sets its own provider after the plugin installed one, to follow a suite
that replaces its provider (opentelemetry-test-utils' ``TestBase`` does it per test, through the
same private ``Once`` objects), and to leave the slots as it found them when the test ends. Every
use of the API's private names is in this module.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from opentelemetry import trace as trace_api
from opentelemetry._logs import _internal as logs_internal
from opentelemetry.environment_variables import (
    _OTEL_PYTHON_LOGGER_PROVIDER,
    OTEL_PYTHON_METER_PROVIDER,
    OTEL_PYTHON_TRACER_PROVIDER,
)
from opentelemetry.metrics import _internal as metrics_internal
from opentelemetry.util._once import Once


class Signal(enum.Enum):
    TRACES = "TracerProvider"
    METRICS = "MeterProvider"
    LOGS = "LoggerProvider"


@dataclass(frozen=True)
class _Slot:
    module: ModuleType
    provider: str
    once: str
    setter: str
    getter: str
    #: The variable naming a provider class that the API's getter loads on first call.
    variable: str


_SLOTS = {
    Signal.TRACES: _Slot(
        trace_api,
        "_TRACER_PROVIDER",
        "_TRACER_PROVIDER_SET_ONCE",
        "_set_tracer_provider",
        "get_tracer_provider",
        OTEL_PYTHON_TRACER_PROVIDER,
    ),
    Signal.METRICS: _Slot(
        metrics_internal,
        "_METER_PROVIDER",
        "_METER_PROVIDER_SET_ONCE",
        "_set_meter_provider",
        "get_meter_provider",
        OTEL_PYTHON_METER_PROVIDER,
    ),
    Signal.LOGS: _Slot(
        logs_internal,
        "_LOGGER_PROVIDER",
        "_LOGGER_PROVIDER_SET_ONCE",
        "_set_logger_provider",
        "get_logger_provider",
        _OTEL_PYTHON_LOGGER_PROVIDER,
    ),
}


def global_provider(signal: Signal) -> Any:
    """The provider set for ``signal``, or None while the API still hands out its proxies.

    When the environment names a provider class (``OTEL_PYTHON_TRACER_PROVIDER`` ...), the API's
    own getter is asked, which loads and sets it as it would for the suite.
    """
    slot = _SLOTS[signal]
    current = getattr(slot.module, slot.provider, None)
    if current is None and slot.variable in os.environ:
        current = getattr(slot.module, slot.getter)()
    return current


def install(signal: Signal, provider: object) -> bool:
    """Set ``provider`` as the global one if the slot is free; True if it now holds it."""
    slot = _SLOTS[signal]
    getattr(slot.module, slot.setter)(provider, False)
    return getattr(slot.module, slot.provider, None) is provider


def release(signal: Signal, provider: object) -> None:
    """Free the slot if it holds ``provider``, so that the next set succeeds as if never set.

    Proxies that already resolved to ``provider`` stay bound to it (the API caches them); the
    plugin's providers, when not installed, pass what such proxies emit on or drop it.
    """
    slot = _SLOTS[signal]
    if getattr(slot.module, slot.provider, None) is not provider:
        return
    setattr(slot.module, slot.provider, None)
    setattr(slot.module, slot.once, Once())
    if signal is Signal.METRICS:
        # The API's proxy meter provider hands out real meters once it knows a provider; made
        # to forget, it hands out proxies again, and the next provider set rebinds them all.
        proxy = getattr(metrics_internal, "_PROXY_METER_PROVIDER", None)
        if getattr(proxy, "_real_meter_provider", None) is provider:
            proxy._real_meter_provider = None  # type: ignore[union-attr]


#: Called as ``before(signal, provider)`` and ``after(signal, provider)`` around each set.
SetHook = Callable[[Signal, Any], None]


def watch_setters(before: SetHook, after: SetHook) -> Callable[[], None]:
    """Wrap the module-level setters the public ``set_*_provider`` functions call; returns undo.

    The API offers no hook to learn that a provider was set (only a log line, without the
    provider, when it is refused), and wrapping the setter is the one way to get the object.
    """
    undo: list[Callable[[], None]] = []
    for signal, slot in _SLOTS.items():
        original = getattr(slot.module, slot.setter)
        wrapped = _watching(signal, original, before, after)
        setattr(slot.module, slot.setter, wrapped)
        undo.append(_restorer(slot, original, wrapped))

    def restore() -> None:
        for step in undo:
            step()

    return restore


def _watching(
    signal: Signal, original: Callable[[Any, bool], None], before: SetHook, after: SetHook
) -> Callable[[Any, bool], None]:
    def setter(provider: Any, log: bool) -> None:
        before(signal, provider)
        original(provider, log)
        after(signal, provider)

    return setter


def _restorer(slot: _Slot, original: object, wrapped: object) -> Callable[[], None]:
    def restore() -> None:
        # Someone may have wrapped it after us; then theirs stays and calls ours, harmlessly.
        if getattr(slot.module, slot.setter) is wrapped:
            setattr(slot.module, slot.setter, original)

    return restore
