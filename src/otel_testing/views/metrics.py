"""Recorded metrics as queryable values, without digging through resource -> scope -> metric."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.metrics.export import (
    Gauge,
    HistogramDataPoint,
    MetricsData,
    NumberDataPoint,
    Sum,
)

from otel_testing.snapshots import metrics_dict
from otel_testing.views.assertions import TelemetryAssertionError, attribute_diff, listing
from otel_testing.views.matching import Expected, attribute_closeness, describe, matches


@dataclass(frozen=True)
class NumberPoint:
    """The value of a sum or gauge for one attribute set."""

    attributes: Mapping[str, Any]
    value: int | float


@dataclass(frozen=True)
class HistogramPoint:
    """A histogram for one attribute set (or merged over several)."""

    attributes: Mapping[str, Any]
    count: int
    sum: float
    min: float
    max: float
    boundaries: tuple[float, ...]
    bucket_counts: tuple[int, ...]


MetricPoint = NumberPoint | HistogramPoint


@dataclass(frozen=True)
class MetricView:
    """One metric: its instrument kind (counter, updowncounter, histogram, gauge), unit, points."""

    name: str
    kind: str
    unit: str
    description: str
    scope: str
    points: tuple[MetricPoint, ...] = field(default=())


def _kind(data: Any) -> str:
    if isinstance(data, Sum):
        return "counter" if data.is_monotonic else "updowncounter"
    if isinstance(data, Gauge):
        return "gauge"
    return "histogram"


def _point(raw: Any) -> MetricPoint:
    attributes = dict(raw.attributes or {})
    if isinstance(raw, NumberDataPoint):
        return NumberPoint(attributes, raw.value)
    if isinstance(raw, HistogramDataPoint):
        return HistogramPoint(
            attributes,
            raw.count,
            raw.sum,
            raw.min,
            raw.max,
            tuple(raw.explicit_bounds),
            tuple(raw.bucket_counts),
        )
    # Exponential histograms: count, sum, min and max are still meaningful.
    return HistogramPoint(attributes, raw.count, raw.sum, raw.min, raw.max, (), ())


def _closeness(expected: Mapping[str, Expected], actual: Mapping[str, Any]) -> tuple[int, int]:
    """Most expected attributes met first, then fewest unexpected keys."""
    return attribute_closeness(expected, actual), -len(set(actual) - set(expected))


def _same_set(expected: Mapping[str, Expected], actual: Mapping[str, Any]) -> bool:
    return set(expected) == set(actual) and all(
        matches(value, actual[key]) for key, value in expected.items()
    )


class Metrics:
    """The metrics recorded during one test, by name."""

    def __init__(self, data: MetricsData) -> None:
        self._metrics: dict[str, MetricView] = {}
        for resource_metrics in data.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    points = tuple(_point(p) for p in metric.data.data_points)
                    existing = self._metrics.get(metric.name)
                    if existing is not None:
                        # The same name from two scopes or providers: one metric to the reader.
                        points = existing.points + points
                    self._metrics[metric.name] = MetricView(
                        metric.name,
                        _kind(metric.data),
                        metric.unit or "",
                        metric.description or "",
                        scope_metrics.scope.name,
                        points,
                    )

    @property
    def names(self) -> list[str]:
        return sorted(self._metrics)

    def __iter__(self) -> Iterator[MetricView]:
        return iter(self._metrics[name] for name in self.names)

    def __len__(self) -> int:
        return len(self._metrics)

    def __contains__(self, name: object) -> bool:
        return name in self._metrics

    def get(self, name: str) -> MetricView:
        """The metric called ``name``; fails with the names that were recorded."""
        __tracebackhide__ = True
        found = self._metrics.get(name)
        if found is None:
            close = difflib.get_close_matches(name, self.names, n=3, cutoff=0.6)
            hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
            raise TelemetryAssertionError(
                f"no metric {name!r} was recorded in this test{hint}; recorded:\n"
                + listing(self.names)
            )
        return found

    def points(self, name: str) -> tuple[MetricPoint, ...]:
        __tracebackhide__ = True
        return self.get(name).points

    def _select(self, name: str, attributes: Mapping[str, Expected] | None) -> list[MetricPoint]:
        __tracebackhide__ = True
        metric = self.get(name)
        if attributes is None:
            return list(metric.points)
        found = [p for p in metric.points if _same_set(attributes, p.attributes)]
        if not found:
            wanted = "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in attributes.items()) + "}"
            message = f"metric {name!r} has no point with attributes {wanted}"
            if metric.points:
                closest = max(metric.points, key=lambda p: _closeness(attributes, p.attributes))
                message += (
                    f"\nclosest recorded attribute set, {dict(closest.attributes)!r}:\n"
                    + attribute_diff(attributes, closest.attributes, exact=True)
                )
            raise TelemetryAssertionError(
                message
                + "\nrecorded attribute sets:\n"
                + listing([repr(dict(p.attributes)) for p in metric.points])
            )
        return found

    def value(self, name: str, attributes: Mapping[str, Expected] | None = None) -> int | float:
        """The sum or gauge value for exactly this attribute set, or the total over all sets."""
        __tracebackhide__ = True
        metric = self.get(name)
        if metric.kind == "histogram":
            raise TelemetryAssertionError(
                f"metric {name!r} is a histogram; use telemetry.metrics.histogram({name!r})"
            )
        points = [p for p in self._select(name, attributes) if isinstance(p, NumberPoint)]
        if metric.kind == "gauge" and len(points) > 1:
            raise TelemetryAssertionError(
                f"gauge {name!r} has {len(points)} attribute sets and gauge values do not add up; "
                "pass the attributes of one:\n"
                + listing([repr(dict(p.attributes)) for p in points])
            )
        return sum(p.value for p in points)

    def histogram(
        self, name: str, attributes: Mapping[str, Expected] | None = None
    ) -> HistogramPoint:
        """Count, sum, min, max and buckets for one attribute set, or merged over all sets."""
        __tracebackhide__ = True
        metric = self.get(name)
        if metric.kind != "histogram":
            raise TelemetryAssertionError(
                f"metric {name!r} is a {metric.kind}; use telemetry.metrics.value({name!r})"
            )
        points = [p for p in self._select(name, attributes) if isinstance(p, HistogramPoint)]
        if len(points) == 1:
            return points[0]
        boundaries = points[0].boundaries
        same_buckets = all(p.boundaries == boundaries for p in points)
        return HistogramPoint(
            attributes={},
            count=sum(p.count for p in points),
            sum=sum(p.sum for p in points),
            min=min(p.min for p in points),
            max=max(p.max for p in points),
            boundaries=boundaries if same_buckets else (),
            bucket_counts=(
                tuple(sum(c) for c in zip(*(p.bucket_counts for p in points), strict=True))
                if same_buckets
                else ()
            ),
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain, ordered dicts (no times) for snapshot tests."""
        return metrics_dict(self)
