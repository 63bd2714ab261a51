"""Python judgement for rules that need more than syntax.

A rule file names a check (``check: deprecated_attribute``); the engine calls it with each node
the rule's ast-grep pattern matched and the file's context, and reports one finding per verdict.
Checks live in the modules of this package, one module per family, and register themselves with
``@check("name")``. They never import or run the code being checked.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
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


@dataclass(frozen=True)
class FileContext:
    """What a check may know about the file it judges."""

    path: str
    text: str
    root: SgNode
    registry: Registry
    settings: CheckSettings = field(default_factory=CheckSettings)
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
_CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    """Register a check under the name rule files use."""

    def register(function: Check) -> Check:
        if name in _CHECKS:
            raise ValueError(f"two checks are named {name!r}")
        _CHECKS[name] = function
        return function

    return register


@cache
def all_checks() -> dict[str, Check]:
    """Every registered check, after importing each module of this package once."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return dict(_CHECKS)


def node_text(node: SgNode | None) -> str:
    return "" if node is None else node.text()
