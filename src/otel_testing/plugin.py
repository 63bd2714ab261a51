"""pytest hooks and fixtures of otel-testing (thin: behaviour lives in the capture and view modules)."""
