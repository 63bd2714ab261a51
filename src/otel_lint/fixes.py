"""Applying safe fixes to source text, and writing the result without risking the user's file."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ast_grep_py import SgRoot

from otel_lint.engine import syntax_error
from otel_lint.findings import Finding, Fix


@dataclass(frozen=True)
class FixOutcome:
    text: str
    applied: int


def apply_fixes(text: str, fixes: Iterable[Fix]) -> FixOutcome:
    """Apply non-overlapping fixes (the first of overlapping ones wins), right to left."""
    chosen: list[Fix] = []
    end = -1
    for fix in sorted(fixes, key=lambda f: (f.start_offset, f.end_offset)):
        if fix.start_offset >= end:
            chosen.append(fix)
            end = fix.end_offset
    result = text
    for fix in reversed(chosen):
        result = result[: fix.start_offset] + fix.content + result[fix.end_offset :]
    return FixOutcome(result, len(chosen))


def parses(text: str) -> bool:
    return syntax_error(SgRoot(text, "python").root()) is None


def fix_until_stable(
    text: str, lint: Callable[[str], list[Finding]], rounds: int = 5
) -> FixOutcome:
    """Fix, re-lint and fix again until nothing changes; never return text that does not parse.

    A round whose result no longer parses is dropped, and fixing stops there.
    """
    total = 0
    for _ in range(rounds):
        fixes = [f.fix for f in lint(text) if f.fix is not None]
        if not fixes:
            break
        outcome = apply_fixes(text, fixes)
        if outcome.text == text or not parses(outcome.text):
            break
        text, total = outcome.text, total + outcome.applied
    return FixOutcome(text, total)
