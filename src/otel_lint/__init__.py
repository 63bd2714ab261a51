"""otel-lint: a static linter for OpenTelemetry instrumentation in Python.

The public core (``otel_lint.conventions``) is shared with the ``otel_testing`` pytest plugin.
ARCHITECTURE.md at the repository root says which package holds what.
"""

__version__ = "0.1.0"
