"""SARIF 2.1.0 for GitHub code scanning: rule metadata in the driver, one result per finding."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from otel_lint import __version__
from otel_lint.catalogue.model import Rule
from otel_lint.findings import Finding, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_META_RULES = {
    "OTL000": ("unreadable-file", "The file could not be read or parsed."),
    "OTL001": ("unused-noqa", "A `# noqa` comment suppresses nothing."),
}


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    docs = rule.docs
    markdown = (
        f"## What it finds\n{docs.what}\n\n## Why it matters\n{docs.why}\n\n"
        f"## Example\n```python\n{docs.example}```\n\n## Instead\n```python\n{docs.instead}```\n\n"
        f"## Boundary\n{docs.boundary}"
    )
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.message},
        "fullDescription": {"text": " ".join(docs.what.split())},
        "help": {"text": f"{docs.what}\n{docs.why}", "markdown": markdown},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": [rule.family]},
    }


def _uri(path: str) -> str:
    """A path as the URI reference SARIF wants: ``my file.py`` is ``my%20file.py``.

    A name that is not valid UTF-8 (``b"\\xff.py"``) keeps its bytes as ``%FF``.
    """
    return quote(path.replace("\\", "/"), safe="/", errors="surrogateescape")


def render_sarif(findings: Sequence[Finding], rules: Sequence[Rule]) -> str:
    descriptors = [
        {
            "id": code,
            "name": name,
            "shortDescription": {"text": text},
            "fullDescription": {"text": text},
            "defaultConfiguration": {"level": "error" if code == "OTL000" else "note"},
        }
        for code, (name, text) in _META_RULES.items()
    ] + [_rule_descriptor(rule) for rule in rules]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results = []
    for finding in findings:
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "level": _LEVEL[finding.severity],
            "message": {"text": finding.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(finding.path)},
                        "region": {
                            "startLine": finding.line,
                            "startColumn": finding.column,
                            "endLine": finding.end_line,
                            "endColumn": finding.end_column,
                        },
                    }
                }
            ],
            "partialFingerprints": {"otelLint/v1": finding.fingerprint or "0"},
        }
        if finding.code in index:
            result["ruleIndex"] = index[finding.code]
        results.append(result)
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "otel-lint",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/otel-lint/",
                        "rules": descriptors,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
