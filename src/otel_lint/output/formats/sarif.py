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


def _page(rule: Rule) -> tuple[str, str]:
    """The rule's whole page, as ``otel-lint rule CODE`` shows it, in plain text and markdown:
    code scanning shows ``help`` beside each alert, and the project has no web page per rule
    (so no ``helpUri``)."""
    docs = rule.docs
    sections = [
        ("What it finds", docs.what.strip(), False),
        ("Why it matters", docs.why.strip(), False),
        ("Example", docs.example.rstrip(), True),
        ("Instead", docs.instead.rstrip(), True),
        ("What it does not flag", docs.boundary.strip(), False),
    ]
    heading = f"{rule.code} {rule.name} ({rule.severity.value}, {rule.family})"
    text = "\n\n".join([heading, *(f"{title}\n{body}" for title, body, _ in sections)])
    markdown = "\n\n".join(
        [
            f"# {heading}",
            *(
                f"## {title}\n```python\n{body}\n```" if code else f"## {title}\n{body}"
                for title, body, code in sections
            ),
        ]
    )
    return text, markdown


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    text, markdown = _page(rule)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.message},
        "fullDescription": {"text": " ".join(rule.docs.what.split())},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": [rule.family]},
    }


def _uri(path: str) -> str:
    """A path as the URI reference SARIF wants: ``my file.py`` is ``my%20file.py``.

    A name that is not valid UTF-8 (``b"\\xff.py"``) keeps its bytes as ``%FF``.
    """
    return quote(path.replace("\\", "/"), safe="/", errors="surrogateescape")


def _fixes(finding: Finding) -> list[dict[str, Any]]:
    """The safe fix ``--fix`` would apply, as a SARIF fix: one replacement in the finding's file
    (columns in code points, as ``columnKind`` says)."""
    fix = finding.fix
    if fix is None:
        return []
    replacement = {
        "deletedRegion": {
            "startLine": fix.line,
            "startColumn": fix.column,
            "endLine": fix.end_line,
            "endColumn": fix.end_column,
        },
        "insertedContent": {"text": fix.content},
    }
    return [
        {
            "description": {"text": f"Replace with {fix.content}"},
            "artifactChanges": [
                {"artifactLocation": {"uri": _uri(finding.path)}, "replacements": [replacement]}
            ],
        }
    ]


def render_sarif(findings: Sequence[Finding], rules: Sequence[Rule]) -> str:
    descriptors = [
        {
            "id": code,
            "name": name,
            "shortDescription": {"text": text},
            "fullDescription": {"text": text},
            "help": {"text": text},
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
        fixes = _fixes(finding)
        if fixes:
            result["fixes"] = fixes
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
