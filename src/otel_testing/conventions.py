"""The run-time convention check: emitted telemetry, judged the way the linter judges source.

Names and units go through ``otel_lint.conventions.naming`` with the same registry, and violations
carry the linter's rule codes, so the same mistake reads the same in a lint report and in a
failing test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
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

#: Keys the SDK writes itself, never the project's choice: `record_exception` adds
#: `exception.escaped` to the event it writes; the resource carries `telemetry.sdk.*` and a default
#: `service.name`.
SDK_EVENT_KEYS = {"exception": frozenset({"exception.escaped"})}
SDK_KEY_PREFIXES = ("telemetry.sdk.", "service.name")


def is_sdk_key(key: str, event: str | None = None) -> bool:
    """Whether the SDK, not the code under test, wrote ``key`` (on the event named ``event``)."""
    if event is not None and key in SDK_EVENT_KEYS.get(event, ()):
        return True
    return key.startswith(SDK_KEY_PREFIXES)


@dataclass(frozen=True)
class Violation:
    """One convention problem in emitted telemetry: the rule code, where it was seen, what to do.

    ``where`` names the span, metric or log record that carries it and ``scope`` the
    instrumentation scope that emitted it; ``count`` says how many of them did in one test.
    """

    code: str
    signal: str
    where: str
    name: str
    message: str
    suggestion: str | None = None
    scope: str = ""
    count: int = 1

    def identity(self) -> tuple[str, str, str, str, str]:
        """What a baseline remembers: code, signal, span/metric/record name, key, scope."""
        return (self.code, self.signal, self.where, self.name, self.scope)

    def __str__(self) -> str:
        many = f", {self.count} times" if self.count > 1 else ""
        return (
            f"{self.code} [{self.signal} {self.where!r}, scope {self.scope!r}{many}] {self.message}"
        )


def _attribute_violations(
    keys: Iterable[str],
    signal: str,
    where: str,
    scope: str,
    registry: Registry,
    own_namespaces: tuple[str, ...],
    event: str | None = None,
) -> list[Violation]:
    found = []
    for key in keys:
        if is_sdk_key(key, event):
            continue
        for issue in check_attribute_key(key, registry, own_namespaces):
            code = ATTRIBUTE_KEY_CODES.get(issue.kind)
            if code is not None:
                found.append(_violation(code, signal, where, scope, issue))
    return found


def _violation(code: str, signal: str, where: str, scope: str, issue: NameIssue) -> Violation:
    return Violation(code, signal, where, issue.name, issue.message, issue.suggestion, scope)


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
                found.append(_violation(code, "metric", metric.name, metric.scope, issue))
        keys: dict[str, None] = {}
        for point in metric.points:
            keys.update(dict.fromkeys(point.attributes))
            found.extend(_unbounded(metric.name, metric.scope, point.attributes))
        found.extend(
            _attribute_violations(
                keys, "metric", metric.name, metric.scope, registry, own_namespaces
            )
        )
    return found


def _unbounded(metric: str, scope: str, attributes: Mapping[str, Any]) -> list[Violation]:
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
                    scope=scope,
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
    """Every convention violation in what one test captured, once per span, metric or log record
    name and scope that carries it (``count`` says how many did), never merged across them."""
    registry = registry if registry is not None else load_registry()
    namespaces = tuple(own_namespaces)
    found: list[Violation] = []
    for span in spans:
        scope = span.scope.name if span.scope is not None else ""
        found.extend(
            _attribute_violations(span.attributes, "span", span.name, scope, registry, namespaces)
        )
        for event in span.events:
            where = f"{span.name}: {event.name}"
            found.extend(
                _attribute_violations(
                    event.attributes, "span event", where, scope, registry, namespaces, event.name
                )
            )
    found.extend(_metric_violations(metrics, registry, namespaces))
    for record in logs:
        # A record is named by its logger (its scope): its body varies from record to record.
        scope = record.scope or ""
        found.extend(
            _attribute_violations(record.attributes, "log", scope, scope, registry, namespaces)
        )
    unique: dict[tuple[str, ...], Violation] = {}
    for violation in found:
        # One line per mistake and emitter, not per point or per record that repeats it.
        key = (*violation.identity(), violation.message)
        seen = unique.get(key)
        unique[key] = violation if seen is None else replace(seen, count=seen.count + 1)
    return list(unique.values())


def printable(text: str) -> str:
    """``text`` safe for one terminal line: control characters (from emitted names) escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


#: How many violations a failing test lists before it only counts the rest.
SHOWN = 10


def violations_report(violations: Sequence[Violation], known: int = 0) -> str:
    """The text a failing strict test shows: the first few violations, then a count."""
    lines = [f"  {printable(str(v))}" for v in violations[:SHOWN]]
    if len(violations) > SHOWN:
        lines.append(f"  ... and {len(violations) - SHOWN} more")
    if known:
        lines.append(f"  ({known} more known from the baseline)")
    return "telemetry violates the semantic conventions:\n" + "\n".join(lines)
