"""The strict gate over a whole session: which violations fail, the ratchet, and what was emitted.

Plain values and functions, used by the plugin's hooks and usable without pytest: the rule
selection of ``[tool.otel-lint]`` (``select``, ``ignore``, ``extend-select``, ``severity``), the
verdict on each violation (new, known from the baseline, the project's ``info``, a third party's),
the baseline file, and the session's record of everything the tests emitted, which pytest-xdist
workers send to the controller as plain data and the controller merges.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from otel_lint.config.settings import specificity
from otel_lint.findings import Severity
from otel_testing.scopes import ScopeOwnership

if TYPE_CHECKING:
    from otel_lint.config.settings import Settings
    from otel_testing.conventions import Violation
    from otel_testing.views.logs import Logs
    from otel_testing.views.metrics import Metrics
    from otel_testing.views.spans import Spans

BASELINE_VERSION = 1
NEW, KNOWN, INFO, THIRD_PARTY = "new", "known", "info", "third-party"
Identity = tuple[str, str, str, str, str]
_IDENTITY_FIELDS = ("code", "signal", "name", "key", "scope")


class GateError(Exception):
    """A baseline or report that cannot be read or written; the message names the file."""


@dataclass(frozen=True)
class RuleSelection:
    """The linter's selection, applied to run-time codes: the most specific selector wins."""

    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)

    @classmethod
    def of(cls, settings: Settings | None) -> RuleSelection:
        """The selection ``[tool.otel-lint]`` makes (everything, when there is no table)."""
        if settings is None:
            return cls()
        return cls(
            (*settings.select, *settings.extend_select),
            tuple(settings.ignore),
            dict(settings.severity),
        )

    def enabled(self, code: str) -> bool:
        return specificity(code, self.select) > specificity(code, self.ignore)

    def severity_of(self, code: str) -> Severity:
        """The configured severity; a violation of the project's fails unless it is ``info``."""
        return self.severity.get(code, Severity.ERROR)


@dataclass(frozen=True)
class Verdict:
    """One violation of one test and what the gate makes of it."""

    violation: Violation
    status: str
    severity: Severity


def judge(
    violations: Iterable[Violation],
    selection: RuleSelection,
    owners: ScopeOwnership,
    baseline: frozenset[Identity],
) -> list[Verdict]:
    """Each selected violation with its status: only ``new`` ones fail a test."""
    verdicts = []
    for violation in violations:
        if not selection.enabled(violation.code):
            continue
        severity = selection.severity_of(violation.code)
        if not owners.is_projects(violation.scope):
            status = THIRD_PARTY
        elif severity is Severity.INFO:
            status = INFO
        elif violation.identity() in baseline:
            status = KNOWN
        else:
            status = NEW
        verdicts.append(Verdict(violation, status, severity))
    return verdicts


def _identity(entry: Mapping[str, Any]) -> Identity:
    code, signal, name, key, scope = (str(entry[field]) for field in _IDENTITY_FIELDS)
    return code, signal, name, key, scope


# --- the baseline --------------------------------------------------------------------------------


def read_baseline(path: Path) -> frozenset[Identity]:
    """The identities a baseline file holds; GateError naming the file otherwise."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GateError(f"{path}: no such baseline (--otel-write-baseline writes one)") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise GateError(f"{path}: not a readable otel-testing baseline: {error}") from None
    entries = document.get("violations") if isinstance(document, dict) else None
    if not isinstance(entries, list) or document.get("version") != BASELINE_VERSION:
        raise GateError(
            f"{path}: not an otel-testing baseline (expected an object with "
            f'"version": {BASELINE_VERSION} and a "violations" list)'
        )
    found: set[Identity] = set()
    for index, entry in enumerate(entries):
        if not (
            isinstance(entry, dict)
            and all(isinstance(entry.get(name), str) for name in _IDENTITY_FIELDS)
        ):
            raise GateError(
                f"{path}: violations[{index}] needs the strings {', '.join(_IDENTITY_FIELDS)}"
            )
        found.add(_identity(entry))
    return frozenset(found)


def baseline_text(identities: Iterable[Identity]) -> str:
    """A baseline file's text: sorted and unique, so test order and workers never change it."""
    entries = [
        dict(zip(_IDENTITY_FIELDS, identity, strict=True)) for identity in sorted(set(identities))
    ]
    return json.dumps({"version": BASELINE_VERSION, "violations": entries}, indent=2) + "\n"


def write_text(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise GateError(f"{path}: cannot write: {error.strerror or error}") from None


# --- what the session emitted ---------------------------------------------------------------------


def _type_name(value: object) -> str:
    if isinstance(value, (tuple, list)):
        inner = sorted({_type_name(item) for item in value}) or ["empty"]
        return f"{'|'.join(inner)}[]"
    return {bool: "bool", int: "int", float: "float", str: "str"}.get(type(value), "other")


class SessionRecord:
    """Everything the tests that asked for telemetry emitted, and every verdict, by test.

    Kept as plain dicts and lists keyed by strings so it travels from xdist workers as it is.
    """

    def __init__(self) -> None:
        self.tests: dict[str, list[Any]] = {}  # node id -> [path, line, captured anything]
        self.counts = {"spans": 0, "log_records": 0}
        self.spans: dict[str, dict[str, Any]] = {}
        self.metrics: dict[str, dict[str, Any]] = {}
        self.attributes: dict[str, dict[str, Any]] = {}
        self.logs: dict[str, dict[str, Any]] = {}
        self.violations: dict[str, dict[str, Any]] = {}

    @staticmethod
    def _entry(table: dict[str, dict[str, Any]], identity: Sequence[str], **fields: Any) -> Any:
        return table.setdefault(json.dumps(list(identity)), {**fields, "tests": []})

    @staticmethod
    def _by(entry: dict[str, Any], test: str) -> None:
        if test not in entry["tests"]:
            entry["tests"].append(test)

    def _attributes(self, attributes: Mapping[str, Any], signal: str, test: str) -> None:
        for key, value in attributes.items():
            entry = self._entry(self.attributes, [key], key=key, signals=[], value_types=[])
            for name, item in (("signals", signal), ("value_types", _type_name(value))):
                if item not in entry[name]:
                    entry[name].append(item)
            self._by(entry, test)

    def add_test(
        self, test: str, location: tuple[str, int], spans: Spans, metrics: Metrics, logs: Logs
    ) -> None:
        """What one test emitted."""
        self.tests[test] = [location[0], location[1], bool(len(spans) or len(metrics) or logs)]
        self.counts["spans"] += len(spans)
        self.counts["log_records"] += len(logs)
        for span in spans:
            scope = span.scope.name if span.scope is not None else ""
            kind = span.kind.name
            entry = self._entry(self.spans, [span.name, kind, scope], name=span.name, kind=kind)
            entry["scope"] = scope
            self._by(entry, test)
            self._attributes(span.attributes, "span", test)
        for metric in metrics:
            entry = self._entry(
                self.metrics,
                [metric.name, metric.scope],
                name=metric.name,
                instrument=metric.kind,
                unit=metric.unit,
                scope=metric.scope,
                attribute_keys=[],
            )
            for point in metric.points:
                for key in point.attributes:
                    if key not in entry["attribute_keys"]:
                        entry["attribute_keys"].append(key)
                self._attributes(point.attributes, "metric", test)
            self._by(entry, test)
        for record in logs:
            scope = record.scope or ""
            entry = self._entry(self.logs, [scope], scope=scope, count=0)
            entry["count"] += 1
            self._by(entry, test)
            self._attributes(record.attributes, "log", test)

    def add_verdicts(self, test: str, verdicts: Iterable[Verdict]) -> None:
        for verdict in verdicts:
            v = verdict.violation
            entry = self._entry(
                self.violations,
                [*v.identity(), v.message],
                **dict(zip(_IDENTITY_FIELDS, v.identity(), strict=True)),
                message=v.message,
                severity=verdict.severity.value,
                status=verdict.status,
                count=0,
            )
            entry["count"] += v.count
            self._by(entry, test)

    # xdist: a worker sends ``to_plain()``; the controller calls ``merge`` with it.

    def to_plain(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _TABLES} | {"counts": self.counts}

    def merge(self, plain: Mapping[str, Any]) -> None:
        for name, amount in plain.get("counts", {}).items():
            self.counts[name] = self.counts.get(name, 0) + amount
        self.tests.update(plain.get("tests", {}))
        for name in _TABLES[1:]:
            table: dict[str, dict[str, Any]] = getattr(self, name)
            for key, entry in plain.get(name, {}).items():
                mine = table.get(key)
                if mine is None:
                    table[key] = entry
                    continue
                for field_name, value in entry.items():
                    if isinstance(value, list):
                        mine[field_name] += [item for item in value if item not in mine[field_name]]
                    elif field_name == "count":
                        mine["count"] += value

    # Reading the record, always in one order.

    def rows(self, name: str) -> list[dict[str, Any]]:
        table: dict[str, dict[str, Any]] = getattr(self, name)
        return [
            {k: sorted(v) if isinstance(v, list) else v for k, v in table[key].items()}
            for key in sorted(table)
        ]

    def identities(self, *statuses: str) -> list[Identity]:
        return [_identity(row) for row in self.rows("violations") if row["status"] in statuses]

    def captured_anything(self) -> bool:
        return any(entry[2] for entry in self.tests.values())

    def scopes(self) -> list[str]:
        found = {row["scope"] for name in ("spans", "metrics", "logs") for row in self.rows(name)}
        return sorted(found)


_TABLES = ("tests", "spans", "metrics", "attributes", "logs", "violations")


def missing_expected(
    record: SessionRecord, spans: Iterable[str], metrics: Iterable[str]
) -> list[str]:
    """The expected span and metric names that no test emitted."""
    seen_spans = {row["name"] for row in record.rows("spans")}
    seen_metrics = {row["name"] for row in record.rows("metrics")}
    return [f"span {name!r}" for name in spans if name not in seen_spans] + [
        f"metric {name!r}" for name in metrics if name not in seen_metrics
    ]


class Gate:
    """A session's gate: how it judges each test, and what it recorded."""

    def __init__(
        self,
        selection: RuleSelection,
        owners: ScopeOwnership,
        baseline: frozenset[Identity] = frozenset(),
        writing_baseline: bool = False,
    ) -> None:
        self.selection = selection
        self.owners = owners
        self.baseline = baseline
        self.writing_baseline = writing_baseline
        self.record = SessionRecord()

    def judge_test(
        self,
        test: str,
        location: tuple[str, int],
        telemetry: tuple[Spans, Metrics, Logs],
        namespaces: Sequence[str],
    ) -> list[Verdict]:
        """Record what one test emitted; its verdicts (``new`` ones fail it unless writing)."""
        # Imported here: the registry is read only when a test is judged.
        from otel_testing.conventions import check_semconv

        spans, metrics, logs = telemetry
        self.record.add_test(test, location, spans, metrics, logs)
        verdicts = judge(
            check_semconv(spans, metrics, logs, own_namespaces=namespaces),
            self.selection,
            self.owners,
            self.baseline,
        )
        self.record.add_verdicts(test, verdicts)
        return verdicts

    def failing(self, verdicts: Sequence[Verdict]) -> list[Violation]:
        if self.writing_baseline:
            return []
        return [v.violation for v in verdicts if v.status == NEW]
