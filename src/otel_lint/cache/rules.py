"""The shipped rules as the engine runs them, remembered in the store between runs."""

from __future__ import annotations

import sys
from functools import cache

from otel_lint.cache.keys import keyed_path
from otel_lint.cache.store import read_value, write_value
from otel_lint.catalogue.compiled import CheckedRule, checked


@cache
def engine_rules() -> tuple[CheckedRule, ...]:
    """The shipped rules as the engine runs them, remembered in the cache directory.

    Keyed by otel-lint's sources and the rule files' bytes (``environment_key``) and Python's
    version. On a miss the rule files are read and validated (``catalogue.model.load_rules``).
    """
    entry = keyed_path("rules", str(sys.version_info[:3]))
    remembered: tuple[CheckedRule, ...] | None = read_value(entry, tuple[CheckedRule, ...])
    if remembered:
        return remembered
    # Here, not at the top: a run whose rules are remembered never imports pydantic or YAML.
    from otel_lint.catalogue.model import load_rules

    rules = tuple(checked(load_rules()))
    write_value(entry, tuple[CheckedRule, ...], rules)
    return rules
