"""Deterministic plain-dict forms of captured telemetry, for inline-snapshot or syrupy.

The functions read spans, log records and metrics by their attributes (the views pass themselves
in), so this module depends on no view and every view can offer ``as_dicts()`` through it.

Ids are renumbered in order of appearance (trace 1, span 1, 2, ...). Times are ranked rather than
measured: every distinct timestamp is replaced by its place in time order, counted from the first
span's start (0), so ordering survives and durations, which differ run to run, do not. Resource
attributes that differ between machines or runs are replaced by a marker.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Replaces a volatile value in a snapshot.
VOLATILE = "<volatile>"

_VOLATILE_RESOURCE_PREFIXES = ("process.", "host.", "os.", "container.", "k8s.")
_VOLATILE_RESOURCE_KEYS = frozenset({"telemetry.sdk.version", "service.instance.id"})


def normalised_resource(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Resource attributes with the per-machine and per-run ones masked."""
    attributes = dict(attributes)
    service = attributes.get("service.name")
    if isinstance(service, str) and service.startswith("unknown_service"):
        # The SDK appends the interpreter's executable name, which differs between machines.
        attributes["service.name"] = "unknown_service"
    return {
        key: VOLATILE
        if key in _VOLATILE_RESOURCE_KEYS or key.startswith(_VOLATILE_RESOURCE_PREFIXES)
        else _plain(value)
        for key, value in sorted(attributes.items())
    }


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value


def _attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    for key, value in attributes.items():
        if key == "code.file.path" and isinstance(value, str):
            # Absolute paths differ between checkouts; the file name does not.
            value = os.path.basename(value)
        elif key == "exception.stacktrace":
            value = VOLATILE
        plain[key] = _plain(value)
    return plain


@dataclass
class SnapshotNumbering:
    """Maps real ids and times to small, stable numbers."""

    times: dict[int, int] = field(default_factory=dict)
    traces: dict[str, int] = field(default_factory=dict)
    spans: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, spans: Iterable[Any] | None, logs: Iterable[Any] | None) -> SnapshotNumbering:
        numbering = cls()
        stamps: set[int] = set()
        origin: int | None = None
        for span in spans or ():
            numbering.trace(span.trace_id)
            numbering.span(span.span_id)
            start, end = span.sdk_span.start_time or 0, span.sdk_span.end_time or 0
            origin = start if origin is None else origin
            stamps.update((start, end))
            stamps.update(event.timestamp for event in span.events)
        for record in logs or ():
            stamps.add(record.timestamp)
            if record.trace_id:
                numbering.trace(record.trace_id)
            if record.span_id:
                numbering.span(record.span_id)
        ordered = sorted(stamps)
        base = ordered.index(origin) if origin is not None else 0
        numbering.times = {stamp: rank - base for rank, stamp in enumerate(ordered)}
        return numbering

    @classmethod
    def for_spans(cls, spans: Iterable[Any]) -> SnapshotNumbering:
        return cls.build(spans, None)

    @classmethod
    def for_logs(cls, logs: Iterable[Any]) -> SnapshotNumbering:
        return cls.build(None, logs)

    def trace(self, trace_id: str | None) -> int | None:
        if trace_id is None:
            return None
        return self.traces.setdefault(trace_id, len(self.traces) + 1)

    def span(self, span_id: str | None) -> int | None:
        if span_id is None:
            return None
        return self.spans.setdefault(span_id, len(self.spans) + 1)

    def time(self, stamp: int | None) -> int | None:
        return None if stamp is None else self.times.get(stamp)


def span_dicts(spans: Iterable[Any], numbering: SnapshotNumbering) -> list[dict[str, Any]]:
    result = []
    for span in spans:
        status = span.status
        entry: dict[str, Any] = {
            "name": span.name,
            "kind": span.kind.name,
            "trace_id": numbering.trace(span.trace_id),
            "span_id": numbering.span(span.span_id),
            "parent_span_id": numbering.span(span.parent_span_id),
            "start_time": numbering.time(span.sdk_span.start_time),
            "end_time": numbering.time(span.sdk_span.end_time),
            "status": status.status_code.name,
            "attributes": _attributes(span.attributes),
            "scope": span.scope.name if span.scope else None,
        }
        if status.description:
            entry["status_description"] = status.description
        if span.events:
            entry["events"] = [
                {
                    "name": e.name,
                    "timestamp": numbering.time(e.timestamp),
                    "attributes": _attributes(e.attributes),
                }
                for e in span.events
            ]
        if span.links:
            entry["links"] = [
                {
                    "trace_id": numbering.trace(f"{link.context.trace_id:032x}"),
                    "span_id": numbering.span(f"{link.context.span_id:016x}"),
                    "attributes": _attributes(dict(link.attributes or {})),
                }
                for link in span.links
            ]
        result.append(entry)
    return result


def log_dicts(logs: Iterable[Any], numbering: SnapshotNumbering) -> list[dict[str, Any]]:
    return [
        {
            "body": _plain(record.body),
            "severity_text": record.severity_text,
            "severity_number": record.severity_number,
            "attributes": _attributes(record.attributes),
            "trace_id": numbering.trace(record.trace_id),
            "span_id": numbering.span(record.span_id),
            "timestamp": numbering.time(record.timestamp),
            "scope": record.scope,
        }
        for record in logs
    ]


def _point_dict(point: Any) -> dict[str, Any]:
    # A sum or gauge point has a value; a histogram point has counts instead.
    if not hasattr(point, "bucket_counts"):
        return {"attributes": _attributes(point.attributes), "value": point.value}
    return {
        "attributes": _attributes(point.attributes),
        "count": point.count,
        "sum": point.sum,
        "min": point.min,
        "max": point.max,
        "boundaries": list(point.boundaries),
        "bucket_counts": list(point.bucket_counts),
    }


def metrics_dict(metrics: Iterable[Any]) -> dict[str, Any]:
    return {
        metric.name: {
            "kind": metric.kind,
            "unit": metric.unit,
            "description": metric.description,
            "points": sorted(
                (_point_dict(p) for p in metric.points),
                key=lambda d: repr(sorted(d["attributes"].items())),
            ),
        }
        for metric in metrics
    }


def telemetry_dict(
    spans: Iterable[Any],
    logs: Iterable[Any],
    metrics: Iterable[Any],
    resource: Mapping[str, Any],
) -> dict[str, Any]:
    """Everything one test captured, numbered consistently across spans and logs."""
    numbering = SnapshotNumbering.build(spans, logs)
    return {
        "resource": normalised_resource(resource),
        "spans": span_dicts(spans, numbering),
        "logs": log_dicts(logs, numbering),
        "metrics": metrics_dict(metrics),
    }
