"""Whose telemetry is it: an instrumentation scope belongs to the project or to a third party.

The strict gate fails a test only for the project's own tracers, meters and loggers. A scope is
the project's when the configuration says so (``otel_strict_scopes``), never when it says to leave
it (``otel_strict_ignore_scopes``), and otherwise when its top-level name is not a module installed
outside the project: ``opentelemetry.instrumentation.flask`` or ``werkzeug`` live in
site-packages, ``shop.checkout`` lives under the rootdir, and a name that is no module at all
(``"checkout-service"``) can only have been chosen by the project.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

_INSTALLED = ("site-packages", "dist-packages")


def pattern_length(scope: str, patterns: Iterable[str]) -> int:
    """The length of the longest pattern naming ``scope`` (``*`` counts 0), or -1 if none does.

    A pattern names a scope and the scopes below it: ``shop`` names ``shop`` and ``shop.cart``,
    not ``shopping``.
    """
    best = -1
    for pattern in patterns:
        if pattern == "*":
            best = max(best, 0)
        elif scope == pattern or scope.startswith(pattern.rstrip(".") + "."):
            best = max(best, len(pattern))
    return best


def _locations(top: str) -> list[Path] | None:
    """Where the module ``top`` lives, without importing it; None if there is no such module."""
    module = sys.modules.get(top)
    if module is not None:
        paths: Iterable[str] = getattr(module, "__path__", None) or [
            getattr(module, "__file__", None) or ""
        ]
    else:
        try:
            spec = importlib.util.find_spec(top)  # top-level: runs no code of the module
        except (ImportError, ValueError):
            return None
        if spec is None:
            return None
        paths = spec.submodule_search_locations or [spec.origin or ""]
    return [Path(p) for p in paths if p]


class ScopeOwnership:
    """Decides, and remembers, whether each scope name is the project's."""

    def __init__(self, root: Path, judged: Sequence[str] = (), left: Sequence[str] = ()) -> None:
        self._root = root.resolve()
        self._judged = tuple(judged)
        self._left = tuple(left)
        self._known: dict[str, bool] = {}

    def is_projects(self, scope: str) -> bool:
        owned = self._known.get(scope)
        if owned is None:
            owned = self._known[scope] = self._decide(scope)
        return owned

    def _decide(self, scope: str) -> bool:
        judged, left = pattern_length(scope, self._judged), pattern_length(scope, self._left)
        if judged >= 0 or left >= 0:
            return judged > left  # the more specific wins; the same pattern in both: leave it
        top = scope.split(".")[0]
        if not top.isidentifier():
            return True
        if top in sys.stdlib_module_names:
            return False
        locations = _locations(top)
        if not locations:
            return True
        return any(self._inside_project(location) for location in locations)

    def _inside_project(self, location: Path) -> bool:
        try:
            relative = location.resolve().relative_to(self._root)
        except (ValueError, OSError):
            return False
        # A virtual environment inside the project is still someone else's code.
        return not any(part in _INSTALLED for part in relative.parts)
