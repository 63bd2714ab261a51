"""The real-world precision harness: otel-lint on pinned releases, compared with judgments."""
