"""Failure messages a person can act on: what was expected, what was captured, closest first."""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from otel_testing.views.matching import Expected, attribute_mismatches, describe, matches


class TelemetryAssertionError(AssertionError):
    """An expectation about captured telemetry did not hold."""


def attribute_diff(
    expected: Mapping[str, Expected], actual: Mapping[str, Any], exact: bool = False
) -> str:
    """Lines for each expected attribute that is missing or differs, then the unexpected extras
    (a difference of their own when ``exact``, else shown only beside other differences)."""
    lines = []
    for key, want, got in attribute_mismatches(expected, actual):
        if key not in actual:
            lines.append(f"  - {key}: expected {describe(want)}, missing")
        else:
            lines.append(f"  ~ {key}: expected {describe(want)}, got {got!r}")
    extras = [key for key in actual if key not in expected]
    if exact:
        lines.extend(f"  + {key}: not expected, got {actual[key]!r}" for key in extras)
    elif lines and extras:
        lines.append("  also captured: " + ", ".join(f"{k}={actual[k]!r}" for k in extras))
    return "\n".join(lines)


def describe_query(**criteria: Any) -> str:
    """``name='x', attributes={...}`` for the criteria that were given."""
    given = {k: v for k, v in criteria.items() if v is not None}
    if not given:
        return "any"
    parts = []
    for key, value in given.items():
        if isinstance(value, Mapping):
            inner = ", ".join(f"{k!r}: {describe(v)}" for k, v in value.items())
            parts.append(f"{key}={{{inner}}}")
        else:
            parts.append(f"{key}={describe(value)}")
    return ", ".join(parts)


def listing(lines: Sequence[str], limit: int = 20) -> str:
    """Captured items, one a line, cut after ``limit`` with a count of the rest."""
    if not lines:
        return "  (nothing was captured)"
    shown = [f"  {line}" for line in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"  ... and {len(lines) - limit} more")
    return "\n".join(shown)


def name_closeness(expected: Expected, actual: str) -> float:
    """How alike a captured name is to the expected one (1.0 when it matches)."""
    if matches(expected, actual):
        return 1.0
    if isinstance(expected, str):
        return difflib.SequenceMatcher(None, expected, actual).ratio()
    return 0.0


def outline_mismatch(expected: str, actual: str) -> str:
    """The message for a span tree that is not the expected outline."""
    diff = "\n".join(
        difflib.unified_diff(
            expected.splitlines(), actual.splitlines(), "expected", "captured", lineterm=""
        )
    )
    return (
        "the captured span tree is not the expected outline\n"
        f"captured:\n{textwrap.indent(actual or '(no spans)', '  ')}\n"
        f"diff:\n{textwrap.indent(diff, '  ')}"
    )
