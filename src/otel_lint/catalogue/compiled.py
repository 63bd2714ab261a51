"""The engine's view of a rule: what finding, judging and fixing candidates needs.

``catalogue.model.Rule`` is the whole rule file, validated with pydantic (documentation and examples
included). The engine works on ``CheckedRule``, a plain frozen dataclass made from it, so that a
run whose rules come from the cache (``engine_rules``) never imports pydantic or reads YAML:
that was a third of a one-file pre-commit run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from otel_lint.findings import Severity


def contains_any(
    text: str, strings: Sequence[str], looked_up: dict[str, bool] | None = None
) -> bool:
    """Whether ``text`` contains one of ``strings``; ``looked_up`` remembers answers across calls
    for the same text (rules share their strings)."""
    known = {} if looked_up is None else looked_up
    for string in strings:
        found = known.get(string)
        if found is None:
            found = known[string] = string in text
        if found:
            return True
    return False


def util_names(value: Any) -> set[str]:
    """Every util id a rule fragment names with ``matches:``."""
    if isinstance(value, dict):
        found = {value["matches"]} if isinstance(value.get("matches"), str) else set()
        for item in value.values():
            found |= util_names(item)
        return found
    if isinstance(value, list):
        return set().union(*(util_names(item) for item in value)) if value else set()
    return set()


def referenced_utils(
    rule: Any, narrowed: Any, constraints: Any, own: dict[str, Any], shared: dict[str, Any]
) -> dict[str, Any]:
    """The shared utils a rule uses, directly or through other utils.

    ast-grep compiles every util it is given on each search, so a rule carries only its own.
    """
    pending = util_names([rule, narrowed, constraints, own]) - set(own)
    needed: dict[str, Any] = {}
    while pending:
        name = min(pending)  # a fixed order keeps the rule's dump, and so cache keys, stable
        pending.discard(name)
        if name in needed or name not in shared:
            continue
        needed[name] = shared[name]
        pending |= util_names(shared[name]) - set(needed) - set(own)
    return needed


@dataclass(frozen=True)
class Narrowing:
    """A smaller search for the files that lack some text (see ``CheckedRule.narrowing``)."""

    absent: tuple[str, ...]
    rule: dict[str, Any]


class _Narrowed(Protocol):
    @property
    def absent(self) -> Sequence[str]: ...
    @property
    def rule(self) -> dict[str, Any]: ...


class RuleSource(Protocol):
    """What the engine's view is made from: a validated rule file (``catalogue.model.Rule``)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def message(self) -> str: ...
    @property
    def rule(self) -> dict[str, Any] | None: ...
    @property
    def constraints(self) -> dict[str, Any] | None: ...
    @property
    def utils(self) -> dict[str, Any] | None: ...
    @property
    def transform(self) -> dict[str, Any] | None: ...
    @property
    def fix(self) -> str | None: ...
    @property
    def requires(self) -> Sequence[str]: ...
    @property
    def prefilter(self) -> Sequence[str] | None: ...
    @property
    def narrowing(self) -> _Narrowed | None: ...


@dataclass(frozen=True)
class CheckedRule:
    """One rule as the engine runs it (see ``catalogue.model.Rule`` for what each field means)."""

    code: str
    name: str
    severity: Severity
    message: str
    rule: dict[str, Any] | None = None
    constraints: dict[str, Any] | None = None
    utils: dict[str, Any] | None = None
    transform: dict[str, Any] | None = None
    fix: str | None = None
    requires: tuple[str, ...] = ()
    prefilter: tuple[str, ...] | None = None
    narrowing: Narrowing | None = None

    @classmethod
    def of(cls, rule: RuleSource) -> CheckedRule:
        narrowing = rule.narrowing
        return cls(
            code=rule.code,
            name=rule.name,
            severity=rule.severity,
            message=rule.message,
            rule=rule.rule,
            constraints=rule.constraints,
            utils=rule.utils,
            transform=rule.transform,
            fix=rule.fix,
            requires=tuple(rule.requires),
            prefilter=None if rule.prefilter is None else tuple(rule.prefilter),
            narrowing=None
            if narrowing is None
            else Narrowing(tuple(narrowing.absent), narrowing.rule),
        )

    def may_report(self, text: str, looked_up: dict[str, bool] | None = None) -> bool:
        """Whether the rule can report anything in a file with this text (its prefilter).

        ``looked_up`` remembers which strings the text contains, for the next rule of the file
        (several rules share their strings).
        """
        return self.prefilter is None or contains_any(text, self.prefilter, looked_up)

    def narrowed(self) -> CheckedRule:
        """The rule as a file without any of ``narrowing.absent`` is searched for it: the
        narrowing's ast-grep rule, with only the utils that one uses."""
        if self.narrowing is None:
            return self
        search = self.narrowing.rule
        utils = referenced_utils(search, None, self.constraints, {}, self.utils or {})
        return replace(self, rule=search, narrowing=None, prefilter=None, utils=utils or None)

    def matcher(self) -> dict[str, Any] | None:
        """The configuration ast-grep-py's ``find_all`` takes."""
        if self.rule is None:
            return None
        config: dict[str, Any] = {"rule": self.rule}
        for key in ("constraints", "utils", "transform"):
            value = getattr(self, key)
            if value:
                config[key] = value
        return config


#: Each validated rule model converted, by id; the entry keeps the model alive, so its id stays
#: its own. (Not a cached property: pydantic's model_copy would carry it over to a changed copy.)
_CHECKED: dict[int, tuple[RuleSource, CheckedRule]] = {}


def checked(rules: Sequence[RuleSource | CheckedRule]) -> list[CheckedRule]:
    """The engine's view of ``rules``: validated rule models are converted, once each."""
    return [rule if isinstance(rule, CheckedRule) else checked_rule(rule) for rule in rules]


def checked_rule(rule: RuleSource) -> CheckedRule:
    known = _CHECKED.get(id(rule))
    if known is None:
        known = _CHECKED[id(rule)] = (rule, CheckedRule.of(rule))
    return known[1]
