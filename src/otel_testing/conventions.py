"""The run-time convention check: emitted telemetry, judged the way the linter judges source.

Names and units go through ``otel_lint.conventions.naming`` with the same registry, and violations
carry the linter's rule codes, so the same mistake reads the same in a lint report and in a
failing test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from otel_lint.conventions.codes import (
    ATTRIBUTE_KEY_CODES,
    METRIC_CODES,
    UNBOUNDED_METRIC_ATTRIBUTE,
)
from otel_lint.conventions.naming import (
    NameIssue,
    check_attribute_key,
    check_metric_definition,
    check_metric_name,
    check_unit,
)
from otel_lint.conventions.registry import Registry, load_registry
from otel_lint.conventions.values import unbounded_reason
from otel_testing.views.logs import Logs
from otel_testing.views.metrics import Metrics
from otel_testing.views.spans import Spans


@dataclass(frozen=True)
class Violation:
    """One convention problem in emitted telemetry: the rule code, where it was seen, what to do."""

    code: str
    signal: str
    where: str
    name: str
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        return f"{self.code} [{self.signal} {self.where!r}] {self.message}"


def _attribute_violations(
    keys: Iterable[str],
    signal: str,
    where: str,
    registry: Registry,
    own_namespaces: tuple[str, ...],
) -> list[Violation]:
    found = []
    for key in keys:
        for issue in check_attribute_key(key, registry, own_namespaces):
            code = ATTRIBUTE_KEY_CODES.get(issue.kind)
            if code is not None:
                found.append(_violation(code, signal, where, issue))
    return found


def _violation(code: str, signal: str, where: str, issue: NameIssue) -> Violation:
    return Violation(code, signal, where, issue.name, issue.message, issue.suggestion)


def _metric_violations(
    metrics: Metrics, registry: Registry, own_namespaces: tuple[str, ...]
) -> list[Violation]:
    found: list[Violation] = []
    for metric in metrics:
        issues = [
            *check_metric_name(metric.name, registry),
            *check_unit(metric.unit or None, registry, metric.name),
            *check_metric_definition(metric.name, metric.kind, metric.unit or None, registry),
        ]
        for issue in issues:
            code = METRIC_CODES.get(issue.kind)
            if code is not None:
                found.append(_violation(code, "metric", metric.name, issue))
        keys: dict[str, None] = {}
        for point in metric.points:
            keys.update(dict.fromkeys(point.attributes))
            found.extend(_unbounded(metric.name, point.attributes))
        found.extend(_attribute_violations(keys, "metric", metric.name, registry, own_namespaces))
    return found


def _unbounded(metric: str, attributes: Mapping[str, Any]) -> list[Violation]:
    found = []
    for key, value in attributes.items():
        reason = unbounded_reason(value)
        if reason is not None:
            found.append(
                Violation(
                    UNBOUNDED_METRIC_ATTRIBUTE,
                    "metric",
                    metric,
                    key,
                    f"metric attribute `{key}` has the value {value!r}, which looks like "
                    f"{reason}: every distinct value makes a new time series; record it on a "
                    "span or log instead, or map it to a small set of values",
                )
            )
    return found


def check_semconv(
    spans: Spans,
    metrics: Metrics,
    logs: Logs,
    registry: Registry | None = None,
    own_namespaces: Iterable[str] = (),
) -> list[Violation]:
    """Every convention violation in what one test captured, each reported once."""
    registry = registry if registry is not None else load_registry()
    namespaces = tuple(own_namespaces)
    found: list[Violation] = []
    for span in spans:
        found.extend(
            _attribute_violations(span.attributes, "span", span.name, registry, namespaces)
        )
        for event in span.events:
            found.extend(
                _attribute_violations(
                    event.attributes, "span event", event.name, registry, namespaces
                )
            )
    found.extend(_metric_violations(metrics, registry, namespaces))
    for record in logs:
        where = str(record.body)[:40]
        found.extend(_attribute_violations(record.attributes, "log", where, registry, namespaces))
    unique: dict[tuple[str, str, str], Violation] = {}
    for violation in found:
        # One line per mistake, not per point or per record that repeats it.
        unique.setdefault((violation.code, violation.name, violation.message), violation)
    return list(unique.values())


def violations_report(violations: Iterable[Violation]) -> str:
    """The text a failing strict test shows."""
    lines = [str(v) for v in violations]
    return "telemetry violates the semantic conventions:\n" + "\n".join(
        f"  {line}" for line in lines
    )
