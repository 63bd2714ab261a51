"""otel-lint: a static linter for OpenTelemetry instrumentation in Python.

The package's core (``semconv``, ``naming``) is shared with the ``otel_testing`` pytest plugin.
"""

__version__ = "0.1.0"
