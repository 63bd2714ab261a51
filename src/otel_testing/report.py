"""What the gate tells a person and a machine at the end of a session.

The terminal summary (one line of counts, third-party findings grouped by scope with the hint
that fixes them), the JSON report (``otel_testing/report.schema.json`` documents it) and SARIF
2.1.0 for GitHub code scanning, all from a ``gate.SessionRecord``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from otel_lint.conventions.codes import ATTRIBUTE_KEY_CODES, METRIC_CODES
from otel_lint.conventions.naming import IssueKind
from otel_testing.conventions import printable
from otel_testing.gate import INFO, KNOWN, NEW, THIRD_PARTY, SessionRecord

REPORT_VERSION = 1
SCHEMA_FILE = Path(__file__).with_name("report.schema.json")
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {NEW: "error", KNOWN: "warning", INFO: "note", THIRD_PARTY: "note"}
#: The conventions a contrib instrumentation switches with OTEL_SEMCONV_STABILITY_OPT_IN, by the
#: namespaces its old names use.
_OPT_IN_SIGNALS = {"http": ("http.", "net.", "url.", "user_agent."), "database": ("db.",)}
_SHOWN_PER_SCOPE = 5
#: The codes of a deprecated attribute and a deprecated metric (`otel_lint.conventions.codes`).
_DEPRECATIONS = frozenset(
    {ATTRIBUTE_KEY_CODES[IssueKind.DEPRECATED], METRIC_CODES[IssueKind.METRIC_DEPRECATED]}
)


def opt_in_values(signal: str) -> list[str]:
    """The OTEL_SEMCONV_STABILITY_OPT_IN values the installed instrumentation reads for ``signal``.

    Read from ``opentelemetry.instrumentation._semconv`` (already imported by an instrumentation
    that emitted something); its documented values if that module is missing or changed.
    """
    try:
        from opentelemetry.instrumentation._semconv import _StabilityMode

        values = [str(mode.value) for mode in _StabilityMode]
    except (ImportError, AttributeError, TypeError):
        values = ["http", "http/dup", "database", "database/dup"]
    return [v for v in values if v == signal or v.startswith(signal + "/")]


def _hint(rows: Sequence[dict[str, Any]]) -> str | None:
    # Only a deprecated key or metric is a sign of the old conventions that opting in replaces.
    old = [row for row in rows if row["code"] in _DEPRECATIONS]
    names = [row["key"] for row in old] + [row["name"] for row in old]
    signals = [
        signal
        for signal, prefixes in _OPT_IN_SIGNALS.items()
        if any(name.startswith(prefixes) for name in names)
    ]
    values = [value for signal in signals for value in opt_in_values(signal)]
    if not values:
        return None
    return (
        "this instrumentation emits the old conventions by default: set "
        f"OTEL_SEMCONV_STABILITY_OPT_IN to {' or '.join(repr(v) for v in values)} "
        "(comma-separated for several signals) to switch it"
    )


def third_party_lines(record: SessionRecord) -> list[str]:
    """Violations of scopes the project does not own, grouped by scope, each with its hint."""
    by_scope: dict[str, list[dict[str, Any]]] = {}
    for row in record.rows("violations"):
        if row["status"] == THIRD_PARTY:
            by_scope.setdefault(row["scope"], []).append(row)
    lines = []
    for scope, rows in sorted(by_scope.items()):
        # One line per mistake, naming the spans and metrics that carry it: a contrib
        # instrumentation repeats the same old key on every span and metric it emits.
        places: dict[tuple[str, str, str], list[str]] = {}
        for row in rows:
            places.setdefault((row["code"], row["key"], row["message"]), []).append(
                f"{row['signal']} {row['name']!r}"
            )
        name = printable(scope) or "(no scope name)"
        lines.append(f"{name}: {len(rows)} violation(s), not failed")
        for (code, _, message), where in sorted(places.items())[:_SHOWN_PER_SCOPE]:
            shown = ", ".join(where[:3]) + (f" and {len(where) - 3} more" if len(where) > 3 else "")
            lines.append(f"  {code} {printable(message)} (on {printable(shown)})")
        if len(places) > _SHOWN_PER_SCOPE:
            lines.append(f"  ... and {len(places) - _SHOWN_PER_SCOPE} more kinds of violation")
        hint = _hint(rows)
        if hint:
            lines.append(f"  hint: {hint}")
    return lines


def summary_line(record: SessionRecord, report: Path | None) -> str:
    violations = record.rows("violations")
    new = sum(row["status"] == NEW for row in violations)
    known = sum(row["status"] == KNOWN for row in violations)
    others = len(violations) - new - known
    line = (
        f"otel-testing: {record.counts['spans']} spans, {len(record.metrics)} metrics, "
        f"{record.counts['log_records']} log records, {len(record.scopes())} scopes; "
        f"violations: {new} new, {known} known, {others} not judged (info or third-party)"
    )
    return line + (f"; report: {report}" if report is not None else "")


def report_document(record: SessionRecord) -> dict[str, Any]:
    """The JSON report: what was emitted, by whom, and every violation with its status."""
    violations = record.rows("violations")
    return {
        "version": REPORT_VERSION,
        "summary": {
            "tests": len(record.tests),
            "spans": record.counts["spans"],
            "metrics": len(record.metrics),
            "log_records": record.counts["log_records"],
            "scopes": record.scopes(),
            "violations": {
                status: sum(row["status"] == status for row in violations)
                for status in (NEW, KNOWN, INFO, THIRD_PARTY)
            },
        },
        "spans": record.rows("spans"),
        "metrics": record.rows("metrics"),
        "attributes": record.rows("attributes"),
        "logs": record.rows("logs"),
        "violations": violations,
    }


def _uri(path: str) -> str:
    return quote(path.replace("\\", "/"), safe="/", errors="surrogateescape")


def sarif_document(record: SessionRecord) -> dict[str, Any]:
    """The violations as SARIF 2.1.0, each at the first test (in order) that produced it."""
    results = []
    codes = sorted({row["code"] for row in record.rows("violations")})
    for row in record.rows("violations"):
        test = row["tests"][0]
        path, line = record.tests.get(test, [test.split("::")[0], 1])[:2]
        identity = "\0".join(row[k] for k in ("code", "signal", "name", "key", "scope"))
        results.append(
            {
                "ruleId": row["code"],
                "ruleIndex": codes.index(row["code"]),
                "level": _LEVEL[row["status"]],
                "message": {
                    "text": f"{row['signal']} {row['name']!r} (scope {row['scope']!r}, "
                    f"{row['status']}, in {len(row['tests'])} test(s), first {test}): "
                    f"{row['message']}"
                },
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(path)},
                            "region": {"startLine": max(1, int(line))},
                        }
                    }
                ],
                "partialFingerprints": {
                    "otelTesting/v1": hashlib.sha256(identity.encode()).hexdigest()[:32]
                },
                "properties": {"status": row["status"], "tests": row["tests"]},
            }
        )
    return {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "otel-testing",
                        "informationUri": "https://pypi.org/project/otel-lint/",
                        "rules": [{"id": code} for code in codes],
                    }
                },
                "results": results,
            }
        ],
    }


def report_text(record: SessionRecord, path: Path) -> str:
    """The report ``path`` asks for: SARIF for a ``.sarif`` name, the JSON report otherwise."""
    sarif = path.suffix.lower() == ".sarif"
    document = sarif_document(record) if sarif else report_document(record)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
