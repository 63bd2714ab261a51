"""One deployment file's result: its telemetry settings judged, positioned, suppressed.

``# noqa: OTLxxx`` works where the format has ``#`` comments: at the end of the setting's line
(YAML, ``.env``), or alone on the line just above it (every format, and the only form a
Dockerfile has: there ``#`` after an instruction is part of the value).
"""

from __future__ import annotations

import os

from otel_lint.catalogue.compiled import CheckedRule
from otel_lint.checks import CheckSettings
from otel_lint.checks.deployment_settings import DEPLOYMENT_CODES, setting_issues
from otel_lint.conventions.registry import Registry
from otel_lint.engine.analysis import suppress
from otel_lint.engine.results import FileResult, digest
from otel_lint.engine.suppressions import Noqa, Suppressions, find_suppressions
from otel_lint.findings import Finding, Fix
from otel_lint.project.deployment import file_kind


def deployment_kind(label: str, text: str) -> str | None:
    """The kind of deployment file ``label`` is (``project.deployment.file_kind``), or None."""
    return file_kind(os.path.basename(label), text)


def _offset(lines: list[str], line: int, column: int) -> int:
    return sum(len(text) + 1 for text in lines[: line - 1]) + column - 1


def analyze_deployment(
    label: str,
    text: str,
    kind: str,
    rules: list[CheckedRule],
    registry: Registry,
    settings: CheckSettings | None = None,
) -> FileResult:
    """The findings of the deployment rules among ``rules`` in one file's text."""
    by_code = {rule.code: rule for rule in rules if rule.code in DEPLOYMENT_CODES}
    if not by_code:
        return FileResult(label)
    lines = text.split("\n")
    findings: list[Finding] = []
    seen: dict[str, int] = {}
    for issue in setting_issues(kind, text, registry, settings or CheckSettings()):
        rule = by_code.get(issue.code)
        if rule is None:
            continue
        end = issue.end_column
        fix = None
        if issue.replacement is not None:
            start = _offset(lines, issue.line, issue.column)
            fix = Fix(
                issue.replacement,
                start,
                start + len(issue.text),
                issue.line,
                issue.column,
                issue.line,
                end,
            )
        identity = f"{issue.code}\0{issue.message}"
        occurrence = seen.get(identity, 0)
        seen[identity] = occurrence + 1
        findings.append(
            Finding(
                code=rule.code,
                name=rule.name,
                message=issue.message,
                severity=rule.severity,
                path=label,
                line=issue.line,
                column=issue.column,
                end_line=issue.line,
                end_column=end,
                fingerprint=digest(f"{identity}\0{occurrence}"),
                fix=fix,
            )
        )
    return _suppressed(FileResult(label, findings=tuple(findings)), text)


def _suppressed(result: FileResult, text: str) -> FileResult:
    """``result`` with the findings a ``# noqa`` on their line, or alone above it, suppresses."""
    found = find_suppressions(text)
    lines = text.split("\n")
    by_line: dict[int, Noqa] = dict(found.by_line)
    for number, noqa in found.by_line.items():
        if lines[number - 1].lstrip().startswith("#") and number + 1 not in by_line:
            by_line[number + 1] = noqa
    return suppress(result, Suppressions(by_line, found.file_codes))
