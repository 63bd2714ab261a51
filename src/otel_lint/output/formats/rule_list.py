"""``otel-lint rules --output-format json``: every rule as data, for tools that list or pick
rules (an editor's settings page, a script that builds a ``select`` list)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from otel_lint.catalogue.model import Rule
from otel_lint.checks import fixable


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    return {
        "code": rule.code,
        "name": rule.name,
        "severity": rule.severity.value,
        "fixable": fixable(rule.code, rule.fix),
        "preview": rule.preview is not None,
        "summary": rule.message,
        "family": rule.family,
    }


def render_rules_json(rules: Sequence[Rule]) -> str:
    """A list ordered by code, the same on every run."""
    ordered = sorted(rules, key=lambda rule: rule.code)
    return json.dumps([rule_to_dict(rule) for rule in ordered], indent=2, ensure_ascii=False)
