"""The stdlib logging bridge: a root-logger handler present only while a test asks for telemetry.

It is added when such a test starts and removed when it ends, so ``logging.basicConfig(...)`` in
a conftest (which does nothing once the root logger has a handler) works as without the plugin,
and a ``basicConfig(force=True)`` or ``dictConfig`` of one test cannot take it away from later
tests. If the test itself removes it, reading the logs says so instead of returning fewer.
"""

from __future__ import annotations

import logging
import warnings

from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler

from otel_testing._capture.recording import RecordingSwitch


def _is_otel_logging_handler(handler: logging.Handler) -> bool:
    kind = type(handler)
    return kind.__name__ == "LoggingHandler" and kind.__module__.startswith("opentelemetry")


class _StdlibLogBridge(LoggingHandler):
    """The SDK's logging handler, standing aside when an instrumentation installed its own.

    ``LoggingInstrumentor().instrument()`` (or a suite's own ``LoggingHandler``) exports through
    a logger provider the plugin is attached to; emitting here too would capture every record
    twice.
    """

    def __init__(self, logger_provider: LoggerProvider, switch: RecordingSwitch) -> None:
        super().__init__(logger_provider=logger_provider)
        self._switch = switch

    def emit(self, record: logging.LogRecord) -> None:
        if not self._switch.on:
            return
        root_handlers = logging.getLogger().handlers
        if any(h is not self and _is_otel_logging_handler(h) for h in root_handlers):
            return
        super().emit(record)


class LogBridge:
    """Adds the bridge to the root logger for one test and notices if the test removed it."""

    def __init__(self, logger_provider: LoggerProvider, switch: RecordingSwitch) -> None:
        with warnings.catch_warnings():
            # The SDK marks its handler deprecated in favour of opentelemetry-instrumentation-
            # logging's, which is not a dependency of ours; the SDK one does the same job.
            warnings.simplefilter("ignore", DeprecationWarning)
            self._handler = _StdlibLogBridge(logger_provider, switch)
        self._attached = False

    def attach(self) -> None:
        root = logging.getLogger()
        if self._handler not in root.handlers:
            root.addHandler(self._handler)
        self._attached = True

    def detach(self) -> None:
        if self._attached:
            logging.getLogger().removeHandler(self._handler)
            self._attached = False

    def removed_during_test(self) -> bool:
        """True if the test (``basicConfig(force=True)``, ``dictConfig``) took the bridge away."""
        return self._attached and self._handler not in logging.getLogger().handlers
