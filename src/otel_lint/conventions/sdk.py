"""What the installed OpenTelemetry SDK and instrumentation accept in their environment variables.

Read from the installed distributions' metadata and files as text (entry points are the
``entry_points.txt`` lines; the instrumentation's stability modes are string literals in its
``_semconv.py``): nothing is imported, so nothing installed runs.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

#: The entry-point groups the SDK reads the names of ``OTEL_TRACES_SAMPLER`` and of each signal's
#: ``OTEL_*_EXPORTER`` from.
SAMPLER_GROUP = "opentelemetry_traces_sampler"
EXPORTER_GROUPS = {
    "OTEL_TRACES_EXPORTER": "opentelemetry_traces_exporter",
    "OTEL_METRICS_EXPORTER": "opentelemetry_metrics_exporter",
    "OTEL_LOGS_EXPORTER": "opentelemetry_logs_exporter",
}
#: Names OpenTelemetry's own Python distributions register (opentelemetry-sdk, -exporter-otlp-*,
#: -exporter-zipkin-*, -exporter-prometheus; checked against the 1.39 / 0.60b releases): known
#: even where the linter runs without them installed, as in pre-commit's own environment.
OFFICIAL_SAMPLERS = frozenset(
    {
        "always_on",
        "always_off",
        "traceidratio",
        "parentbased_always_on",
        "parentbased_always_off",
        "parentbased_traceidratio",
    }
)
OFFICIAL_EXPORTERS = {
    "opentelemetry_traces_exporter": frozenset(
        {"otlp", "otlp_proto_grpc", "otlp_proto_http", "console", "zipkin", "zipkin_json"}
        | {"zipkin_proto"}
    ),
    "opentelemetry_metrics_exporter": frozenset(
        {"otlp", "otlp_proto_grpc", "otlp_proto_http", "console", "prometheus"}
    ),
    "opentelemetry_logs_exporter": frozenset(
        {"otlp", "otlp_proto_grpc", "otlp_proto_http", "console"}
    ),
}
#: ``OTEL_*_EXPORTER=none`` turns the signal off; the SDK reads it before any entry point.
NO_EXPORTER = "none"
_STABILITY_FILE = "opentelemetry/instrumentation/_semconv.py"
_STABILITY_MODE = re.compile(r"^class _StabilityMode\b[^\n]*\n((?:[ \t]+[^\n]*\n|\n)*)", re.M)
_MODE_VALUE = re.compile(r"^\s+[A-Z_]+\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)


@cache
def installed_names(group: str) -> frozenset[str]:
    """The entry-point names installed distributions register in ``group``."""
    from importlib import metadata  # here: ~20 ms to import, and only deployment files need it

    try:
        return frozenset(entry.name for entry in metadata.entry_points(group=group))
    except Exception:  # a broken distribution's metadata must not fail a lint run
        return frozenset()


def known_samplers() -> frozenset[str]:
    return OFFICIAL_SAMPLERS | installed_names(SAMPLER_GROUP)


def known_exporters(variable: str) -> frozenset[str]:
    group = EXPORTER_GROUPS[variable]
    return OFFICIAL_EXPORTERS[group] | installed_names(group) | {NO_EXPORTER}


@cache
def sdk_installed() -> bool:
    """Whether opentelemetry-sdk is installed where the linter runs: only then does a name no
    installed distribution registers say something (a vendor's sampler or exporter is known by
    its entry point, which is there only if its package is)."""
    from importlib import metadata  # see ``installed_names``

    try:
        metadata.distribution("opentelemetry-sdk")
    except metadata.PackageNotFoundError:
        return False
    return True


@cache
def stability_opt_in_values() -> frozenset[str] | None:
    """The ``OTEL_SEMCONV_STABILITY_OPT_IN`` values the installed opentelemetry-instrumentation
    reads (its ``_StabilityMode`` values but ``default``), or None when it is not installed or
    its source does not say."""
    from importlib import metadata  # see ``installed_names``

    try:
        source = metadata.distribution("opentelemetry-instrumentation").locate_file(_STABILITY_FILE)
        # Read through a plain path: the metadata path type reads without an encoding.
        text = Path(str(source)).read_text(encoding="utf-8")
    except (metadata.PackageNotFoundError, OSError, UnicodeDecodeError, AttributeError):
        return None
    body = _STABILITY_MODE.search(text)
    if body is None:
        return None
    values = frozenset(_MODE_VALUE.findall(body.group(1))) - {"default"}
    return values or None
