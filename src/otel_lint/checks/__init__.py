"""Python judgement for rules that need more than syntax.

A rule has one identity, its code. Its check registers under that code (``@check("OTL401")``);
the engine calls it with each node the rule's ast-grep pattern matched and the file's context,
and reports one finding per verdict. A rule without a check reports every match. Checks live in
the modules of this package, one module per family, and never import or run the code they judge.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar, cast

from ast_grep_py import SgNode

from otel_lint.conventions.registry import Registry


@dataclass(frozen=True)
class CheckSettings:
    """The parts of the configuration that checks read."""

    #: The project's own attribute namespaces, e.g. ``("acme",)``.
    namespaces: tuple[str, ...] = ()
    #: Identifiers the project declares bounded (e.g. ``tenant_tier``).
    bounded: tuple[str, ...] = ()


#: The string constants of a module of the checked file's project, as ``NAME`` or ``Class.NAME``
#: -> literal, for a module named as an import names it (``keys``, and how many dots preceded
#: it: 1 for ``from .keys import X``); None when the project has no such module. The engine
#: supplies it and remembers which files it read: a result depends on them.
ModuleConstants = Callable[[str, int], Mapping[str, str] | None]


@dataclass(frozen=True)
class FileContext:
    """What a check may know about the file it judges."""

    path: str
    text: str
    root: SgNode
    registry: Registry
    settings: CheckSettings = field(default_factory=CheckSettings)
    #: The constants of the project's other modules (None: within the file only).
    modules: ModuleConstants | None = field(default=None, compare=False, repr=False)
    #: Facts about the whole file, computed once for it (see ``per_file``) and dropped with it.
    memo: dict[object, object] = field(default_factory=dict, compare=False, repr=False)


_T = TypeVar("_T")


def per_file(fact: Callable[[FileContext], _T]) -> Callable[[FileContext], _T]:
    """Compute ``fact`` once per file, however many candidates consult it.

    A check runs once per candidate, and a file can hold thousands: a whole-tree query made
    per candidate makes large files quadratic.
    """

    def once(context: FileContext) -> _T:
        if fact not in context.memo:
            context.memo[fact] = fact(context)
        return cast(_T, context.memo[fact])

    return once


def mentions(context: FileContext, text: str) -> bool:
    """Whether the file's text contains ``text``, searched once per file: a search of a large
    file per candidate made thousands of candidates quadratic."""
    key = ("mentions", text)
    if key not in context.memo:
        context.memo[key] = text in context.text
    return context.memo[key] is True


@dataclass(frozen=True)
class Verdict:
    """One finding a check asks for. Unset fields fall back to the rule's message and the match."""

    message: str | None = None
    node: SgNode | None = None
    #: Replacement text for ``node`` (or the match), for a fix that keeps behaviour.
    fix: str | None = None
    #: Project facts this finding depends on, as in a rule's ``requires``.
    requires: tuple[str, ...] = ()


Check = Callable[[SgNode, FileContext], Iterable[Verdict]]


@dataclass(frozen=True)
class RegisteredCheck:
    """A rule's check, and whether its verdicts carry fixes (the one place that says so)."""

    judge: Check
    fixes: bool = False


_CHECKS: dict[str, RegisteredCheck] = {}
_RULE_CODE = re.compile(r"^OTL\d{3}$")


def check(code: str, *, fixes: bool = False) -> Callable[[Check], Check]:
    """Register the check of the rule ``code``; ``fixes`` declares that its verdicts fix."""
    if not _RULE_CODE.match(code):
        raise ValueError(f"a check registers under a rule code such as OTL401, not {code!r}")

    def register(function: Check) -> Check:
        if code in _CHECKS:
            raise ValueError(f"two checks register for {code}")
        _CHECKS[code] = RegisteredCheck(function, fixes)
        return function

    return register


@cache
def all_checks() -> dict[str, RegisteredCheck]:
    """Every registered check by rule code, after importing each module of this package once."""
    for module in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        importlib.import_module(module.name)
    return dict(_CHECKS)


#: Rules judged without a Python check (deployment settings) whose findings carry fixes.
_FIXING_WITHOUT_CHECK: set[str] = set()


def declare_fixes(*codes: str) -> None:
    """Say that rules judged outside the Python engine (``checks.deployment_settings``) fix."""
    _FIXING_WITHOUT_CHECK.update(codes)


def fixable(code: str, template: str | None) -> bool:
    """Whether the rule ``code`` can fix what it finds: its YAML gives an ast-grep ``fix``
    template, or its check declares ``fixes=True`` (or ``declare_fixes`` names it)."""
    registered = all_checks().get(code)
    if code in _FIXING_WITHOUT_CHECK:
        return True
    return template is not None or (registered is not None and registered.fixes)


def node_text(node: SgNode | None) -> str:
    return "" if node is None else node.text()
