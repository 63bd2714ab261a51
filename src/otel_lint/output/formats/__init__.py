"""Findings rendered for people (text, concise, grouped, pylint), programs (json, json-lines),
code scanning (sarif), CI (github, gitlab, junit) and review bots (rdjson)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from otel_lint.findings import Finding
from otel_lint.output.formats.concise import render_concise, render_grouped
from otel_lint.output.formats.github import render_github
from otel_lint.output.formats.gitlab import render_gitlab
from otel_lint.output.formats.json_output import render_json, render_json_lines
from otel_lint.output.formats.pylint import render_pylint
from otel_lint.output.formats.rdjson import render_rdjson
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


def _junit(
    findings: Sequence[Finding], rules: RulesThatRan, lines: SourceLines, colour: bool
) -> str:
    # Here, not at the top: the XML library is loaded only by runs that write XML.
    from otel_lint.output.formats.junit import render_junit

    return render_junit(findings)


#: Every ``--output-format``, in the order ``--help`` lists them.
FORMATS: dict[str, Renderer] = {
    "text": render_text,
    "concise": render_concise,
    "grouped": render_grouped,
    "json": lambda findings, rules, lines, colour: render_json(findings),
    "json-lines": lambda findings, rules, lines, colour: render_json_lines(findings),
    "sarif": _sarif,
    "github": lambda findings, rules, lines, colour: render_github(findings),
    "gitlab": lambda findings, rules, lines, colour: render_gitlab(findings),
    "junit": _junit,
    "rdjson": lambda findings, rules, lines, colour: render_rdjson(findings, lines),
    "pylint": lambda findings, rules, lines, colour: render_pylint(findings),
}

#: The formats a program reads: written as UTF-8 bytes whatever the locale, since a text stream
#: under ``LC_ALL=C`` would break a JSON string or an XML document holding ``é``.
MACHINE_FORMATS = frozenset({"json", "json-lines", "sarif", "gitlab", "junit", "rdjson"})

__all__ = ["FORMATS", "MACHINE_FORMATS", "Renderer", "RulesThatRan", "SourceLines"]
