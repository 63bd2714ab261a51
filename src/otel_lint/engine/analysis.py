"""Files in, findings out: one parse per file, every selected rule over that tree.

A run has two halves. Per file (in worker processes when there are many): decode, parse once with
ast-grep, collect the file's project facts, run every selected rule and its check, apply the
file's suppressions. Then, for the whole project: merge the facts (from the checked files, the
project's other Python files and its deployment files) and keep only the findings whose
``requires`` the project meets. Output order never depends on scheduling.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from ast_grep_py import Config, SgNode, SgRoot
from ast_grep_py import Rule as SearchRule

from otel_lint.catalogue.compiled import CheckedRule, checked
from otel_lint.checks import CheckSettings, FileContext, ModuleConstants, Verdict, all_checks
from otel_lint.conventions.registry import Registry
from otel_lint.engine.limits import Deadline
from otel_lint.engine.results import (
    UNREADABLE,
    FileResult,
    digest,
    point_finding,
    unreadable,
)
from otel_lint.engine.search import candidates
from otel_lint.engine.suppressions import Noqa, Suppressions, find_suppressions
from otel_lint.findings import Finding, Fix, Severity
from otel_lint.project import facts as project_facts
from otel_lint.project.source import parser_text

if TYPE_CHECKING:
    from otel_lint.catalogue.model import Rule

#: Where tree-sitter's error recovery left a trace: an ERROR node, or a zero-width node it made up
#: for a missing token (``def f(:`` gets an invisible ``)``).
_SYNTAX_ERROR: Config = {
    "rule": {
        "any": [
            {"kind": "ERROR"},
            {
                "regex": "^$",
                "not": {"any": [{"kind": "module"}, {"kind": "string_content"}, {"kind": "block"}]},
            },
        ]
    }
}
_METAVARIABLE = re.compile(r"\$\$\$([A-Z_][A-Z0-9_]*)|\$([A-Z_][A-Z0-9_]*)")
#: Deeper than CPython 3.11 compiles (chains of about 3,000 terms; 200 nested brackets). Rules
#: look at a node's parent, which tree-sitter finds in time proportional to the node's depth:
#: a tree 20,000 deep took minutes in one ast-grep call, which no time limit can interrupt.
DEEPEST = 3000
#: Smaller files are not measured: the deepest they can nest costs seconds, not minutes.
_MEASURED_FROM = 16 * 1024


# --- one file ----------------------------------------------------------------------------------


def _position(node: SgNode) -> tuple[int, int, int, int, int, int]:
    span = node.range()
    return (
        span.start.line + 1,
        span.start.column + 1,
        span.end.line + 1,
        span.end.column + 1,
        span.start.index,
        span.end.index,
    )


def _fingerprint(code: str, text: str, seen: dict[tuple[str, str], int]) -> str:
    """A line-independent identity: the code, the matched text, and which occurrence it is."""
    normalised = " ".join(text.split())
    key = (code, normalised)
    occurrence = seen.get(key, 0)
    seen[key] = occurrence + 1
    return digest(f"{code}\0{normalised}\0{occurrence}")


def _substitute(template: str, match: SgNode) -> str:
    def value(found: re.Match[str]) -> str:
        many, one = found.group(1), found.group(2)
        if many:
            nodes = [n for n in match.get_multiple_matches(many) if n.is_named()]
            if not nodes:
                return ""
            root_text = match.get_root().root().text()
            return root_text[nodes[0].range().start.index : nodes[-1].range().end.index]
        node = match.get_match(one)
        return node.text() if node is not None else found.group(0)

    return _METAVARIABLE.sub(value, template)


def _finding(
    rule: CheckedRule,
    match: SgNode,
    verdict: Verdict,
    label: str,
    seen: dict[tuple[str, str], int],
) -> Finding:
    node = verdict.node or match
    line, column, end_line, end_column, start, end = _position(node)
    message = verdict.message or _substitute(rule.message, match)
    fix_text = verdict.fix
    if fix_text is None and rule.fix is not None and verdict.node is None:
        fix_text = _substitute(rule.fix, match)
    fix = None
    if fix_text is not None and fix_text != node.text():
        fix = Fix(fix_text, start, end, line, column, end_line, end_column)
    return Finding(
        code=rule.code,
        name=rule.name,
        message=message,
        severity=rule.severity,
        path=label,
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        fingerprint=_fingerprint(rule.code, node.text(), seen),
        fix=fix,
        requires=tuple(rule.requires) + verdict.requires,
    )


def _not_followed(
    rule: CheckedRule, match: SgNode, label: str, seen: dict[tuple[str, str], int]
) -> Finding:
    """An OTL000 where a check gave up on an expression that nests deeper than it can follow.

    Checks follow chains with loops; what is left (brackets, ``.value.value...``) recurses, and
    a file built to nest past Python's recursion limit loses that one judgement, not the file.
    """
    line, column, end_line, end_column, _, _ = _position(match)
    message = (
        f"not checked for {rule.code} here: the expression nests too deeply for its check to "
        "follow (the rest of the file was checked)"
    )
    at = point_finding(UNREADABLE, "unreadable-file", message, Severity.ERROR, label, line, column)
    fingerprint = _fingerprint(UNREADABLE, match.text(), seen)
    return replace(at, end_line=end_line, end_column=end_column, fingerprint=fingerprint)


def syntax_error(root: SgNode) -> SgNode | None:
    """The first place the parser had to recover from a syntax error, or None."""
    return root.find(_SYNTAX_ERROR)


_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
#: What tree-sitter's grammar reads and CPython refuses: Python 2 statements and operators, and
#: statements outside the block they belong to. Only a file with one of these (or with a syntax
#: error) is compiled as well: compiling every file doubled a cold run's time and memory.
_PYTHON_MAY_REFUSE: Config = {
    "rule": {
        "any": [
            {"kind": "print_statement"},
            {"kind": "exec_statement"},
            {"kind": "comparison_operator", "regex": "<>"},
            {"kind": "string", "regex": "^`"},
            {
                "any": [
                    {"kind": "return_statement"},
                    {"kind": "yield"},
                    {"kind": "await"},
                    {"kind": "nonlocal_statement"},
                ],
                "not": {
                    "inside": {
                        "any": [{"kind": "function_definition"}, {"kind": "lambda"}],
                        "stopBy": "end",
                    }
                },
            },
            {
                "any": [{"kind": "break_statement"}, {"kind": "continue_statement"}],
                "not": {
                    "inside": {
                        "any": [{"kind": "for_statement"}, {"kind": "while_statement"}],
                        "stopBy": "end",
                    }
                },
            },
        ]
    }
}


#: Either of the above: one walk of the tree tells that a file has neither, as most files do. The
#: parts with a regex cost a walk's worth each (ast-grep reads every node's text for them) and are
#: left out where the text cannot hold what they look for.
_REFUSED_OPERATORS: dict[str, SearchRule] = {
    "<>": {"kind": "comparison_operator", "regex": "<>"},
    "`": {"kind": "string", "regex": "^`"},
}
_CLOSER_LOOK: dict[frozenset[str], Config] = {}


def _closer_look(text: str) -> Config:
    present = frozenset(marker for marker in _REFUSED_OPERATORS if marker in text)
    config = _CLOSER_LOOK.get(present)
    if config is None:
        refused = [
            part
            for part in _PYTHON_MAY_REFUSE["rule"]["any"]
            if part not in _REFUSED_OPERATORS.values()
        ]
        refused += [_REFUSED_OPERATORS[marker] for marker in sorted(present)]
        config = {"rule": {"any": [*_SYNTAX_ERROR["rule"]["any"], *refused]}}
        _CLOSER_LOOK[present] = config
    return config


def compile_error(text: str) -> SyntaxError | None:
    """What this interpreter's compiler refuses in ``text``, or None when it accepts it.

    Tree-sitter reads more than Python does (``print "x"``, backticks, ``<>``, a ``return``
    outside a function) and, for a newer Python than its grammar, less (PEP 696 defaults). Code
    this Python cannot run is reported; code it can is checked.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning: invalid escapes and the like
        try:
            compile(text, "<checked>", "exec", dont_inherit=True)
        except SyntaxError as error:
            return error
        except (ValueError, RecursionError, MemoryError):
            return None  # null bytes, or nested past the compiler: tree-sitter's reading decides
    return None


def _too_deep(root: SgNode, text: str) -> tuple[str, int, int] | None:
    """Why the file cannot be checked and where (line and column, from 1): nesting too deep.

    Before any search: the syntax error search asks every node for its text, which costs time in
    proportion to size times depth (35 s for a tree 200,000 deep, 0.01 s for one 3,000 deep).
    """
    deep = too_deep(root) if len(text) >= _MEASURED_FROM else None
    if deep is None:
        return None
    line, column = _start(deep)
    return f"nested more than {DEEPEST:,} levels deep at line {line}", line, column


def _not_checkable(root: SgNode, text: str) -> tuple[str, int, int] | None:
    """Why a file ``_closer_look`` found something in cannot be checked, and where: a syntax
    error, or syntax tree-sitter reads and this Python refuses."""
    error = syntax_error(root)
    if error is not None and compile_error(text) is None:
        error = None  # newer syntax than tree-sitter's grammar: this Python runs it
    if error is not None:
        line, column = _start(error)
        if error.kind() == "ERROR":
            return f"syntax error at line {line}", line, column
        return f"syntax error: missing `{error.kind()}` at line {line}", line, column
    refused = compile_error(text) if root.find(_PYTHON_MAY_REFUSE) is not None else None
    if refused is not None:
        line, column = refused.lineno or 1, max(1, refused.offset or 1)
        return f"syntax error at line {line}: {refused.msg} (Python {_PYTHON})", line, column
    return None


def _start(node: SgNode) -> tuple[int, int]:
    start = node.range().start
    return start.line + 1, start.column + 1


def too_deep(root: SgNode, deepest: int = DEEPEST) -> SgNode | None:
    """A node more than ``deepest`` levels below ``root``, or None.

    Looks only into nodes long enough to hold what is left of that depth: every few levels
    down add a character, so a node of ``n`` characters holds at most about ``4 * n`` levels.
    A normal file is decided from its few largest nodes.
    """
    pending = [(root, 0)]
    while pending:
        node, depth = pending.pop()
        if depth > deepest:
            return node
        shortest = max(16, (deepest - depth) // 4)
        # len(text()) rather than range(): ast-grep-py counts its way to a position's column,
        # which costs 0.7 ms a node on a line of 500,000 characters.
        pending += [
            (child, depth + 1) for child in node.children() if len(child.text()) >= shortest
        ]
    return None


def analyze_text(
    label: str,
    text: str,
    rules: Sequence[Rule | CheckedRule],
    registry: Registry,
    settings: CheckSettings | None = None,
    *,
    deadline: Deadline | None = None,
    modules: ModuleConstants | None = None,
) -> FileResult:
    """Lint decoded source text: one parse, every rule. Suppressions are not applied here.

    With a ``deadline``, raises OutOfTime between candidates once it has passed. ``modules``
    reads constants from the project's other modules (see ``engine/modules.py``).
    """
    # Same length as ``text``: positions and fix offsets into it hold for the original too.
    text = parser_text(text)
    root = SgRoot(text, "python").root()
    problem = _too_deep(root, text)
    if problem is None and root.find(_closer_look(text)) is not None:
        problem = _not_checkable(root, text)
    if problem is not None:
        reason, line, column = problem
        return FileResult(label, findings=(unreadable(label, reason, line, column),))
    context = FileContext(label, text, root, registry, settings or CheckSettings(), modules)
    checks = all_checks()
    rules = checked(rules)
    findings: list[Finding] = []
    seen: dict[tuple[str, str], int] = {}
    for rule, matches in zip(rules, candidates(root, text, rules), strict=True):
        registered = checks.get(rule.code)
        judge = registered.judge if registered else None
        for match in matches:
            if deadline is not None:
                deadline.check()
            try:
                verdicts: Iterable[Verdict] = list(judge(match, context)) if judge else (Verdict(),)
            except RecursionError:
                findings.append(_not_followed(rule, match, label, seen))
                continue
            for verdict in verdicts:
                findings.append(_finding(rule, match, verdict, label, seen))
    return FileResult(
        label,
        findings=tuple(findings),
        facts=frozenset(project_facts.python_facts(text, root)),
    )


def apply_suppressions(result: FileResult, text: str) -> FileResult:
    return suppress(result, find_suppressions(text))


def suppress(result: FileResult, suppressions: Suppressions) -> FileResult:
    """``result`` with the findings ``suppressions`` hide set apart (a comment may cover several
    lines: a deployment file's ``# noqa`` alone on a line covers the next one too)."""
    if not suppressions.by_line and not suppressions.file_codes:
        return result
    kept: list[Finding] = []
    suppressed: list[tuple[Finding, Noqa | None]] = []
    for finding in result.findings:
        if finding.code != UNREADABLE and suppressions.suppresses(finding.code, finding.line):
            suppressed.append((finding, suppressions.noqa_for(finding.line)))
        else:
            kept.append(finding)
    return replace(
        result,
        findings=tuple(kept),
        suppressed=tuple(suppressed),
        noqa=tuple(dict.fromkeys(suppressions.by_line.values())),
    )
