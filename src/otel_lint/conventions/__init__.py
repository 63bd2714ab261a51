"""The semantic conventions as the linter and the pytest plugin both judge them.

The registry read from the installed opentelemetry-semantic-conventions package, the naming checks
over attribute keys, metric names and units, the rule codes each kind of naming issue is reported
under, and the judgement of run-time values. ``otel_testing`` imports this package and nothing
below it.
"""
