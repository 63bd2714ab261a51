"""otel-testing: capture and assert on the telemetry that code under test produces."""
