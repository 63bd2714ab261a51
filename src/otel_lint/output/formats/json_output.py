"""The JSON output: a stable list of objects, documented in the README (``JSON output``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from otel_lint.findings import Finding


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    fix = None
    if finding.fix is not None:
        fix = {
            "content": finding.fix.content,
            "line": finding.fix.line,
            "column": finding.fix.column,
            "end_line": finding.fix.end_line,
            "end_column": finding.fix.end_column,
        }
    return {
        "code": finding.code,
        "name": finding.name,
        "message": finding.message,
        "severity": finding.severity.value,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "end_line": finding.end_line,
        "end_column": finding.end_column,
        "fix": fix,
        "fingerprint": finding.fingerprint,
    }


def render_json(findings: Sequence[Finding]) -> str:
    return json.dumps([finding_to_dict(f) for f in findings], indent=2, ensure_ascii=False)


def render_json_lines(findings: Sequence[Finding]) -> str:
    """One finding per line, each the object ``render_json`` lists (newlines inside strings are
    escaped, so a line is always one whole object)."""
    return "\n".join(json.dumps(finding_to_dict(f), ensure_ascii=False) for f in findings)
