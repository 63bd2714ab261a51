"""Findings rendered for people (text), programs (json), code scanning (sarif) and CI (github)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from otel_lint.findings import Finding
from otel_lint.reporting.github import render_github
from otel_lint.reporting.json_output import render_json
from otel_lint.reporting.sarif import render_sarif
from otel_lint.reporting.text import SourceLines, render_text
from otel_lint.rule_model import Rule

Renderer = Callable[[Sequence[Finding], Sequence[Rule], SourceLines, bool], str]

FORMATS: dict[str, Renderer] = {
    "text": render_text,
    "json": lambda findings, rules, lines, colour: render_json(findings),
    "sarif": lambda findings, rules, lines, colour: render_sarif(findings, rules),
    "github": lambda findings, rules, lines, colour: render_github(findings),
}

__all__ = ["FORMATS", "Renderer", "SourceLines"]
