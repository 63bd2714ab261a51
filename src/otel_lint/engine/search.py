"""Every rule's candidates in a file from one search of its tree.

ast-grep-py compiles the configuration given to each ``find_all`` call, and each call walks the
whole tree: one call per rule meant compiling every rule again for every file and walking each tree
once per rule. Here the rules a file can report under (their prefilter, see
``CheckedRule.may_report``) are merged into one configuration: a node is found when any rule
matches it, and which rules did is read back from one capture per rule, ``$$CAPTURE`` (two dollars
also capture unnamed nodes). Rules that bind metavariables of their own, or bring constraints,
transforms or a util of the same name as another rule's, are searched on their own, as before, so
their captures stay theirs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from ast_grep_py import Config, SgNode

from otel_lint.catalogue.compiled import CheckedRule, checked, contains_any

if TYPE_CHECKING:
    from otel_lint.catalogue.model import Rule

_CAPTURE = "OTL_LINT_RULE_{}"
#: A util every node matches: the "or else" branch that makes a rule's capture optional. One util
#: rather than one regex per rule, because ast-grep compiles each regex it is given, per file.
_ANY_NODE = "otel-lint-any-node"
_ANY_NODE_UTILS: dict[str, Any] = {_ANY_NODE: {"regex": ""}}
#: Plans are built once per set of rules a file needs; there are few such sets in a run.
_PLAN_LIMIT = 256


@dataclass(frozen=True)
class _Plan:
    #: The rules planned for, kept so that the ids keying the plan stay theirs.
    rules: tuple[CheckedRule, ...]
    #: The merged search and, per capture, the positions (in ``rules``) of the rules it marks.
    merged: Config | None
    captures: tuple[tuple[str, tuple[int, ...]], ...]
    #: Rules searched on their own: position and configuration.
    alone: tuple[tuple[int, Config], ...]


_plans: dict[tuple[int, ...], _Plan] = {}
#: Each rule with a narrowing and its narrowed form, made once so that plans can key on its id.
_narrowed: dict[int, tuple[CheckedRule, CheckedRule]] = {}


def candidates(root: SgNode, text: str, rules: Sequence[Rule | CheckedRule]) -> list[list[SgNode]]:
    """For each rule, in order, the nodes its matcher finds, in document order.

    A rule without a matcher, or whose prefilter rules ``text`` out, finds nothing; a rule with a
    narrowing searches with the narrowed rule where ``text`` lacks the narrowing's strings.
    """
    found: list[list[SgNode]] = [[] for _ in rules]
    active, plan = _selection(text, rules)
    if plan is None:
        return found
    for position, config in plan.alone:
        found[active[position]] = root.find_all(config)
    if plan.merged is not None:
        for node in root.find_all(plan.merged):
            for capture, positions in plan.captures:
                if node.get_match(capture) is not None:
                    for position in positions:
                        found[active[position]].append(node)
    return found


def search_configs(text: str, rules: Sequence[Rule | CheckedRule]) -> list[Config]:
    """The ast-grep configurations ``candidates`` runs for a file with this text (to measure)."""
    _, plan = _selection(text, rules)
    if plan is None:
        return []
    merged = [plan.merged] if plan.merged is not None else []
    return [config for _, config in plan.alone] + merged


def _selection(text: str, rules: Sequence[Rule | CheckedRule]) -> tuple[list[int], _Plan | None]:
    """The positions of the rules ``text`` is searched for, and the plan that searches them."""
    looked_up: dict[str, bool] = {}
    active: list[int] = []
    searched: list[CheckedRule] = []
    for i, rule in enumerate(checked(rules)):
        if rule.rule is None or not rule.may_report(text, looked_up):
            continue
        if rule.narrowing and not contains_any(text, rule.narrowing.absent, looked_up):
            rule = _narrowed_form(rule)
        active.append(i)
        searched.append(rule)
    return active, _plan(tuple(searched)) if searched else None


def _plan(rules: tuple[CheckedRule, ...]) -> _Plan:
    key = tuple(id(rule) for rule in rules)
    plan = _plans.get(key)
    if plan is None:
        if len(_plans) >= _PLAN_LIMIT:
            _plans.clear()
        plan = _plans[key] = _make_plan(rules)
    return plan


def _narrowed_form(rule: CheckedRule) -> CheckedRule:
    known = _narrowed.get(id(rule))
    if known is None:  # the entry keeps the rule alive, so its id stays its own
        known = _narrowed[id(rule)] = (rule, rule.narrowed())
    return known[1]


def _binds_metavariables(value: Any) -> bool:
    """Whether a rule fragment has a pattern naming a metavariable (the only way to bind one).

    A pattern without a ``$`` (``follows: {pattern: "("}``) binds nothing and can be merged.
    """
    if isinstance(value, dict):
        pattern = value.get("pattern")
        if pattern is not None and "$" in json.dumps(pattern):
            return True
        return any(_binds_metavariables(v) for v in value.values())
    if isinstance(value, list):
        return any(_binds_metavariables(item) for item in value)
    return False


def _make_plan(rules: tuple[CheckedRule, ...]) -> _Plan:
    utils: dict[str, Any] = dict(_ANY_NODE_UTILS)
    groups: dict[str, tuple[dict[str, Any], list[int]]] = {}
    alone: list[tuple[int, Config]] = []
    for position, rule in enumerate(rules):
        matcher = rule.matcher()
        if matcher is None:  # not planned: ``candidates`` leaves such rules out
            continue
        own_utils = rule.utils or {}
        if (
            rule.constraints
            or rule.transform
            or _binds_metavariables(matcher)
            or any(name in utils and utils[name] != util for name, util in own_utils.items())
        ):
            alone.append((position, cast(Config, matcher)))
            continue
        utils.update(own_utils)
        # Rules with the same matcher (OTL202/204/205/206 share one) are searched for once.
        key = json.dumps(matcher, sort_keys=True)
        groups.setdefault(key, (matcher["rule"], []))[1].append(position)
    if not groups:
        return _Plan(rules, None, (), tuple(alone))
    captures = tuple(
        (_CAPTURE.format(number), tuple(positions))
        for number, (_, positions) in enumerate(groups.values())
    )
    marks = [
        {"any": [{"all": [rule, {"pattern": f"$${name}"}]}, {"matches": _ANY_NODE}]}
        for (rule, _), (name, _) in zip(groups.values(), captures, strict=True)
    ]
    merged: dict[str, Any] = {
        "rule": {"all": [{"any": [rule for rule, _ in groups.values()]}, *marks]},
        "utils": utils,
    }
    return _Plan(rules, cast(Config, merged), captures, tuple(alone))
