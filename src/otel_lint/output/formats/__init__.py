"""Findings rendered for people (text), programs (json), code scanning (sarif) and CI (github)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from otel_lint.findings import Finding
from otel_lint.output.formats.github import render_github
from otel_lint.output.formats.json_output import render_json
from otel_lint.output.formats.text import SourceLines, render_text

if TYPE_CHECKING:
    from otel_lint.catalogue.model import Rule

#: The rules that ran, asked for only by the formats that describe them (SARIF): reading the rule
#: files costs a run answered from the cache more than everything else it does.
RulesThatRan = Callable[[], Sequence["Rule"]]
Renderer = Callable[[Sequence[Finding], RulesThatRan, SourceLines, bool], str]


def _sarif(
    findings: Sequence[Finding], rules: RulesThatRan, lines: SourceLines, colour: bool
) -> str:
    # Here, not at the top: SARIF describes the rules, whose pages only it needs.
    from otel_lint.output.formats.sarif import render_sarif

    return render_sarif(findings, rules())


FORMATS: dict[str, Renderer] = {
    "text": render_text,
    "json": lambda findings, rules, lines, colour: render_json(findings),
    "sarif": _sarif,
    "github": lambda findings, rules, lines, colour: render_github(findings),
}

__all__ = ["FORMATS", "Renderer", "RulesThatRan", "SourceLines"]
