"""The ``[tool.otel-lint]`` table: the settings value, its validation and where it is found."""
