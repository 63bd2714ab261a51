"""GitHub Actions workflow commands, which GitHub shows as annotations on the pull request."""

from __future__ import annotations

from collections.abc import Sequence

from otel_lint.findings import Finding, Severity
from otel_lint.output.formats.escapes import printable

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    # GitHub's own escapes first: a newline is then %0A, never a line the log runs as a command.
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: Sequence[Finding]) -> str:
    return "\n".join(
        f"::{_LEVEL[f.severity]} file={_escape_property(f.path)},line={f.line},col={f.column},"
        f"endLine={f.end_line},endColumn={f.end_column},"
        f"title={_escape_property(f.code)}::{_escape_data(f'{f.code} {f.message}')}"
        for f in findings
    )
