"""reviewdog's Diagnostic Format as JSON (``rdjson``: one ``DiagnosticResult``), fixes as
suggestions that reviewdog can offer on a pull request."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from otel_lint.findings import Finding, Severity
from otel_lint.output.formats.escapes import printable
from otel_lint.output.formats.text import SourceLines

_SEVERITY = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.INFO: "INFO"}


def _position(path: str, line: int, column: int, source_line: SourceLines) -> dict[str, int]:
    """reviewdog counts columns in UTF-8 bytes; otel-lint counts characters. Without the line's
    text (a file gone since the run) the character column is the best there is."""
    text = source_line(path, line)
    if text is not None and column - 1 <= len(text):
        column = len(text[: column - 1].encode("utf-8", "surrogatepass")) + 1
    return {"line": line, "column": column}


def _range(path: str, at: tuple[int, int, int, int], source_line: SourceLines) -> dict[str, Any]:
    line, column, end_line, end_column = at
    return {
        "start": _position(path, line, column, source_line),
        "end": _position(path, end_line, end_column, source_line),
    }


def _diagnostic(finding: Finding, source_line: SourceLines) -> dict[str, Any]:
    diagnostic: dict[str, Any] = {
        # reviewdog prints it to a terminal or posts it as a comment: escaped, as in text output.
        # The path is not: it must name the file.
        "message": printable(finding.message),
        "location": {
            "path": finding.path,
            "range": _range(
                finding.path,
                (finding.line, finding.column, finding.end_line, finding.end_column),
                source_line,
            ),
        },
        "severity": _SEVERITY[finding.severity],
        "code": {"value": finding.code},
    }
    fix = finding.fix
    if fix is not None:
        at = (fix.line, fix.column, fix.end_line, fix.end_column)
        diagnostic["suggestions"] = [
            {"range": _range(finding.path, at, source_line), "text": fix.content}
        ]
    return diagnostic


def render_rdjson(findings: Sequence[Finding], source_line: SourceLines) -> str:
    document = {
        "source": {"name": "otel-lint"},
        "diagnostics": [_diagnostic(f, source_line) for f in findings],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
