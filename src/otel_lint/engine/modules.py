"""The string constants of the project's other modules, read for the file being checked.

A key imported from the project's own constants module (``from .keys import DB_STATEMENT``) must
be judged like the literal it stands for. Each module it comes from is found next to the checked
file as Python's import system would find it (relative imports from the file's package, absolute
ones from the folder above its top package), parsed once per process however many files import
it, and reduced to plain data. The checked file's result then depends on those modules: their
paths and digests go into it, and the results cache refuses an entry whose modules changed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from ast_grep_py import SgRoot

from otel_lint.checks.syntax.constants import string_constants
from otel_lint.engine.results import content_digest
from otel_lint.project.source import UnreadableSource, decode_source, parser_text
from otel_lint.regular_files import read_regular_file

_NOTHING: Mapping[str, str] = MappingProxyType({})
#: Per process: a module's path -> (digest of its bytes, its constants). A file changed since is
#: read again (its digest differs), so a long-lived process never serves stale constants.
_READ: dict[str, tuple[str, Mapping[str, str]]] = {}
#: Larger modules are generated tables, not a project's constants; never parsed for this.
_LARGEST = 1024 * 1024


def _package_root(folder: Path) -> Path:
    """The folder absolute imports start from: the one above the file's top package."""
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
    return folder


def module_file(importer: Path, module: str, level: int) -> Path | None:
    """The project file an import of ``module`` (after ``level`` dots) names, or None."""
    folder = importer.absolute().parent
    if level > 0:
        for _ in range(level - 1):
            folder = folder.parent
    else:
        folder = _package_root(folder)
    parts = [part for part in module.split(".") if part]
    if not parts:
        candidates = [folder / "__init__.py"] if level > 0 else []
    else:
        base = folder.joinpath(*parts)
        candidates = [base.with_name(base.name + ".py"), base / "__init__.py"]
    for candidate in candidates:
        if candidate.is_file() and "site-packages" not in candidate.parts:
            return candidate
    return None


def _constants(path: Path) -> tuple[str, Mapping[str, str]] | None:
    name = os.fspath(path)
    try:
        data = read_regular_file(path)
    except OSError:
        return None
    digest = content_digest(data)
    known = _READ.get(name)
    if known is not None and known[0] == digest:
        return known
    table = _NOTHING
    if len(data) <= _LARGEST:
        try:
            text = parser_text(decode_source(data).text)
            table = MappingProxyType(string_constants(SgRoot(text, "python").root()))
        except UnreadableSource:
            pass
    _READ[name] = (digest, table)
    return digest, table


class ProjectModules:
    """``FileContext.modules`` for one checked file: its project's modules, and what was read."""

    def __init__(self, importer: Path) -> None:
        self._importer = importer
        self._found: dict[tuple[str, int], Mapping[str, str] | None] = {}
        self._used: dict[str, str] = {}

    def __call__(self, module: str, level: int) -> Mapping[str, str] | None:
        key = (module, level)
        if key not in self._found:
            path = module_file(self._importer, module, level)
            read = _constants(path) if path is not None else None
            if path is not None and read is not None:
                self._used[os.fspath(path)] = read[0]
            self._found[key] = read[1] if read is not None else None
        return self._found[key]

    def used(self) -> tuple[tuple[str, str], ...]:
        """The modules read, with their digests: what the checked file's result depends on."""
        return tuple(sorted(self._used.items()))
