"""ruff-style text: ``path:line:col: CODE message``, the source line and a caret, a summary."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from otel_lint.findings import Finding, Severity
from otel_lint.output.formats.escapes import printable

#: Returns the source line (1-based) of a file, or None when it cannot be shown.
SourceLines = Callable[[str, int], str | None]

_COLOURS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def paint(text: str, code: str, colour: bool) -> str:
    """``text`` in the ANSI colour ``code`` when ``colour`` is on."""
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


#: Characters of a source line shown around a finding: a minified or generated file of one 12 MB
#: line must not print 12 MB (ruff shows such lines whole; a terminal or CI log cannot).
EXCERPT = 120
_CUT = "..."


def _indent_like(line: str) -> str:
    """Blank space as wide as ``line`` on screen: tabs stay tabs."""
    return "".join(c if c == "\t" else " " for c in line)


def _excerpt(line: str, start: int, end: int) -> tuple[str, int, int]:
    """At most about ``EXCERPT`` characters of ``line`` around ``line[start:end]`` (offsets), with
    the offsets of that span in what is returned."""
    if len(line) <= EXCERPT:
        return line, start, end
    end = min(end, start + EXCERPT // 2)
    first = max(0, start - (EXCERPT - (end - start)) // 2)
    last = min(len(line), first + EXCERPT)
    first = max(0, last - EXCERPT)
    shown = line[first:last]
    head = _CUT if first > 0 else ""
    tail = _CUT if last < len(line) else ""
    offset = len(head) - first
    return head + shown + tail, start + offset, end + offset


def _source_block(finding: Finding, line: str, colour: bool) -> list[str]:
    """The gutter, the (escaped, shortened) source line and a caret under the finding."""
    number = str(finding.line)
    gutter = " " * len(number)
    start = max(0, finding.column - 1)
    end = (
        finding.end_column - 1
        if finding.end_line == finding.line and finding.end_column > finding.column
        else start + 1
    )
    shown, start, end = _excerpt(line, start, end)
    # Escapes are wider than what they stand for: measure the caret on the escaped text.
    before = printable(shown[:start])
    marked = printable(shown[start:end])
    caret = paint("^" * max(1, len(marked)), _COLOURS[finding.severity], colour)
    return [
        f"{gutter} |",
        f"{number} | {printable(shown)}",
        f"{gutter} | {_indent_like(before)}{caret}",
    ]


def summary(findings: Sequence[Finding], fixable: int) -> str:
    if not findings:
        return "All checks passed!"
    noun = "finding" if len(findings) == 1 else "findings"
    line = f"Found {len(findings)} {noun}."
    if fixable:
        line += f"\n[*] {fixable} fixable with the `--fix` option."
    return line


def labelled_message(finding: Finding, colour: bool) -> str:
    """``CODE [*] severity: message``: ``[*]`` where ``--fix`` can fix it, right after the code
    as ruff marks it (so what reads ruff's lines still finds it), the code and severity in the
    severity's colour, the message escaped."""
    tint = _COLOURS[finding.severity]
    marker = " [*]" if finding.fix is not None else ""
    severity = paint(f"{finding.severity.value}:", tint, colour)
    return f"{paint(finding.code, tint, colour)}{marker} {severity} {printable(finding.message)}"


def finding_line(finding: Finding, colour: bool) -> str:
    """``path:line:col: CODE [*] severity: message``, the first line of each finding."""
    path = printable(finding.path)
    location = paint(f"{path}:{finding.line}:{finding.column}:", "1", colour)
    return f"{location} {labelled_message(finding, colour)}"


def render_text(
    findings: Sequence[Finding], rules: object, source_line: SourceLines, colour: bool
) -> str:
    blocks = []
    for finding in findings:
        block = [finding_line(finding, colour)]
        line = source_line(finding.path, finding.line)
        if line is not None:
            block += _source_block(finding, line, colour)
        blocks.append("\n".join(block))
    fixable = sum(1 for f in findings if f.fix is not None)
    blocks.append(summary(findings, fixable))
    return "\n\n".join(blocks)
