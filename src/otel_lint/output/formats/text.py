"""ruff-style text: ``path:line:col: CODE message``, the source line and a caret, a summary."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from otel_lint.findings import Finding, Severity

#: Returns the source line (1-based) of a file, or None when it cannot be shown.
SourceLines = Callable[[str, int], str | None]

_COLOURS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def _indent_like(line: str, width: int) -> str:
    """Blank space as wide as ``line[:width]`` on screen: tabs stay tabs."""
    return "".join(c if c == "\t" else " " for c in line[:width])


def summary(findings: Sequence[Finding], fixable: int) -> str:
    if not findings:
        return "All checks passed!"
    noun = "finding" if len(findings) == 1 else "findings"
    line = f"Found {len(findings)} {noun}."
    if fixable:
        line += f"\n[*] {fixable} fixable with the `--fix` option."
    return line


def render_text(
    findings: Sequence[Finding], rules: object, source_line: SourceLines, colour: bool
) -> str:
    blocks = []
    for finding in findings:
        location = _paint(f"{finding.path}:{finding.line}:{finding.column}:", "1", colour)
        code = _paint(finding.code, _COLOURS[finding.severity], colour)
        marker = " [*]" if finding.fix is not None else ""
        block = [f"{location} {code}{marker} {finding.message}"]
        line = source_line(finding.path, finding.line)
        if line is not None:
            number = str(finding.line)
            gutter = " " * len(number)
            width = (
                finding.end_column - finding.column
                if finding.end_line == finding.line and finding.end_column > finding.column
                else 1
            )
            caret = _paint("^" * max(1, width), _COLOURS[finding.severity], colour)
            block += [
                f"{gutter} |",
                f"{number} | {line}",
                f"{gutter} | {_indent_like(line, finding.column - 1)}{caret}",
            ]
        blocks.append("\n".join(block))
    fixable = sum(1 for f in findings if f.fix is not None)
    blocks.append(summary(findings, fixable))
    return "\n\n".join(blocks)
