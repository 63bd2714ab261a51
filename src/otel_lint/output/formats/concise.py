"""One line per finding, as ruff prints them: ``concise`` (with the path) and ``grouped`` (under
a heading per file). Both end with the summary the full text format ends with."""

from __future__ import annotations

from collections.abc import Sequence

from otel_lint.findings import Finding
from otel_lint.output.formats.escapes import printable
from otel_lint.output.formats.text import finding_line, labelled_message, paint, summary


def _summary(findings: Sequence[Finding]) -> str:
    return summary(findings, sum(1 for f in findings if f.fix is not None))


def render_concise(
    findings: Sequence[Finding], rules: object, source_line: object, colour: bool
) -> str:
    """``path:line:col: CODE [*] severity: message`` per finding, then the summary."""
    return "\n".join([*(finding_line(f, colour) for f in findings), _summary(findings)])


def render_grouped(
    findings: Sequence[Finding], rules: object, source_line: object, colour: bool
) -> str:
    """Each file's name, then its findings as ``  line:col CODE [*] severity: message``, the
    positions padded to one width per file; a blank line between files, then the summary."""
    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        by_file.setdefault(finding.path, []).append(finding)
    blocks = []
    for path, of_file in by_file.items():
        positions = [f"{f.line}:{f.column}" for f in of_file]
        width = max(len(position) for position in positions)
        lines = [paint(f"{printable(path)}:", "1", colour)]
        lines += [
            f"  {position:<{width}} {labelled_message(finding, colour)}"
            for position, finding in zip(positions, of_file, strict=True)
        ]
        blocks.append("\n".join(lines))
    blocks.append(_summary(findings))
    return "\n\n".join(blocks)
