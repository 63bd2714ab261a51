"""Per-test metric totals, built from the delta collections of a reader the plugin controls.

The SDK keeps cumulative state inside the MeterProvider for as long as the process lives, so an
instrument created at import time would carry values from earlier tests. The plugin's reader asks
for DELTA temporality on synchronous instruments instead, drains one collection when a test starts,
and adds up every later collection here. The result reads as cumulative *since the test started*:
sums and histogram counts start from zero, and histogram min/max are those of this test only
(which a baseline subtraction over cumulative data could not give).

Asynchronous instruments keep CUMULATIVE temporality: their value is whatever the callback
observes, so there is no state to leak and the test sees the observed value as is.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    UpDownCounter,
)

# The SDK exports its synchronous gauge only under this underscored name.
from opentelemetry.sdk.metrics import _Gauge as SyncGauge
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Gauge,
    HistogramDataPoint,
    Metric,
    MetricReader,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.metrics.export import Histogram as HistogramData
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

#: What the plugin's reader asks the SDK for: deltas where the SDK would otherwise accumulate.
PREFERRED_TEMPORALITY: dict[type, AggregationTemporality] = {
    Counter: AggregationTemporality.DELTA,
    UpDownCounter: AggregationTemporality.DELTA,
    Histogram: AggregationTemporality.DELTA,
    SyncGauge: AggregationTemporality.DELTA,
    ObservableCounter: AggregationTemporality.CUMULATIVE,
    ObservableUpDownCounter: AggregationTemporality.CUMULATIVE,
    ObservableGauge: AggregationTemporality.CUMULATIVE,
}

Point = Any  # NumberDataPoint, HistogramDataPoint or ExponentialHistogramDataPoint


def attribute_set_key(attributes: Any) -> tuple[tuple[str, Hashable], ...]:
    """A hashable, order-independent key for one attribute set (sequence values become tuples)."""
    items = dict(attributes or {}).items()
    return tuple(sorted((k, tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in items))


def _merge_point(old: Point, new: Point, delta: bool) -> Point:
    if not delta or old is None:
        return new
    if isinstance(old, NumberDataPoint) and isinstance(new, NumberDataPoint):
        return replace(
            new, start_time_unix_nano=old.start_time_unix_nano, value=old.value + new.value
        )
    if (
        isinstance(old, HistogramDataPoint)
        and isinstance(new, HistogramDataPoint)
        and tuple(old.explicit_bounds) == tuple(new.explicit_bounds)
    ):
        return replace(
            new,
            start_time_unix_nano=old.start_time_unix_nano,
            count=old.count + new.count,
            sum=old.sum + new.sum,
            bucket_counts=[
                a + b for a, b in zip(old.bucket_counts, new.bucket_counts, strict=True)
            ],
            min=min(old.min, new.min),
            max=max(old.max, new.max),
        )
    # Exponential histograms (only with a user-configured view) are kept as last collected.
    return new


@dataclass
class _Series:
    resource: Resource
    scope: InstrumentationScope
    metric: Metric
    points: dict[tuple[tuple[str, Hashable], ...], Point] = field(default_factory=dict)


class MetricAccumulation:
    """The running totals of one test, one entry per (scope, metric name, attribute set)."""

    def __init__(self) -> None:
        self._series: dict[tuple[InstrumentationScope, str], _Series] = {}

    def clear(self) -> None:
        self._series.clear()

    def add(self, data: MetricsData) -> None:
        for resource_metrics in data.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    self._add_metric(resource_metrics.resource, scope_metrics.scope, metric)

    def _add_metric(self, resource: Resource, scope: InstrumentationScope, metric: Metric) -> None:
        key = (scope, metric.name)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series(resource, scope, metric)
        else:
            series.metric = metric
            series.resource = resource
        delta = (
            getattr(metric.data, "aggregation_temporality", None) == AggregationTemporality.DELTA
        )
        for point in metric.data.data_points:
            point_key = attribute_set_key(point.attributes)
            series.points[point_key] = _merge_point(series.points.get(point_key), point, delta)

    def as_metrics_data(self) -> MetricsData:
        """The totals as SDK metrics data, sums and histograms reported as cumulative."""
        by_resource: dict[int, tuple[Resource, dict[InstrumentationScope, list[Metric]]]] = {}
        for series in self._series.values():
            if not series.points:
                continue
            _, scopes = by_resource.setdefault(id(series.resource), (series.resource, {}))
            scopes.setdefault(series.scope, []).append(_rebuilt(series))
        return MetricsData(
            resource_metrics=[
                ResourceMetrics(
                    resource=resource,
                    scope_metrics=[
                        ScopeMetrics(
                            scope=scope, metrics=metrics, schema_url=scope.schema_url or ""
                        )
                        for scope, metrics in scopes.items()
                    ],
                    schema_url=resource.schema_url,
                )
                for resource, scopes in by_resource.values()
            ]
        )


def _rebuilt(series: _Series) -> Metric:
    points: Sequence[Any] = list(series.points.values())
    data: Any = series.metric.data
    if isinstance(data, Sum):
        data = Sum(
            data_points=points,
            aggregation_temporality=AggregationTemporality.CUMULATIVE,
            is_monotonic=data.is_monotonic,
        )
    elif isinstance(data, HistogramData):
        data = HistogramData(
            data_points=points, aggregation_temporality=AggregationTemporality.CUMULATIVE
        )
    elif isinstance(data, Gauge):
        data = Gauge(data_points=points)
    else:
        data = replace(data, data_points=points)
    return replace(series.metric, data=data)


class AccumulatingMetricReader(MetricReader):
    """A metric reader whose every collection adds to the current test's totals.

    Anyone may trigger a collection (the plugin, a user calling ``collect()``); none is lost,
    because each one is added to the totals rather than replacing them.
    """

    def __init__(self) -> None:
        super().__init__(preferred_temporality=PREFERRED_TEMPORALITY)
        self._lock = threading.RLock()
        self._totals = MetricAccumulation()

    def _receive_metrics(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> None:
        with self._lock:
            self._totals.add(metrics_data)

    def start_test(self) -> None:
        """Drain what earlier tests recorded, so this test's values start from zero."""
        with self._lock:
            self.collect()
            self._totals.clear()

    def clear(self) -> None:
        with self._lock:
            self._totals.clear()

    def get_metrics_data(self) -> MetricsData:
        """Collect now and return everything recorded since the test started."""
        with self._lock:
            self.collect()
            return self._totals.as_metrics_data()

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        # The plugin's providers live as long as the process; nothing to release.
        return None


def merged_metrics_data(readers: Iterable[AccumulatingMetricReader]) -> MetricsData:
    """One MetricsData holding what every reader (one per captured MeterProvider) recorded."""
    resource_metrics: list[ResourceMetrics] = []
    for reader in readers:
        resource_metrics.extend(reader.get_metrics_data().resource_metrics)
    return MetricsData(resource_metrics=resource_metrics)
